import { readingEnd, type ReadingRow } from '../domain/index.js';

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

/** A reading's columns up to its payload hash: the first 11 of a {@link ReadingTuple}. */
type ReadingColumns = readonly [string, string, string, string, string, number, number, number, number | null, string | null, string | null];

/**
 * Groups a batch's values into readings ({@link readingEnd}) and encodes
 * each as one row: values as JSON `{metric: [value, unit, unit sent?]}`. `each` gets the reading's
 * columns and the index range of its rows. The JSON is written out, not built as an object and
 * stringified (a third of the cost, per reading, on the thread that serves MQTT); it is what
 * `JSON.stringify` makes of that object, since metric names start with a letter (the profile
 * schema) and an object keeps such keys in the order they came.
 */
function eachReading(rows: readonly ReadingRow[], each: (columns: ReadingColumns, from: number, to: number) => void): void {
  for (let from = 0; from < rows.length; ) {
    const to = readingEnd(rows, from);
    const first = rows[from] as ReadingRow;
    let json = '{';
    let sha = first.payloadSha256;
    for (let i = from; i < to; i++) {
      const r = rows[i] as ReadingRow;
      json += `${i === from ? '' : ','}${quoted(r.metric)}:[${jsonNumber(r.value)},${quoted(r.unit)}${r.sourceUnit === undefined ? ']' : `,${quoted(r.sourceUnit)}]`}`;
      sha ??= r.payloadSha256;
    }
    each(
      [
        first.idempotencyKey,
        first.deviceId,
        first.patientNhs,
        first.profileId,
        `${json}}`,
        first.takenAtMs,
        first.deviceTakenAtMs,
        first.receivedAtMs,
        first.clockOffsetMs ?? null,
        first.messageId ?? null,
        sha ?? null,
      ],
      from,
      to,
    );
    from = to;
  }
}

/** Metric names and units as JSON strings; there are few of them. */
const QUOTED = new Map<string, string>();
function quoted(s: string): string {
  let q = QUOTED.get(s);
  if (q === undefined) {
    q = JSON.stringify(s);
    if (QUOTED.size < 10_000) QUOTED.set(s, q);
  }
  return q;
}

/** A number as `JSON.stringify` writes it (`null` when not finite). */
const jsonNumber = (v: number): string => (Number.isFinite(v) ? String(v) : 'null');

/** A batch's values grouped into readings ({@link eachReading}), each as a {@link ReadingTuple}. */
export function toReadings(rows: readonly ReadingRow[]): ReadingTuple[] {
  const out: ReadingTuple[] = [];
  eachReading(rows, (columns, from, to) => {
    const own = rows.slice(from, to);
    out.push([...columns, own.map((r) => r.metric), own.map((r) => r.value), own.map((r) => r.unit)]);
  });
  return out;
}

/**
 * Readings as handed to the writer thread: {@link PACKED_FIELDS} entries per reading, a
 * {@link ReadingTuple}'s columns up to the payload hash, in one flat array. Structured clone copies
 * a flat array of primitives several times faster than an array of tuples holding arrays (0.5
 * against 3.3 µs per reading, measured on a commit of 830 BP readings); the metrics, values and
 * units the rollups need are read back from the values JSON on the writer's side.
 */
export type PackedReadings = (string | number | null)[];
const PACKED_FIELDS = 11;

/** {@link toReadings}, packed: the same grouping, without the per-reading arrays. */
export function packReadings(rows: readonly ReadingRow[]): PackedReadings {
  const out: PackedReadings = [];
  eachReading(rows, (columns) => {
    for (const c of columns) out.push(c);
  });
  return out;
}

/** The tuples {@link packReadings} packed, their metrics, values and units read from each values JSON. */
export function unpackReadings(packed: PackedReadings): ReadingTuple[] {
  const out: ReadingTuple[] = [];
  for (let i = 0; i < packed.length; i += PACKED_FIELDS) {
    const valuesJson = packed[i + 4] as string;
    const parsed = JSON.parse(valuesJson) as Record<string, [number, string, string?]>;
    const metrics: string[] = [];
    const values: number[] = [];
    const units: string[] = [];
    for (const metric in parsed) {
      const v = parsed[metric] as [number, string, string?];
      metrics.push(metric);
      values.push(v[0]);
      units.push(v[1]);
    }
    out.push([
      packed[i] as string,
      packed[i + 1] as string,
      packed[i + 2] as string,
      packed[i + 3] as string,
      valuesJson,
      packed[i + 5] as number,
      packed[i + 6] as number,
      packed[i + 7] as number,
      packed[i + 8] as number | null,
      packed[i + 9] as string | null,
      packed[i + 10] as string | null,
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

