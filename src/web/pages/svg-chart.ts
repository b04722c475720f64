import { dayMonth, time } from '../format.js';
import { html, type Html } from '../html.js';

export interface Line {
  readonly label: string;
  readonly points: readonly { readonly atMs: number; readonly value: number }[];
  /** A CSS class for its stroke (the stylesheet's colours meet WCAG contrast on white). */
  readonly className: string;
}

/**
 * A 7-day sparkline for the triage list: a path, no axes, the latest value marked (so a single
 * reading shows too); its text alternative says what it shows.
 */
export function sparkline(points: readonly { atMs: number; value: number }[], fromMs: number, toMs: number, label: string): Html {
  if (points.length === 0) return html`<span class="app-muted">No readings in 7 days</span>`;
  const w = 120;
  const h = 28;
  const values = points.map((p) => p.value);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const x = (t: number) => (((t - fromMs) / Math.max(1, toMs - fromMs)) * (w - 4) + 2).toFixed(1);
  const y = (v: number) => (hi === lo ? h / 2 : h - 2 - ((v - lo) / (hi - lo)) * (h - 4)).toFixed(1);
  const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.atMs)} ${y(p.value)}`).join(' ');
  const last = points[points.length - 1] as { atMs: number; value: number };
  return html`<svg class="app-spark" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${label}"><path d="${d}"/><circle cx="${x(last.atMs)}" cy="${y(last.value)}" r="2.5"/></svg>`;
}

/**
 * A print-ready chart (the report): lines over a time axis with dated ticks, the threshold band
 * drawn behind them, and a key naming each line (told apart by dashes as well as colour, so a
 * greyscale print still reads [WCAG 1.4.1]). Server-drawn SVG, so the PDF holds vectors and needs
 * no script.
 */
export function printChart(o: { title: string; lines: readonly Line[]; fromMs: number; toMs: number; band?: { low: number; high: number } | undefined; unit: string }): Html {
  const all = o.lines.flatMap((l) => l.points.map((p) => p.value)).concat(o.band === undefined ? [] : [o.band.low, o.band.high]);
  if (o.lines.every((l) => l.points.length === 0)) return html`<p class="app-muted">${o.title}: no readings in this period.</p>`;
  const w = 640;
  const h = 180;
  const left = 44;
  const bottom = 22;
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  const pad = (hi - lo) * 0.1 || 1;
  lo -= pad;
  hi += pad;
  const x = (t: number) => left + ((t - o.fromMs) / Math.max(1, o.toMs - o.fromMs)) * (w - left - 8);
  const y = (v: number) => 6 + (1 - (v - lo) / (hi - lo)) * (h - bottom - 6);
  const ticks = [lo + pad, (lo + hi) / 2, hi - pad];
  const spanMs = o.toMs - o.fromMs;
  const timeTicks = [0, 1, 2, 3, 4].map((k) => o.fromMs + (spanMs * k) / 4);
  const timeLabel = (t: number) => (spanMs <= 2 * 86_400_000 ? `${dayMonth(t)} ${time(t)}` : dayMonth(t));
  const key = o.lines.length < 2 ? '' : html`: ${o.lines.map((l, i) => html`${i === 0 ? '' : ', '}<span class="app-key ${l.className}">${l.label}</span>`)}`;
  return html`<figure class="app-print-chart"><figcaption>${o.title} (${o.unit})${key}</figcaption>
<svg viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="${o.title}, ${timeLabel(o.fromMs)} to ${timeLabel(o.toMs)}">
${o.band === undefined ? '' : html`<rect class="app-band" x="${left}" width="${w - left - 8}" y="${y(o.band.high).toFixed(1)}" height="${(y(o.band.low) - y(o.band.high)).toFixed(1)}"/>`}
${ticks.map((t) => html`<text class="app-axis" x="${left - 4}" y="${y(t).toFixed(1)}" text-anchor="end" dominant-baseline="middle">${t.toFixed(hi - lo < 10 ? 1 : 0)}</text>`)}
<line class="app-axis-line" x1="${left}" x2="${w - 8}" y1="${h - bottom}" y2="${h - bottom}"/>
${timeTicks.map((t, k) => html`<line class="app-axis-line" x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${h - bottom}" y2="${h - bottom + 4}"/><text class="app-axis" x="${x(t).toFixed(1)}" y="${h - 4}" text-anchor="${k === 0 ? 'start' : k === 4 ? 'end' : 'middle'}">${timeLabel(t)}</text>`)}
${o.lines.map((l) => html`<path class="${l.className}" d="${l.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.atMs).toFixed(1)} ${y(p.value).toFixed(1)}`).join(' ')}"/>`)}
</svg></figure>`;
}
