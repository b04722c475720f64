import type { AlertEvent } from '../../store/sqlite/index.js';
import type { AlertRecord } from '../../store/reading-store.js';
import { bandOf, type PatientDetail } from '../../care/service.js';
import { date, dateTime, metricLabel, metricValue, nhsNumber } from '../format.js';
import { html, jsonScript, type Html } from '../html.js';
import { layout, type Viewer } from './layout.js';

/** The charts a patient page offers: each one or two metrics on one axis. */
export const CHARTS = [
  { id: 'bp', title: 'Blood pressure', metrics: ['systolic', 'diastolic'], unit: 'mmHg' },
  { id: 'hr', title: 'Heart rate', metrics: ['heartRate'], unit: 'bpm' },
  { id: 'spo2', title: 'SpO2', metrics: ['spo2'], unit: '%' },
  { id: 'temp', title: 'Temperature', metrics: ['bodyTemperature'], unit: '°C' },
  { id: 'weight', title: 'Weight', metrics: ['bodyWeight'], unit: 'kg' },
  { id: 'glucose', title: 'Glucose', metrics: ['bloodGlucose'], unit: 'mmol/L' },
] as const;

export const RANGES = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000, '90d': 90 * 86_400_000 } as const;
export type RangeId = keyof typeof RANGES;
const RANGE_LABEL: Record<RangeId, string> = { '24h': '24 hours', '7d': '7 days', '30d': '30 days', '90d': '90 days' };

/** NEWS2's parameters in words [NEWS2 chart 1], for "partial: no …". */
const NEWS2_PARAMETER: Record<string, string> = { respiratoryRate: 'respiration rate', spo2: 'SpO2', onOxygen: 'air or oxygen', systolic: 'systolic BP', pulse: 'pulse', consciousness: 'consciousness', temperature: 'temperature' };

const STAGE: Record<string, string> = { normal: 'Normal (below 135/85)', 'stage-1': 'Stage 1 hypertension (135/85 or more)', 'stage-2': 'Stage 2 hypertension (150/95 or more)' };

function csrfField(viewer: Viewer): Html {
  return html`<input type="hidden" name="_csrf" value="${viewer.csrf}">`;
}

function alertActions(viewer: Viewer, nhs: string, a: AlertRecord, colleagues: PatientDetail['colleagues']): Html {
  if (a.state === 'resolved') return html``;
  const base = `/patients/${nhs}/alerts/${a.id}`;
  return html`<details class="nhsuk-details"><summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">Act on this alert</span></summary><div class="nhsuk-details__text">
${
  a.state === 'open'
    ? html`<form method="post" action="${base}/acknowledge" class="app-inline-form">${csrfField(viewer)}
<div class="nhsuk-form-group"><label class="nhsuk-label" for="ack-note-${a.id}">Note</label><input class="nhsuk-input" id="ack-note-${a.id}" name="note" type="text" required></div>
<button class="nhsuk-button nhsuk-button--small" type="submit" data-action="acknowledge">Acknowledge</button></form>`
    : ''
}
<form method="post" action="${base}/snooze" class="app-inline-form">${csrfField(viewer)}
<div class="nhsuk-form-group"><label class="nhsuk-label" for="snooze-min-${a.id}">Snooze escalation for (minutes)</label><input class="nhsuk-input nhsuk-input--width-4" id="snooze-min-${a.id}" name="minutes" type="number" min="5" max="1440" value="60" inputmode="numeric"></div>
<div class="nhsuk-form-group"><label class="nhsuk-label" for="snooze-note-${a.id}">Note</label><input class="nhsuk-input" id="snooze-note-${a.id}" name="note" type="text" required></div>
<button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="submit">Snooze</button></form>
<form method="post" action="${base}/assign" class="app-inline-form">${csrfField(viewer)}
<div class="nhsuk-form-group"><label class="nhsuk-label" for="assign-to-${a.id}">Assign to</label><select class="nhsuk-select" id="assign-to-${a.id}" name="to">${colleagues.map((c) => html`<option value="${c.id}">${c.name}</option>`)}</select></div>
<div class="nhsuk-form-group"><label class="nhsuk-label" for="assign-note-${a.id}">Note</label><input class="nhsuk-input" id="assign-note-${a.id}" name="note" type="text" required></div>
<button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="submit">Assign</button></form>
<form method="post" action="${base}/resolve" class="app-inline-form">${csrfField(viewer)}
<div class="nhsuk-form-group"><label class="nhsuk-label" for="resolve-note-${a.id}">Note</label><input class="nhsuk-input" id="resolve-note-${a.id}" name="note" type="text" required></div>
<button class="nhsuk-button nhsuk-button--warning nhsuk-button--small" type="submit">Resolve</button></form>
</div></details>`;
}

