import { GatewayError } from '../../domain/index.js';
import type { PgDatabase } from './database.js';

/**
 * Versioned schema migrations for PostgreSQL, the same tables as the SQLite store's (times in ms
 * since epoch as BIGINT). `vg_schema` holds the number applied; each runs in its own transaction
 * under an advisory lock, so gateways starting together migrate once. Append only.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE devices (
     id TEXT PRIMARY KEY,
     profile_id TEXT NOT NULL,
     patient_nhs TEXT NOT NULL,
     serial TEXT,
     secret_hash TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
     created_at BIGINT NOT NULL,
     revoked_at BIGINT,
     secret_rotated_at BIGINT,
     ble_address TEXT
   );
   CREATE INDEX devices_patient ON devices (patient_nhs);
   CREATE UNIQUE INDEX devices_ble_address ON devices (ble_address) WHERE ble_address IS NOT NULL AND status = 'active';
   CREATE TABLE device_health (
     device_id TEXT PRIMARY KEY REFERENCES devices (id),
     last_seen_at BIGINT,
     last_reading_at BIGINT,
     battery_pct DOUBLE PRECISION,
     signal_dbm DOUBLE PRECISION,
     firmware TEXT,
     clock_offset_ms BIGINT,
     clock_drift BOOLEAN NOT NULL DEFAULT false,
     status_at BIGINT
   );
   CREATE TABLE ble_record_cursors (
     device_id TEXT PRIMARY KEY REFERENCES devices (id),
     last_sequence BIGINT NOT NULL,
     updated_at BIGINT NOT NULL
   );
   CREATE TABLE dead_letters (
     id BIGSERIAL PRIMARY KEY,
     device_id TEXT,
     topic TEXT NOT NULL,
     received_at BIGINT NOT NULL,
     payload BYTEA NOT NULL,
     payload_bytes INTEGER NOT NULL,
     payload_sha256 TEXT NOT NULL,
     issues JSONB NOT NULL
   );
   CREATE INDEX dead_letters_device ON dead_letters (device_id, id);`,
];

/** The schema version this build writes. */
export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** An arbitrary constant naming the gateway's migration lock. */
const MIGRATION_LOCK = 0x76670001;

/** Applies the migrations after the database's version. */
export async function migratePg(db: PgDatabase): Promise<void> {
  for (;;) {
    const applied = await db.transaction(async (tx) => {
      // Under the lock: two gateways creating the version table at once would collide.
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await tx.execute('CREATE TABLE IF NOT EXISTS vg_schema (version INTEGER NOT NULL)');
      const rows = await tx.query('SELECT version FROM vg_schema');
      const current = rows.length === 0 ? 0 : Number(rows[0]?.['version']);
      if (current > PG_SCHEMA_VERSION) {
        throw new GatewayError('GW_STORE_NEWER_SCHEMA', `store schema version ${current} is newer than this gateway's ${PG_SCHEMA_VERSION}; upgrade the gateway`);
      }
      if (current === PG_SCHEMA_VERSION) return false;
      try {
        await tx.query(MIGRATIONS[current] as string);
      } catch (cause) {
        throw new GatewayError('GW_STORE_MIGRATION_FAILED', `migration ${current + 1} failed: ${String(cause)}`, { cause });
      }
      if (rows.length === 0) await tx.execute('INSERT INTO vg_schema (version) VALUES ($1)', [current + 1]);
      else await tx.execute('UPDATE vg_schema SET version = $1', [current + 1]);
      return true;
    });
    if (!applied) return;
  }
}
