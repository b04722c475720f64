import { GatewayError, type ReadingRow } from '../domain/index.js';
import { influxPlanner } from '../outputs/influx/index.js';
import { loadSecretKey } from '../outputs/secret-key.js';
import { loadProfiles } from '../profiles/index.js';
import type { OutboxEntry } from '../store/reading-store.js';
import { withAnyStore, type GlobalOptions } from './context.js';
import { stdout } from './output.js';

const ENTRIES_PER_COMMIT = 5_000;

/**
 * `vitals-gateway influx backfill --since <date>`: queues one point per stored reading taken since
 * the date into the InfluxDB outbox; a gateway running with InfluxDB configured sends them (now, or
 * when it next starts). Rewriting a point is idempotent, so overlapping backfills are harmless.
 */
export async function influxBackfill(global: GlobalOptions, o: { since: string; json?: boolean | undefined }): Promise<void> {
  const sinceMs = Date.parse(o.since);
  if (Number.isNaN(sinceMs)) throw new GatewayError('GW_CONFIG_INVALID', `--since: "${o.since}" is not a date`);
  await withAnyStore(global, async (store, config) => {
    const profiles = loadProfiles(config.profilesDir);
    // On PostgreSQL the workers share the pseudonym key: it is read, never made here.
    const plan = influxPlanner(loadSecretKey(config.pseudonymKeyFile, { create: config.store.postgres === undefined }));
    let queued = 0;
    let skipped = 0;
    let pending: OutboxEntry[] = [];
    const flush = async (): Promise<void> => {
      if (pending.length > 0) await store.readings.commit({ readings: [], deadLetters: [], health: [], outbox: pending });
      queued += pending.length;
      pending = [];
    };
    for (const rows of readingsOf(await store.readings.query({ sinceMs }))) {
      const profile = profiles.get((rows[0] as ReadingRow).profileId);
      if (profile === undefined) {
        skipped += 1;
        continue;
      }
      // The same planning as at ingest; no rows in this commit, so every entry is kept.
      for (const o of plan({ deviceId: (rows[0] as ReadingRow).deviceId, patientNhs: (rows[0] as ReadingRow).patientNhs, profile }, rows, Buffer.alloc(0))) pending.push({ ...o, firstReading: 0, readingCount: 0 });
      if (pending.length >= ENTRIES_PER_COMMIT) await flush();
    }
    await flush();
    const result = { queued, skippedUnknownProfile: skipped, since: new Date(sinceMs).toISOString() };
    if (o.json) stdout.json(result);
    else stdout.line(`queued ${queued} points for InfluxDB (readings since ${result.since})${skipped ? `; ${skipped} skipped: profile no longer loaded` : ''}`);
  });
}

/** Groups stored values back into readings: same device, device time and message. */
function* readingsOf(rows: readonly ReadingRow[]): Generator<ReadingRow[]> {
  const groups = new Map<string, ReadingRow[]>();
  for (const r of rows) {
    const key = `${r.deviceId}|${r.deviceTakenAtMs}|${r.messageId ?? ''}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [r]);
    else group.push(r);
  }
  yield* groups.values();
}