const STATE_TAG: Record<string, string> = { open: 'nhsuk-tag--red', acknowledged: 'nhsuk-tag--orange', resolved: 'nhsuk-tag--green' };

export function alertTimeline(alerts: readonly (AlertRecord & { events: readonly AlertEvent[] })[], action?: (a: AlertRecord) => Html): Html {
  if (alerts.length === 0) return html`<p>No alerts.</p>`;
  return html`<ol class="nhsuk-list app-timeline">${alerts.map(
    (a) => html`<li class="app-alert" data-alert="${a.id}" data-state="${a.state}">
<h3 class="nhsuk-heading-s"><strong class="nhsuk-tag ${STATE_TAG[a.state] ?? ''}">${a.state}</strong> ${a.severity === 'critical' ? 'Critical' : a.severity === 'warning' ? 'Warning' : 'Info'}: ${a.message}</h3>
<p class="app-muted">Opened ${dateTime(a.openedAtMs)}${a.assignedTo === undefined ? '' : `; assigned to ${a.assignedTo}`}${a.snoozedUntilMs !== undefined && a.snoozedUntilMs > a.updatedAtMs ? `; snoozed until ${dateTime(a.snoozedUntilMs)}` : ''}</p>
<ul class="nhsuk-list app-compact">${a.events.map((e) => html`<li>${dateTime(e.at)}: ${e.state} by ${e.by}${e.note === undefined ? '' : `: ${e.note}`}</li>`)}</ul>
${action?.(a) ?? ''}
</li>`,
  )}</ol>`;
}

