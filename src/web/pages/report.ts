import { bandOf, type PatientDetail } from '../../care/service.js';
import type { AlertEvent, PointValue, SeriesBucket } from '../../store/sqlite/index.js';
import type { AlertRecord } from '../../store/reading-store.js';
import { date, dateTime, metricLabel, nhsNumber } from '../format.js';
import { html, type Html } from '../html.js';
import { layout, type Viewer } from './layout.js';
import { alertTimeline, CHARTS, devicesTable } from './patient.js';
import { printChart } from './svg-chart.js';

export type Series = { points: PointValue[] } | { buckets: SeriesBucket[] };

const asPoints = (s: Series | undefined) =>
  s === undefined ? [] : 'points' in s ? s.points.filter((p) => p.status !== 'entered-in-error').map((p) => ({ atMs: p.takenAtMs, value: p.value })) : s.buckets.map((b) => ({ atMs: b.toMs, value: b.mean }));

/**
 * The printable report (print it to PDF from the browser): the patient in the header, the period,
 * home BP averages with their stage, charts drawn as SVG, the alert history and the devices.
 */
export function reportPage(o: { viewer: Viewer; p: PatientDetail; alerts: readonly (AlertRecord & { events: readonly AlertEvent[] })[]; series: ReadonlyMap<string, Series>; fromMs: number; toMs: number }): Html {
  const { p } = o;
  const body = html`<div class="app-report">
<header class="app-report__header"><h1>Remote monitoring report</h1>
<p class="nhsuk-body-l">NHS number <strong>${nhsNumber(p.patientNhs)}</strong></p>
<p>Period: ${date(o.fromMs)} to ${date(o.toMs)}. Printed ${dateTime(o.toMs)} by ${o.viewer.name}.</p>
<p class="app-no-print"><a href="/patients/${p.patientNhs}">Back to the patient</a>. Use your browser's Print to save it as a PDF.</p></header>
<h2>Home blood pressure</h2>
${p.homeBp.enough ? html`<p data-home-bp>Average ${Math.round(p.homeBp.systolic)}/${Math.round(p.homeBp.diastolic)} mmHg over ${p.homeBp.days} days (${p.homeBp.count} readings): ${p.homeBp.classification === 'normal' ? 'normal' : p.homeBp.classification === 'stage-1' ? 'stage 1 hypertension' : 'stage 2 hypertension'} (NICE NG136).</p>` : html`<p>No home average: ${p.homeBp.reason}.</p>`}
<h2>Charts</h2>
${CHARTS.filter((c) => c.metrics.some((m) => o.series.has(m))).map((c) =>
  printChart({
    title: c.title,
    unit: c.unit,
    fromMs: o.fromMs,
    toMs: o.toMs,
    band: bandOf(p.thresholds, c.metrics[0]),
    lines: c.metrics.map((m, i) => ({ label: metricLabel(m), points: asPoints(o.series.get(m)), className: `app-line app-line--${i}` })),
  }),
)}
<h2>Alerts</h2>
${alertTimeline(o.alerts)}
<h2>Devices</h2>
${devicesTable(p.devices)}
</div>`;
  return layout({ title: `Report ${nhsNumber(p.patientNhs)}`, viewer: o.viewer, body });
}
