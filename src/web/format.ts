/** How the app shows things, as NHS services do [NHS digital service manual: content style guide]. */

const ZONE = 'Europe/London';
const DATE = new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, day: 'numeric', month: 'short', year: 'numeric' });
const TIME = new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** `9434765919` → `943 476 5919`. */
export function nhsNumber(nhs: string): string {
  return nhs.length === 10 ? `${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}` : nhs;
}

/** `3 Dec 2026` (UK local date; the style guide drops the full stop of "Dec."). */
export function date(ms: number): string {
  return DATE.format(ms).replace(/\.$/, '');
}

const DAY_MONTH = new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, day: 'numeric', month: 'short' });

/** `3 Dec` (UK local date, no year: a chart's axis). */
export function dayMonth(ms: number): string {
  return DAY_MONTH.format(ms).replace(/\.$/, '');
}

/** `14:05` in UK local time, 24-hour. */
export function time(ms: number): string {
  return TIME.format(ms);
}

/** `3 Dec 2026 at 14:05`. */
export function dateTime(ms: number): string {
  return `${date(ms)} at ${time(ms)}`;
}

const LABELS: Record<string, { label: string; unit: string; digits: number }> = {
  systolic: { label: 'Systolic BP', unit: 'mmHg', digits: 0 },
  diastolic: { label: 'Diastolic BP', unit: 'mmHg', digits: 0 },
  heartRate: { label: 'Heart rate', unit: 'bpm', digits: 0 },
  pulse: { label: 'Pulse', unit: 'bpm', digits: 0 },
  spo2: { label: 'SpO2', unit: '%', digits: 0 },
  bodyTemperature: { label: 'Temperature', unit: '°C', digits: 1 },
  bodyWeight: { label: 'Weight', unit: 'kg', digits: 1 },
  bloodGlucose: { label: 'Glucose', unit: 'mmol/L', digits: 1 },
  respiratoryRate: { label: 'Respiratory rate', unit: '/min', digits: 0 },
};

export function metricLabel(metric: string): string {
  return LABELS[metric]?.label ?? metric;
}

/** A value with its unit, rounded as the metric is read (`36.8 °C`, `128 mmHg`). */
export function metricValue(metric: string, value: number): string {
  const l = LABELS[metric];
  return l === undefined ? String(value) : `${value.toFixed(l.digits)} ${l.unit}`;
}