/** A patient's page: charts, home BP averages, alerts with actions, thresholds, devices, review. */
export function patientPage(o: { viewer: Viewer; p: PatientDetail; alerts: readonly (AlertRecord & { events: readonly AlertEvent[] })[]; range: RangeId; nowMs: number }): Html {
  const { p, viewer } = o;
  const nhs = p.patientNhs;
  const charts = CHARTS.filter((c) => c.metrics.some((m) => p.latest.some((l) => l.metric === m)));
  const bands = Object.fromEntries(charts.flatMap((c) => c.metrics.map((m) => [m, bandOf(p.thresholds, m)])));
  const body = html`<span class="nhsuk-caption-l">Patient</span>
<h1 data-patient="${nhs}">NHS number ${nhsNumber(nhs)}</h1>
<div class="app-actions">
<form method="post" action="/patients/${nhs}/review" class="app-inline-form">${csrfField(viewer)}<button class="nhsuk-button nhsuk-button--secondary" type="submit">Mark reviewed</button></form>
<a class="nhsuk-button nhsuk-button--secondary" href="/patients/${nhs}/report?range=30d">Printable report</a>
</div>
<p class="app-muted">Last reviewed: ${p.lastReview === undefined ? 'not yet' : `${p.lastReview.by}, ${dateTime(p.lastReview.atMs)}`}. NEWS2: ${p.news2 === undefined ? 'no recent values' : `${p.news2.total}${p.news2.partial ? ` (partial: no ${p.news2.missing.map((m) => NEWS2_PARAMETER[m] ?? m).join(', ')})` : ''}, ${p.news2.response} response`}.</p>

<h2>Charts</h2>
<nav aria-label="Chart period"><ul class="app-ranges">${Object.keys(RANGES).map((r) => html`<li><a href="?range=${r}"${r === o.range ? html` aria-current="page"` : ''}>${RANGE_LABEL[r as RangeId]}</a></li>`)}</ul></nav>
${charts.length === 0 ? html`<p>No readings yet.</p>` : ''}
${charts.map((c) => html`<figure class="app-chart-figure"><figcaption><h3 class="nhsuk-heading-s">${c.title} (${c.unit}), last ${RANGE_LABEL[o.range]}</h3></figcaption><div class="app-chart" data-chart="${c.id}" data-metrics="${c.metrics.join(',')}" data-unit="${c.unit}"></div></figure>`)}
${jsonScript('chart-config', { patient: nhs, fromMs: o.nowMs - RANGES[o.range], toMs: o.nowMs, bands })}

<h2>Home blood pressure</h2>
${
  p.homeBp.enough
    ? html`<dl class="nhsuk-summary-list">
<div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">Average</dt><dd class="nhsuk-summary-list__value" data-home-bp>${Math.round(p.homeBp.systolic)}/${Math.round(p.homeBp.diastolic)} mmHg over ${p.homeBp.days} days (${p.homeBp.count} readings, ${date(p.homeBp.fromMs)} to ${date(p.homeBp.toMs)})</dd></div>
<div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">NICE stage</dt><dd class="nhsuk-summary-list__value">${STAGE[p.homeBp.classification]}</dd></div></dl>`
    : html`<p>Not enough readings for a home average: ${p.homeBp.reason}.</p>`
}
${homeBpRuns(p.homeBpRuns)}

<h2>Alerts</h2>
${alertTimeline(o.alerts, (a) => alertActions(viewer, nhs, a, p.colleagues))}

<h2>Thresholds</h2>
<table class="nhsuk-table"><caption class="nhsuk-table__caption nhsuk-u-visually-hidden">Alert thresholds</caption>
<thead class="nhsuk-table__head"><tr class="nhsuk-table__row"><th scope="col" class="nhsuk-table__header">Rule</th><th scope="col" class="nhsuk-table__header">Measurement</th><th scope="col" class="nhsuk-table__header">Alert when</th><th scope="col" class="nhsuk-table__header">Set by</th><th scope="col" class="nhsuk-table__header">Change</th></tr></thead>
<tbody class="nhsuk-table__body">${p.thresholds.map(
    (t) => html`<tr class="nhsuk-table__row"><td class="nhsuk-table__cell">${t.ruleId}</td><td class="nhsuk-table__cell">${metricLabel(t.metric)}</td>
<td class="nhsuk-table__cell">${t.above === undefined ? '' : `above ${metricValue(t.metric, t.above)}`}${t.below === undefined ? '' : `below ${metricValue(t.metric, t.below)}`}</td>
<td class="nhsuk-table__cell">${t.override === undefined ? 'Device profile' : `${t.override.setBy}, ${dateTime(t.override.setAtMs)}`}</td>
<td class="nhsuk-table__cell"><form method="post" action="/patients/${nhs}/thresholds/${t.ruleId}" class="app-inline-form">${csrfField(viewer)}
<label class="nhsuk-label" for="thr-${t.ruleId}">New ${t.above !== undefined ? 'upper' : 'lower'} limit<span class="nhsuk-u-visually-hidden"> for ${t.ruleId}</span></label>
<input class="nhsuk-input nhsuk-input--width-4" id="thr-${t.ruleId}" name="${t.above !== undefined ? 'above' : 'below'}" type="number" step="any" inputmode="decimal" required>
<button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="submit">Save<span class="nhsuk-u-visually-hidden"> the limit for ${t.ruleId}</span></button></form></td></tr>`,
  )}</tbody></table>

