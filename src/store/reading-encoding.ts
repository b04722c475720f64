import type { ReadingRow } from '../domain/index.js';

/**
 * A reading as bound to the INSERT, column values in order, then its metrics and values side by
 * side (for rollups): compact to hand to the writer thread.
 */
export type ReadingTuple = readonly [
  key: string,
  deviceId: string,
  patientNhs: string,
  profileId: string,
  valuesJson: string,
  takenAt: number,
  deviceTakenAt: number,
  receivedAt: number,
  clockOffsetMs: number | null,
  messageId: string | null,
  payloadSha256: string | null,
  metrics: readonly string[],
  values: readonly number[],
  units: readonly string[],
];

/**
 * Groups a batch's values into readings (a reading's values come together and share its key; a
 * metric seen again starts another reading, which its key then refuses as a duplicate) and encodes
 * each as one row: values as JSON `{metric: [value, unit, unit sent?]}`.
 */
export function toReadings(rows: readonly ReadingRow[]): ReadingTuple[] {
  const out: ReadingTuple[] = [];
  let i = 0;
  while (i < rows.length) {
    const first = rows[i] as ReadingRow;
    const metrics: string[] = [];
    const values: number[] = [];
    const units: string[] = [];
    const json: Record<string, readonly (number | string)[]> = {};
    let sha = first.payloadSha256;
    for (; i < rows.length; i++) {
      const r = rows[i] as ReadingRow;
      if (r.idempotencyKey !== first.idempotencyKey || Object.hasOwn(json, r.metric)) break;
      metrics.push(r.metric);
      values.push(r.value);
      units.push(r.unit);
      json[r.metric] = r.sourceUnit === undefined ? [r.value, r.unit] : [r.value, r.unit, r.sourceUnit];
      sha ??= r.payloadSha256;
    }
    out.push([
      first.idempotencyKey,
      first.deviceId,
      first.patientNhs,
      first.profileId,
      JSON.stringify(json),
      first.takenAtMs,
      first.deviceTakenAtMs,
      first.receivedAtMs,
      first.clockOffsetMs ?? null,
      first.messageId ?? null,
      sha ?? null,
      metrics,
      values,
      units,
    ]);
  }
  return out;
}

/**
 * A reading's values JSON after an amendment (`after`: metric → new value; others unchanged), and
 * its values as they were (kept as the values first stored, once).
 */
export function amendedValues(valuesJson: string, after: Readonly<Record<string, number>> | undefined): { values: Record<string, [number, ...string[]]>; valuesJson: string; firstJson: string } {
  const values = JSON.parse(valuesJson) as Record<string, [number, ...string[]]>;
  const firstJson = JSON.stringify(Object.fromEntries(Object.entries(values).map(([m, v]) => [m, v[0]])));
  for (const [metric, value] of Object.entries(after ?? {})) {
    const v = values[metric];
    if (v !== undefined) v[0] = value;
  }
  return { values, valuesJson: JSON.stringify(values), firstJson };
}

/** One patient's values of one metric in one minute: [patient, metric, minute, min, max, sum, count]. */
export type MinuteRollup = [patient: string, metric: string, minute: number, min: number, max: number, sum: number, count: number];

/** Adds a value to its minute's rollup in `minutes` (keyed by patient, metric and minute). */
export function addToMinute(minutes: Map<string, MinuteRollup>, patient: string, metric: string, takenAtMs: number, value: number): void {
  const minute = Math.floor(takenAtMs / 60_000);
  const key = `${patient}|${metric}|${minute}`;
  const m = minutes.get(key);
  if (m === undefined) minutes.set(key, [patient, metric, minute, value, value, value, 1]);
  else {
    m[3] = Math.min(m[3], value);
    m[4] = Math.max(m[4], value);
    m[5] += value;
    m[6] += 1;
  }
}
