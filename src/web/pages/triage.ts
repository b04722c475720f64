import type { PatientRow } from '../../care/service.js';
import { date, dateTime, metricLabel, metricValue, nhsNumber, time } from '../format.js';
import { Html, html } from '../html.js';
import { layout, type Viewer } from './layout.js';
import { sparkline } from './svg-chart.js';

export const TRIAGE_FILTERS = { all: 'All patients', alerts: 'With open alerts', news2: 'NEWS2 needs a response', stale: 'No recent data' } as const;
export type TriageFilter = keyof typeof TRIAGE_FILTERS;

const TIER_TAG = [
  ['nhsuk-tag--red', 'Critical alert'],
  ['nhsuk-tag--orange', 'Warning alert'],
  ['nhsuk-tag--yellow', 'NEWS2 response'],
  ['nhsuk-tag--grey', 'Stale data'],
  ['nhsuk-tag--white', 'Routine'],
] as const;

export function keep(filter: TriageFilter, r: PatientRow): boolean {
  if (filter === 'alerts') return r.criticalAlerts + r.warningAlerts > 0;
  if (filter === 'news2') return r.news2Response;
  if (filter === 'stale') return r.staleForMs !== undefined;
  return true;
}

function badges(r: PatientRow): Html[] {
  const out: Html[] = [];
  if (r.news2 !== undefined) out.push(html`<strong class="nhsuk-tag nhsuk-tag--blue">NEWS2 ${r.news2.total}${r.news2.partial ? ' (partial)' : ''}</strong>`);
  if (r.staleForMs !== undefined && r.silentHours !== undefined) out.push(html`<strong class="nhsuk-tag nhsuk-tag--grey">No data for ${r.silentHours} hours</strong>`);
  if (r.clockOff) out.push(html`<strong class="nhsuk-tag nhsuk-tag--purple">Device clock off</strong>`);
  if (r.batteryLow) out.push(html`<strong class="nhsuk-tag nhsuk-tag--pink">Battery low</strong>`);
  return out;
}

function latest(r: PatientRow): Html {
  if (r.latest.length === 0) return html`<span class="app-muted">No readings</span>`;
  return html`<ul class="nhsuk-list app-compact">${r.latest.map((l) => html`<li>${metricLabel(l.metric)} <strong>${metricValue(l.metric, l.value)}</strong> <span class="app-muted">${date(l.takenAtMs)} ${time(l.takenAtMs)}</span></li>`)}</ul>`;
}

/** The home page: the clinician's patients by urgency, with filters; updates live. */
export function triagePage(o: { viewer: Viewer; rows: readonly PatientRow[]; filter: TriageFilter; nowMs: number }): Html {
  const shown = o.rows.filter((r) => keep(o.filter, r));
  const body = html`<h1>Your patients</h1>
<form method="get" action="/" class="app-filters">
  <div class="nhsuk-form-group"><label class="nhsuk-label" for="filter">Show</label>
  <select class="nhsuk-select" id="filter" name="filter">${Object.entries(TRIAGE_FILTERS).map(([k, v]) => html`<option value="${k}"${k === o.filter ? new Html(' selected') : ''}>${v}</option>`)}</select>
  <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="submit">Apply</button></div>
</form>
<p class="app-muted" id="triage-status" role="status" aria-live="polite">${shown.length} of ${o.rows.length} patients, most urgent first. Updated ${time(o.nowMs)}.</p>
<div id="triage" data-live="triage">
<table class="nhsuk-table app-triage">
<caption class="nhsuk-table__caption nhsuk-u-visually-hidden">Patients by urgency</caption>
<thead class="nhsuk-table__head"><tr class="nhsuk-table__row">
<th scope="col" class="nhsuk-table__header">Patient</th><th scope="col" class="nhsuk-table__header">Urgency</th><th scope="col" class="nhsuk-table__header">Latest values</th><th scope="col" class="nhsuk-table__header">7 days</th><th scope="col" class="nhsuk-table__header">Last reviewed</th>
</tr></thead>
<tbody class="nhsuk-table__body">
${shown.map((r) => {
  const [tagClass, tagText] = TIER_TAG[r.tier];
  return html`<tr class="nhsuk-table__row" data-patient="${r.patientNhs}" data-tier="${r.tier}">
<td class="nhsuk-table__cell"><a href="/patients/${r.patientNhs}">${nhsNumber(r.patientNhs)}</a></td>
<td class="nhsuk-table__cell"><strong class="nhsuk-tag ${tagClass}">${tagText}${r.criticalAlerts + r.warningAlerts > 1 ? ` (${r.criticalAlerts + r.warningAlerts})` : ''}</strong> ${badges(r)}</td>
<td class="nhsuk-table__cell">${latest(r)}</td>
<td class="nhsuk-table__cell">${sparkline(r.spark, o.nowMs - 7 * 86_400_000, o.nowMs, `${r.sparkMetric === undefined ? 'No readings' : metricLabel(r.sparkMetric)} over the last 7 days`)}</td>
<td class="nhsuk-table__cell">${r.lastReview === undefined ? html`<span class="app-muted">Not yet</span>` : html`${r.lastReview.by}, ${dateTime(r.lastReview.atMs)}`}</td>
</tr>`;
})}
</tbody></table>
</div>`;
  return layout({ title: 'Your patients', viewer: o.viewer, body });
}