<h2>Recent readings</h2>
${recentReadings(viewer, nhs, p.recent)}

<h2>NEWS2 SpO2 scale</h2>
<form method="post" action="/patients/${nhs}/spo2-scale" class="app-inline-form">${csrfField(viewer)}
<div class="nhsuk-form-group"><fieldset class="nhsuk-fieldset"><legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">Which SpO2 scale scores this patient?</legend>
<div class="nhsuk-radios">
<div class="nhsuk-radios__item"><input class="nhsuk-radios__input" id="scale-1" name="scale" type="radio" value="1"${p.spo2Scale === 1 ? html` checked` : ''}><label class="nhsuk-label nhsuk-radios__label" for="scale-1">Scale 1 (most patients)</label></div>
<div class="nhsuk-radios__item"><input class="nhsuk-radios__input" id="scale-2" name="scale" type="radio" value="2"${p.spo2Scale === 2 ? html` checked` : ''}><label class="nhsuk-label nhsuk-radios__label" for="scale-2">Scale 2 (target 88 to 92%, for example hypercapnic respiratory failure)</label></div>
</div></fieldset></div>
<button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="submit">Save scale</button></form>

<h2>Research use</h2>
<p>${p.researchOptOut === undefined ? 'No opt-out recorded: pseudonymised data may be used for research.' : p.researchOptOut.optedOut ? `Opted out since ${dateTime(p.researchOptOut.setAtMs)} (${p.researchOptOut.source}): left out of every research extract.` : `Opted in again since ${dateTime(p.researchOptOut.setAtMs)} (${p.researchOptOut.source}).`}</p>
<form method="post" action="/patients/${nhs}/research-opt-out" class="app-inline-form">${csrfField(viewer)}
<input type="hidden" name="optedOut" value="${p.researchOptOut?.optedOut === true ? 'no' : 'yes'}">
<div class="nhsuk-form-group"><label class="nhsuk-label" for="opt-out-source">Source of the decision</label>
<input class="nhsuk-input nhsuk-input--width-20" id="opt-out-source" name="source" type="text" value="patient request" required maxlength="200"></div>
<button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="submit">${p.researchOptOut?.optedOut === true ? 'Record that the patient opts in again' : 'Record that the patient opts out'}</button></form>

<h2>Devices</h2>
${devicesTable(p.devices)}
`;
  return layout({ title: `Patient ${nhsNumber(nhs)}`, viewer, body });
}

/** Every monitoring run of the last 12 weeks with its average and NICE stage, newest first. */
function homeBpRuns(runs: PatientDetail['homeBpRuns']): Html {
  if (runs.length < 2) return html``;
  return html`<table class="nhsuk-table" data-home-bp-runs><caption class="nhsuk-table__caption nhsuk-table__caption--s">Monitoring runs in the last 12 weeks</caption>
<thead class="nhsuk-table__head"><tr class="nhsuk-table__row"><th scope="col" class="nhsuk-table__header">Run</th><th scope="col" class="nhsuk-table__header">Days</th><th scope="col" class="nhsuk-table__header">Average</th><th scope="col" class="nhsuk-table__header">NICE stage</th></tr></thead>
<tbody class="nhsuk-table__body">${runs.map(
    (r) => html`<tr class="nhsuk-table__row"><td class="nhsuk-table__cell">${date(r.fromMs)} to ${date(r.toMs)}</td><td class="nhsuk-table__cell">${r.average.days}</td>
<td class="nhsuk-table__cell">${r.average.enough ? `${Math.round(r.average.systolic)}/${Math.round(r.average.diastolic)} mmHg (${r.average.count} readings)` : 'Not enough readings'}</td>
<td class="nhsuk-table__cell">${r.average.enough ? STAGE[r.average.classification] : r.average.reason}</td></tr>`,
  )}</tbody></table>`;
}

function recentReadings(viewer: Viewer, nhs: string, recent: PatientDetail['recent']): Html {
  if (recent.length === 0) return html`<p>No readings yet.</p>`;
  return html`<table class="nhsuk-table"><caption class="nhsuk-table__caption nhsuk-u-visually-hidden">Recent readings, newest first</caption>
