// vitals-gateway web app: NHS.UK frontend components, charts (uPlot) and live updates (server-sent events).
import { initAll } from '/assets/nhsuk/nhsuk-frontend.min.js';
import uPlot from '/assets/uplot/uPlot.esm.js';

initAll();

const COLOURS = ['#005eb8', '#d5281b', '#007f3b', '#330072'];
const LABELS = { systolic: 'Systolic', diastolic: 'Diastolic', heartRate: 'Heart rate', spo2: 'SpO2', bodyTemperature: 'Temperature', bodyWeight: 'Weight', bloodGlucose: 'Glucose' };
const ukTime = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/**
 * The time axis in UK style (`3 Dec`, `14:00`, 24-hour) rather than uPlot's US default: for each
 * tick increment (seconds), the label, then the label where the year, month, day, hour, minute or
 * second changes, then 1 (append it to the label) [uPlot axis.values, NHS content style: dates].
 */
const D = 86_400;
const UK_AXIS = [
  [D * 365, '{YYYY}', null, null, null, null, null, null, 1],
  [D * 28, '{MMM}', '\n{YYYY}', null, null, null, null, null, 1],
  [D, '{D} {MMM}', '\n{YYYY}', null, null, null, null, null, 1],
  [3600, '{HH}:{mm}', '\n{D} {MMM} {YYYY}', null, '\n{D} {MMM}', null, null, null, 1],
  [60, '{HH}:{mm}', '\n{D} {MMM} {YYYY}', null, '\n{D} {MMM}', null, null, null, 1],
  [1, ':{ss}', '\n{D} {MMM} {YYYY} {HH}:{mm}', null, '\n{D} {MMM} {HH}:{mm}', null, '\n{HH}:{mm}', null, 1],
];

/** [[x seconds], [values of metric 1], …] from each metric's series (points, or buckets' min and max). */
function toColumns(metrics, results) {
  const rows = new Map();
  results.forEach((r, i) => {
    const pairs = 'points' in r ? r.points.filter((p) => p.status !== 'entered-in-error').map((p) => [p.takenAtMs, p.value]) : r.buckets.flatMap((b) => [[b.fromMs, b.min], [b.toMs, b.max]]);
    for (const [t, v] of pairs) {
      const row = rows.get(t) ?? new Array(metrics.length).fill(null);
      row[i] = v;
      rows.set(t, row);
    }
  });
  const xs = [...rows.keys()].sort((a, b) => a - b);
  return [xs.map((t) => t / 1000), ...metrics.map((_, i) => xs.map((t) => rows.get(t)[i]))];
}

/** Shades the expected band (between the alert thresholds) behind the lines. */
function bandPlugin(band) {
  return {
    hooks: {
      drawClear: (u) => {
        if (!band) return;
        const { ctx, bbox } = u;
        const top = u.valToPos(band.high, 'y', true);
        const bottom = u.valToPos(band.low, 'y', true);
        ctx.save();
        ctx.fillStyle = 'rgba(0, 127, 59, 0.08)';
        ctx.fillRect(bbox.left, Math.max(bbox.top, top), bbox.width, Math.min(bbox.top + bbox.height, bottom) - Math.max(bbox.top, top));
        ctx.restore();
      },
    },
  };
}

async function drawCharts() {
  const cfgEl = document.getElementById('chart-config');
  if (!cfgEl) return;
  const cfg = JSON.parse(cfgEl.textContent);
  window.vgCharts = {};
  for (const el of document.querySelectorAll('.app-chart')) {
    const metrics = el.dataset.metrics.split(',');
    const results = await Promise.all(
      metrics.map((m) => fetch(`/api/v1/patients/${cfg.patient}/readings?metric=${m}&from=${cfg.fromMs}&to=${cfg.toMs + 1}&maxPoints=2000`, { headers: { accept: 'application/json' } }).then((r) => (r.ok ? r.json() : undefined))),
    );
    if (results.includes(undefined)) {
      el.textContent = 'The readings could not be loaded: reload the page to try again.';
      continue;
    }
    const data = toColumns(metrics, results);
    const count = data[0].length;
    window.vgCharts[el.dataset.chart] = { metrics, data };
    el.dataset.points = String(count);
    el.setAttribute('role', 'img');
    const last = count === 0 ? '' : `; latest ${metrics.map((m, i) => `${LABELS[m] ?? m} ${data[i + 1][count - 1] ?? '–'}`).join(', ')} ${el.dataset.unit} at ${ukTime.format(data[0][count - 1] * 1000)}`;
    el.setAttribute('aria-label', `${count} points${last}`);
    el.replaceChildren();
    if (count === 0) {
      el.textContent = 'No readings in this period.';
      continue;
    }
    const band = cfg.bands[metrics[0]] ?? undefined;
    const width = Math.max(280, el.clientWidth || 600);
    new uPlot(
      {
        width,
        height: 220,
        scales: { x: { time: true, range: [cfg.fromMs / 1000, cfg.toMs / 1000] } },
        series: [{ value: (_u, v) => (v == null ? '' : ukTime.format(v * 1000)) }, ...metrics.map((m, i) => ({ label: LABELS[m] ?? m, stroke: COLOURS[i], width: 2, spanGaps: true, points: { show: count < 200 } }))],
        axes: [{ values: UK_AXIS }, { label: el.dataset.unit }],
        plugins: [bandPlugin(band)],
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Europe/London'),
      },
      data,
      el,
    );
  }
}

/**
 * Re-renders the page's main content from the server (after a live event), keeping the scroll
 * position. An event during a refresh runs one more after it: the page fetched may predate it.
 */
let refreshing;
let again = false;
function refresh() {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    const res = await fetch(location.href, { headers: { accept: 'text/html' } });
    if (!res.ok) return;
    const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
    const next = doc.querySelector('main');
    const main = document.querySelector('main');
    if (!next || !main) return;
    main.replaceChildren(...next.childNodes);
    initAll({ scope: main });
    await drawCharts();
  })().finally(() => {
    refreshing = undefined;
    if (again) {
      again = false;
      void refresh();
    }
  });
  return refreshing;
}

/**
 * Someone filling in a form keeps the page as it is: the refresh waits until focus leaves the
 * form (then it runs once, however many events came meanwhile), rather than being dropped.
 */
let waiting = false;
function refreshWhenNotEditing() {
  const main = document.querySelector('main');
  const editing = () => Boolean(main?.contains(document.activeElement?.closest('form') ?? null));
  if (!editing()) return void refresh();
  if (waiting) return;
  waiting = true;
  const onFocusOut = () =>
    setTimeout(() => {
      if (editing()) return;
      main.removeEventListener('focusout', onFocusOut);
      waiting = false;
      void refresh();
    });
  main.addEventListener('focusout', onFocusOut);
}

function live() {
  const onTriage = document.querySelector('[data-live="triage"]');
  const patient = document.querySelector('[data-patient]')?.dataset.patient;
  if (!onTriage && !patient) return;
  const events = new EventSource('/api/v1/events');
  const handle = (e) => {
    const event = JSON.parse(e.data);
    if (onTriage || event.patientNhs === patient) refreshWhenNotEditing();
  };
  events.addEventListener('readings', handle);
  events.addEventListener('alert', handle);
  window.vgLive = events;
}

void drawCharts();
live();
