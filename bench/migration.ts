/**
 * Migrating a store to one row per reading: a store as the last schema version before it wrote it
 * (one row per value, with its rollups and latest values), 1,000 devices with a year of BP readings
 * (three values each), opened by this gateway, which migrates it to its own version. Reported: the
 * time per million stored values, and that every value and reading came through.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../src/store/sqlite/index.js';
import { migrate, ONE_ROW_PER_READING_VERSION, SCHEMA_VERSION } from '../src/store/sqlite/migrations.js';
import { progress } from './progress.js';

const DAY = 86_400_000;
/** The version written: the last that stored one row per value. */
const FROM_VERSION = ONE_ROW_PER_READING_VERSION - 1;

/** The store's size: devices, and BP readings of each. */
export interface MigrationSize {
  readonly devices: number;
  readonly readingsPerDevice: number;
}

export interface MigrationBenchResult {
  readonly values: number;
  readonly readings: number;
  readonly seconds: number;
  readonly secondsPerMillionValues: number;
  readonly ok: boolean;
}

/** Writes a store of one row per value: devices, per-value readings (keys `time|device|metric|mN`), rollups, latest values. */
function previousStore(file: string, now: number, { devices: DEVICES, readingsPerDevice: READINGS_PER_DEVICE }: MigrationSize): number {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    migrate(db, FROM_VERSION);
    db.exec(`
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${DEVICES - 1})
      INSERT INTO devices (id, profile_id, patient_nhs, secret_hash, status, created_at) SELECT 'cuff-' || i, 'bp-upper-arm', printf('9%09d', i), 'x', 'active', 0 FROM n;
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${DEVICES * READINGS_PER_DEVICE - 1}),
        r AS (SELECT i, i % ${DEVICES} AS d, ${now - 365 * DAY} + (i / ${DEVICES}) * ${Math.floor((365 * DAY) / READINGS_PER_DEVICE)} + (i % ${DEVICES}) * 1000 AS t FROM n),
        m(metric, unit, base) AS (VALUES ('systolic', 'mm[Hg]', 115), ('diastolic', 'mm[Hg]', 70), ('pulse', '/min', 55))
      INSERT INTO readings (idempotency_key, device_id, patient_nhs, profile_id, metric, value, unit, taken_at, device_taken_at, received_at, message_id)
        SELECT printf('%015d', t) || '|cuff-' || d || '|' || metric || '|m' || i, 'cuff-' || d, printf('9%09d', d), 'bp-upper-arm', metric, base + i % 40, unit, t, t, t + 500, i
        FROM r, m ORDER BY i;
      INSERT INTO reading_rollups SELECT patient_nhs, metric, taken_at / 60000, MIN(value), MAX(value), SUM(value), COUNT(*) FROM readings GROUP BY patient_nhs, metric, taken_at / 60000;
      INSERT INTO latest_values SELECT patient_nhs, metric, id, device_id, value, unit, MAX(taken_at) FROM readings GROUP BY patient_nhs, metric;`);
    return (db.prepare('SELECT COUNT(*) AS n FROM readings').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

export async function benchMigration(size: MigrationSize = { devices: 1_000, readingsPerDevice: 1_000 }): Promise<MigrationBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vg-bench-migration-'));
  try {
    const file = join(dir, 'gateway.db');
    progress(`migration: writing a version ${FROM_VERSION} store, ${size.devices.toLocaleString('en-GB')} devices × ${size.readingsPerDevice.toLocaleString('en-GB')} BP readings`);
    const values = previousStore(file, Date.now(), size);
    progress(`migration: opening it (${values.toLocaleString('en-GB')} values) with this gateway`);
    const started = performance.now();
    const store = new SqliteStore(file);
    const seconds = (performance.now() - started) / 1000;
    const carried = store.readings.count();
    const readings = store.readings.readingCount();
    store.close();
    return { values, readings, seconds, secondsPerMillionValues: seconds / (values / 1e6), ok: carried === values && readings * 3 === values };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatMigration(r: MigrationBenchResult): string {
  return [
    `Store migration to one row per reading (schema ${FROM_VERSION} → ${SCHEMA_VERSION}, one transaction each)`,
    `  ${r.values.toLocaleString('en-GB')} values → ${r.readings.toLocaleString('en-GB')} readings in ${r.seconds.toFixed(1)} s: ${r.secondsPerMillionValues.toFixed(1)} s per million values  ${r.ok ? 'every value carried over' : 'VALUES LOST'}`,
  ].join('\n');
}