<thead class="nhsuk-table__head"><tr class="nhsuk-table__row"><th scope="col" class="nhsuk-table__header">Taken</th><th scope="col" class="nhsuk-table__header">Values</th><th scope="col" class="nhsuk-table__header">Device</th><th scope="col" class="nhsuk-table__header">Wrong reading?</th></tr></thead>
<tbody class="nhsuk-table__body">${recent.map(
    (r) => html`<tr class="nhsuk-table__row" data-reading="${r.id}" data-status="${r.status}"><td class="nhsuk-table__cell">${dateTime(r.takenAtMs)}</td>
<td class="nhsuk-table__cell">${r.status === 'entered-in-error' ? html`<s>${r.values.map((v) => `${metricLabel(v.metric)} ${metricValue(v.metric, v.value)}`).join(', ')}</s> <strong class="nhsuk-tag nhsuk-tag--grey">Retracted</strong>` : r.values.map((v) => `${metricLabel(v.metric)} ${metricValue(v.metric, v.value)}`).join(', ')}</td>
<td class="nhsuk-table__cell">${r.deviceId}</td>
<td class="nhsuk-table__cell">${
      r.status === 'entered-in-error'
        ? ''
        : html`<form method="post" action="/patients/${nhs}/readings/${r.id}/retract" class="app-inline-form">${csrfField(viewer)}<label class="nhsuk-label" for="retract-${r.id}">Reason<span class="nhsuk-u-visually-hidden"> for retracting the reading of ${dateTime(r.takenAtMs)}</span></label><input class="nhsuk-input nhsuk-input--width-20" id="retract-${r.id}" name="reason" type="text" required> <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="submit">Retract<span class="nhsuk-u-visually-hidden"> the reading of ${dateTime(r.takenAtMs)}</span></button></form>`
    }</td></tr>`,
  )}</tbody></table>`;
}

export function devicesTable(devices: PatientDetail['devices']): Html {
  if (devices.length === 0) return html`<p>No devices.</p>`;
  return html`<table class="nhsuk-table"><caption class="nhsuk-table__caption nhsuk-u-visually-hidden">Devices</caption>
<thead class="nhsuk-table__head"><tr class="nhsuk-table__row"><th scope="col" class="nhsuk-table__header">Device</th><th scope="col" class="nhsuk-table__header">Type</th><th scope="col" class="nhsuk-table__header">Status</th><th scope="col" class="nhsuk-table__header">Last reading</th><th scope="col" class="nhsuk-table__header">Battery</th><th scope="col" class="nhsuk-table__header">Clock</th></tr></thead>
<tbody class="nhsuk-table__body">${devices.map(
    (d) => html`<tr class="nhsuk-table__row" data-device="${d.deviceId}"><td class="nhsuk-table__cell">${d.deviceId}</td><td class="nhsuk-table__cell">${d.profileId}</td>
<td class="nhsuk-table__cell">${d.status === 'revoked' ? 'Revoked' : d.stale ? html`<strong class="nhsuk-tag nhsuk-tag--grey">Silent</strong>` : 'Active'}</td>
<td class="nhsuk-table__cell">${d.lastReadingAtMs === undefined ? 'None yet' : dateTime(d.lastReadingAtMs)}</td>
<td class="nhsuk-table__cell">${d.batteryPct === undefined ? 'Not reported' : `${d.batteryPct}%`}</td>
<td class="nhsuk-table__cell">${d.clockOffsetMs === undefined ? 'Not reported' : `${d.clockDrift ? 'Off by ' : ''}${Math.round(d.clockOffsetMs / 1000)} s`}</td></tr>`,
  )}</tbody></table>`;
}
