import type { ReadingTuple } from './reading-encoding.js';
import type { OutboxEntry } from './reading-store.js';

/**
 * A commit's outbox entries with those planned as the start of an InfluxDB line-protocol line
 * (`completion: 'line-protocol'`, the series key) completed from their reading:
 * `<series key> <fields> <time>`, the fields the reading's values sorted by metric as the client's
 * `Point` sorts them, the time its milliseconds. Done where the readings are written, from the values
 * already unpacked for the row, so the thread serving MQTT neither builds nor copies the rest of
 * each line. Metric names need no escaping: the profile schema allows only letters and digits.
 * (A property test holds the line equal to the client's.)
 */
export function completeLines(entries: readonly OutboxEntry[], readings: readonly ReadingTuple[]): readonly OutboxEntry[] {
  let out: OutboxEntry[] | undefined;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as OutboxEntry;
    if (e.completion === undefined) {
      out?.push(e);
      continue;
    }
    const reading = readings[e.firstReading];
    if (e.readingCount !== 1 || reading === undefined) throw new RangeError(`a ${e.completion} entry is completed from one reading of its commit`);
    out ??= entries.slice(0, i);
    out.push({ sink: e.sink, payload: `${e.payload} ${fields(reading)} ${Math.trunc(reading[5])}`, firstReading: e.firstReading, readingCount: 1 });
  }
  return out ?? entries;
}

/** The order of a reading's values with their metric names sorted, by the metrics it came with. */
interface FieldOrder {
  readonly metrics: readonly string[];
  readonly order: readonly number[];
}

/**
 * The sorted order is kept for the last sequence of metrics seen per profile (a device's readings
 * come with the same metrics in the same order) and worked out again only when the sequence changes.
 */
const ORDERS = new Map<string, FieldOrder>();

/** A reading's fields, `metric=value` sorted by metric. */
function fields(reading: ReadingTuple): string {
  const profileId = reading[3];
  const metrics = reading[11];
  const values = reading[12];
  let known = ORDERS.get(profileId);
  if (known === undefined || !same(known.metrics, metrics)) {
    const order = metrics.map((_, i) => i).sort((a, b) => compare(metrics[a] as string, metrics[b] as string));
    if (ORDERS.size < 10_000) ORDERS.set(profileId, (known = { metrics, order }));
    else known = { metrics, order };
  }
  let line = '';
  for (const i of known.order) line += `${line === '' ? '' : ','}${metrics[i] as string}=${String(values[i])}`;
  return line;
}

function same(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Code-unit order, as `Array.prototype.sort` orders strings. */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
