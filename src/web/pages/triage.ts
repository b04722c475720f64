import type { PatientRow, TriagePage } from '../../care/service.js';
import type { TriageFilter } from '../../care/triage.js';
import { date, dateTime, metricLabel, metricValue, nhsNumber, time } from '../format.js';
import { Html, html } from '../html.js';
import { layout, type Viewer } from './layout.js';
import { sparkline } from './svg-chart.js';

/** What each filter is called on the page. */
export const FILTER_LABELS: Readonly<Record<TriageFilter, string>> = { all: 'All patients', alerts: 'With open alerts', news2: 'NEWS2 needs a response', stale: 'No recent data' };

const TIER_TAG = [
  ['nhsuk-tag--red', 'Critical alert'],
  ['nhsuk-tag--orange', 'Warning alert'],
  ['nhsuk-tag--yellow', 'NEWS2 response'],
  ['nhsuk-tag--grey', 'Stale data'],
  ['nhsuk-tag--white', 'Routine'],
] as const;

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

const ARROW = {
  left: 'M10.7 6.3c.4.4.4 1 0 1.4L7.4 11H19a1 1 0 0 1 0 2H7.4l3.3 3.3c.4.4.4 1 0 1.4a1 1 0 0 1-1.4 0l-5-5A1 1 0 0 1 4 12c0-.3.1-.5.3-.7l5-5a1 1 0 0 1 1.4 0Z',
  right: 'm14.7 6.3 5 5c.2.2.3.4.3.7 0 .3-.1.5-.3.7l-5 5a1 1 0 0 1-1.4-1.4l3.3-3.3H5a1 1 0 0 1 0-2h11.6l-3.3-3.3a1 1 0 1 1 1.4-1.4Z',
} as const;

function arrow(side: keyof typeof ARROW): Html {
  return html`<svg class="nhsuk-icon nhsuk-icon--arrow-${side}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16" focusable="false" aria-hidden="true"><path d="${ARROW[side]}"/></svg>`;
}

/** The NHS.UK pagination pattern (previous and next, each with its page's range). */
function pagination(t: TriagePage): Html {
  const href = (offset: number) => `/?${new URLSearchParams({ ...(t.filter === 'all' ? {} : { filter: t.filter }), ...(offset === 0 ? {} : { page: String(offset / t.limit + 1) }) }).toString()}`.replace(/\?$/, '');
  const range = (offset: number) => `${(offset + 1).toLocaleString('en-GB')} to ${Math.min(t.total, offset + t.limit).toLocaleString('en-GB')}`;
  const prev = t.offset > 0 ? Math.max(0, t.offset - t.limit) : undefined;
  const next = t.offset + t.limit < t.total ? t.offset + t.limit : undefined;
  if (prev === undefined && next === undefined) return html``;
  return html`<nav class="nhsuk-pagination" role="navigation" aria-label="Pages of patients"><ul class="nhsuk-list nhsuk-pagination__list">
${prev === undefined ? '' : html`<li class="nhsuk-pagination-item--previous"><a class="nhsuk-pagination__link nhsuk-pagination__link--prev" href="${href(prev)}" rel="prev"><span class="nhsuk-pagination__title">Previous<span class="nhsuk-u-visually-hidden"> page</span></span><span class="nhsuk-u-visually-hidden">:</span> <span class="nhsuk-pagination__page">Patients ${range(prev)}</span>${arrow('left')}</a></li>`}
${next === undefined ? '' : html`<li class="nhsuk-pagination-item--next"><a class="nhsuk-pagination__link nhsuk-pagination__link--next" href="${href(next)}" rel="next"><span class="nhsuk-pagination__title">Next<span class="nhsuk-u-visually-hidden"> page</span></span><span class="nhsuk-u-visually-hidden">:</span> <span class="nhsuk-pagination__page">Patients ${range(next)}</span>${arrow('right')}</a></li>`}
</ul></nav>`;
}

/** The home page: the clinician's patients by urgency, a page at a time, with filters; updates live. */
export function triagePage(o: { viewer: Viewer; triage: TriagePage; nowMs: number }): Html {
  const t = o.triage;
  const shown = t.patients;
  const status = t.total === 0 ? 'No patients' : `Patients ${(t.offset + 1).toLocaleString('en-GB')} to ${(t.offset + shown.length).toLocaleString('en-GB')} of ${t.total.toLocaleString('en-GB')}`;
  const body = html`<h1>Your patients</h1>
<form method="get" action="/" class="app-filters">
  <div class="nhsuk-form-group"><label class="nhsuk-label" for="filter">Show</label>
  <select class="nhsuk-select" id="filter" name="filter">${Object.entries(FILTER_LABELS).map(([k, v]) => html`<option value="${k}"${k === t.filter ? new Html(' selected') : ''}>${v} (${t.counts[k as TriageFilter].toLocaleString('en-GB')})</option>`)}</select>
  <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="submit">Apply</button></div>
</form>
<p class="app-muted" id="triage-status" role="status" aria-live="polite">${status}${t.filter === 'all' ? '' : ` (${FILTER_LABELS[t.filter].toLowerCase()}; ${t.counts.all.toLocaleString('en-GB')} in all)`}, most urgent first. Updated ${time(o.nowMs)}.</p>
<div id="triage" data-live="triage">
<table class="nhsuk-table app-triage">
<caption class="nhsuk-table__caption nhsuk-u-visually-hidden">Patients by urgency</caption>
<thead class="nhsuk-table__head"><tr class="nhsuk-table__row">
<th scope="col" class="nhsuk-table__header">Patient</th><th scope="col" class="nhsuk-table__header">Urgency</th><th scope="col" class="nhsuk-table__header">Latest values</th><th scope="col" class="nhsuk-table__header">7 days</th><th scope="col" class="nhsuk-table__header">Last reviewed</th>
</tr></thead>
<tbody class="nhsuk-table__body">
${shown.map((r) => row(r, o.nowMs))}
</tbody></table>
${pagination(t)}
</div>`;
  return layout({ title: 'Your patients', viewer: o.viewer, body });
}

function row(r: PatientRow, nowMs: number): Html {
  const [tagClass, tagText] = TIER_TAG[r.tier];
  return html`<tr class="nhsuk-table__row" data-patient="${r.patientNhs}" data-tier="${r.tier}">
<td class="nhsuk-table__cell"><a href="/patients/${r.patientNhs}">${nhsNumber(r.patientNhs)}</a></td>
<td class="nhsuk-table__cell"><strong class="nhsuk-tag ${tagClass}">${tagText}${r.criticalAlerts + r.warningAlerts > 1 ? ` (${r.criticalAlerts + r.warningAlerts})` : ''}</strong> ${badges(r)}</td>
<td class="nhsuk-table__cell">${latest(r)}</td>
<td class="nhsuk-table__cell">${sparkline(r.spark, nowMs - 7 * 86_400_000, nowMs, `${r.sparkMetric === undefined ? 'No readings' : metricLabel(r.sparkMetric)} over the last 7 days`)}</td>
<td class="nhsuk-table__cell">${r.lastReview === undefined ? html`<span class="app-muted">Not yet</span>` : html`${r.lastReview.by}, ${dateTime(r.lastReview.atMs)}`}</td>
</tr>`;
}
