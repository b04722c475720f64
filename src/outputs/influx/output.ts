import { patientPseudonym, type Clock, type ReadingValue } from '../../domain/index.js';
import type { Config } from '../../config/index.js';
import type { Logger } from '../../observability/index.js';
import type { OutputPlanner } from '../../pipeline/index.js';
import type { OutboxResult } from '../../store/reading-store.js';
import { OutboxSender, type OutboxRow, type OutboxSource, type SenderMetrics } from '../outbox/index.js';
import { readingPoint } from './point.js';
import { InfluxPointSink, seriesKey } from './sink.js';

export const INFLUX_SINK = 'influx';

/** Outbox rows (each one commit's points) read per send cycle. */
const OUTBOX_ROWS_PER_SEND = 8;

/** Patient pseudonyms under one key, remembered per NHS number. */
export function pseudonymizer(key: Uint8Array): (nhsNumber: string) => string {
  const known = new Map<string, string>();
  return (nhs) => {
    let p = known.get(nhs);
    if (p === undefined) known.set(nhs, (p = patientPseudonym(key, nhs)));
    return p;
  };
}

/**
 * Plans one InfluxDB point per stored reading (written to the outbox with the reading). This runs
 * for every reading, so the series key (measurement and escaped tags) is built once per device and
 * the line assembled from it — the same line `toLine(readingPoint(…))` makes (a test holds them equal). Metric
 * names need no escaping: the profile schema allows only letters and digits.
 */
export function influxPlanner(key: Uint8Array): OutputPlanner {
  const pseudonym = pseudonymizer(key);
  const series = new Map<string, string>();
  const orders = new Map<string, FieldOrder>();
  return ({ profile }, reading, _payload, correction) => {
    // An amended reading is written again: the same series and time overwrite the point. The write
    // API cannot delete, so a retracted reading's point stays (the gateway's store and FHIR say so).
    if (reading.values.length === 0 || correction?.status === 'entered-in-error') return [];
    const id = `${reading.deviceId}|${profile.id}|${reading.patientNhs}`;
    let prefix = series.get(id);
    if (prefix === undefined) {
      const { measurement, tags } = readingPoint(profile, reading, pseudonym(reading.patientNhs));
      series.set(id, (prefix = seriesKey(measurement, tags)));
    }
    return [{ sink: INFLUX_SINK, payload: `${prefix} ${fields(profile.id, reading.values, orders)} ${Math.trunc(reading.takenAtMs)}` }];
  };
}

/** The order of a reading's values with their metric names sorted, by the metrics it came with. */
interface FieldOrder {
  readonly metrics: readonly string[];
  readonly order: readonly number[];
}

/**
 * A line's fields, `metric=value` sorted by metric as `Point` sorts them. A device's readings come
 * with the same metrics in the same order, so the sorted order is kept for the last sequence seen
 * per profile and worked out again only when the sequence changes.
 */
function fields(profileId: string, values: readonly ReadingValue[], orders: Map<string, FieldOrder>): string {
  let known = orders.get(profileId);
  if (known === undefined || !sameMetrics(known.metrics, values)) {
    const metrics = values.map((r) => r.metric);
    const order = metrics.map((_, i) => i).sort((a, b) => compare(metrics[a] as string, metrics[b] as string));
    orders.set(profileId, (known = { metrics, order }));
  }
  let line = '';
  for (const i of known.order) {
    const r = values[i] as ReadingValue;
    line += line === '' ? `${r.metric}=${String(r.value)}` : `,${r.metric}=${String(r.value)}`;
  }
  return line;
}

function sameMetrics(metrics: readonly string[], values: readonly ReadingValue[]): boolean {
  if (metrics.length !== values.length) return false;
  for (let i = 0; i < values.length; i++) if ((values[i] as ReadingValue).metric !== metrics[i]) return false;
  return true;
}

/** Code-unit order, as `Array.prototype.sort` orders strings. */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The sender that ships the InfluxDB outbox through the official client. */
export function influxSender(
  config: Config['influx'] & { url: string },
  outbox: OutboxSource,
  record: (results: readonly OutboxResult[]) => Promise<unknown>,
  clock: Clock,
  metrics: SenderMetrics,
  log: Logger,
): { sender: OutboxSender; sink: InfluxPointSink } {
  const sink = new InfluxPointSink({ url: config.url, token: config.token, org: config.org, bucket: config.bucket, timeoutMs: config.timeoutMs, batchSize: config.batchSize });
  // Each outbox row holds one commit's points, one line each, already a valid request body:
  // rows are sent whole, several to a request up to `batchSize` points (a larger row is split).
  const deliver = async (rows: readonly OutboxRow[]): Promise<number> => {
    let body: string[] = [];
    let points = 0;
    let total = 0;
    const send = async (): Promise<void> => {
      if (body.length > 0) await sink.writeLines(body, points);
      total += points;
      body = [];
      points = 0;
    };
    for (const row of rows) {
      if (row.items > config.batchSize) {
        await send();
        const lines = row.payload.split('\n');
        for (let i = 0; i < lines.length; i += config.batchSize) await sink.writeLines(lines.slice(i, i + config.batchSize), Math.min(config.batchSize, lines.length - i));
        total += lines.length;
        continue;
      }
      if (points + row.items > config.batchSize) await send();
      body.push(row.payload);
      points += row.items;
    }
    await send();
    return total;
  };
  const options = { sink: INFLUX_SINK, batchSize: OUTBOX_ROWS_PER_SEND, pollIntervalMs: config.flushIntervalMs, backoff: { baseMs: config.retryBaseMs, maxMs: config.retryMaxMs } };
  return { sink, sender: new OutboxSender(options, outbox, deliver, record, clock, Math.random, metrics, log) };
}
