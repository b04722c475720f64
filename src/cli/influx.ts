import { GatewayError, readingsOf } from '../domain/index.js';
import { INFLUX_SINK, influxLines } from '../outputs/influx/index.js';
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
    const lineOf = influxLines(loadSecretKey(config.pseudonymKeyFile, { create: config.store.postgres === undefined }));
    let queued = 0;
    let skipped = 0;
    let pending: OutboxEntry[] = [];
    const flush = async (): Promise<void> => {
      if (pending.length > 0) await store.readings.commit({ readings: [], deadLetters: [], health: [], outbox: pending });
      queued += pending.length;
      pending = [];
    };
    // Rows come in (time, reading, position) order: a reading's rows together.
    for (const reading of readingsOf(await store.readings.query({ sinceMs }))) {
      const profile = profiles.get(reading.profileId);
      if (profile === undefined) {
        skipped += 1;
        continue;
      }
      // The line the output writes at ingest; no rows in this commit, so every entry is kept.
      if (reading.values.length > 0) pending.push({ sink: INFLUX_SINK, payload: lineOf(profile, reading), firstReading: 0, readingCount: 0 });
      if (pending.length >= ENTRIES_PER_COMMIT) await flush();
    }
    await flush();
    const result = { queued, skippedUnknownProfile: skipped, since: new Date(sinceMs).toISOString() };
    if (o.json) stdout.json(result);
    else stdout.line(`queued ${queued} points for InfluxDB (readings since ${result.since})${skipped ? `; ${skipped} skipped: profile no longer loaded` : ''}`);
  });
}
