import { patientPseudonym, type Clock, type Reading } from '../../domain/index.js';
import type { Config } from '../../config/index.js';
import type { Logger } from '../../observability/index.js';
import type { DeviceContext, OutputPlanner, PlannedOutput } from '../../pipeline/index.js';
import type { DeviceProfile } from '../../profiles/index.js';
import type { OutboxResult } from '../../store/reading-store.js';
import { OutboxSender, type OutboxRow, type OutboxSource, type SenderMetrics } from '../outbox/index.js';
import { readingPoint } from './point.js';
import { InfluxPointSink, seriesKey, toLine } from './sink.js';

export const INFLUX_SINK = 'influx';

/**
 * Outbox rows (each one commit's points) read at a time. Under load a commit holds hundreds of
 * points, so a read fills several requests of `batchSize` points: a request's own cost (its gzip
 * stream above all) is shared by thousands of points rather than hundreds (docs/benchmarks.md).
 */
const OUTBOX_ROWS_PER_SEND = 64;

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
 * for every reading, so the series key (measurement and escaped tags) is built once per device; the
 * store completes the line from the reading it writes (`completeLines`: fields and time), making the
 * line `toLine(readingPoint(…))` makes (a property test holds them equal). A corrected reading is
 * not in the commit that carries its entry: its line is made whole here.
 */
export function influxPlanner(key: Uint8Array): OutputPlanner {
  const pseudonym = pseudonymizer(key);
  // The same entry for every reading of a device: kept by device context (a connection's: its
  // device, patient and profile stay), else by their ids.
  const byContext = new WeakMap<DeviceContext, readonly PlannedOutput[]>();
  const byIds = new Map<string, readonly PlannedOutput[]>();
  return (device, reading, _payload, correction) => {
    // An amended reading is written again: the same series and time overwrite the point. The write
    // API cannot delete, so a retracted reading's point stays (the gateway's store and FHIR say so).
    if (reading.values.length === 0 || correction?.status === 'entered-in-error') return [];
    const { profile } = device;
    if (correction !== undefined) return [{ sink: INFLUX_SINK, payload: toLine(readingPoint(profile, reading, pseudonym(reading.patientNhs))) }];
    let planned = byContext.get(device);
    if (planned === undefined) {
      const ids = `${device.deviceId}|${profile.id}|${device.patientNhs}`;
      planned = byIds.get(ids);
      if (planned === undefined) {
        const { measurement, tags } = readingPoint(profile, reading, pseudonym(device.patientNhs));
        byIds.set(ids, (planned = Object.freeze([Object.freeze({ sink: INFLUX_SINK, payload: seriesKey(measurement, tags), completion: 'line-protocol' as const })])));
      }
      byContext.set(device, planned);
    }
    return planned;
  };
}

/** Stored readings as whole lines (a backfill: the readings are not in the commits that carry them). */
export function influxLines(key: Uint8Array): (profile: DeviceProfile, reading: Reading) => string {
  const pseudonym = pseudonymizer(key);
  return (profile, reading) => toLine(readingPoint(profile, reading, pseudonym(reading.patientNhs)));
}

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
