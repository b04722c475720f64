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
  // 2: accounts, the patients each clinician looks after, clinicians' per-patient choices, alerts
  // with every change of state, and the running breaches of duration rules.
  `CREATE TABLE clinicians (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
     role TEXT NOT NULL DEFAULT 'clinician' CHECK (role IN ('clinician', 'operator', 'admin')),
     webhook_url TEXT,
     created_at BIGINT NOT NULL,
     revoked_at BIGINT
   );
   CREATE TABLE clinician_patients (
     clinician_id TEXT NOT NULL REFERENCES clinicians (id),
     patient_nhs TEXT NOT NULL,
     assigned_at BIGINT NOT NULL,
     PRIMARY KEY (clinician_id, patient_nhs)
   );
   CREATE INDEX clinician_patients_patient ON clinician_patients (patient_nhs);
   CREATE TABLE patient_overrides (
     patient_nhs TEXT NOT NULL,
     rule_id TEXT NOT NULL,
     above DOUBLE PRECISION,
     below DOUBLE PRECISION,
     clear_at DOUBLE PRECISION,
     set_by TEXT NOT NULL,
     set_at BIGINT NOT NULL,
     PRIMARY KEY (patient_nhs, rule_id)
   );
   CREATE TABLE patient_settings (
     patient_nhs TEXT PRIMARY KEY,
     spo2_scale SMALLINT NOT NULL CHECK (spo2_scale IN (1, 2)),
     set_by TEXT NOT NULL,
     set_at BIGINT NOT NULL
   );
   CREATE TABLE alerts (
     id TEXT PRIMARY KEY,
     key TEXT NOT NULL,
     patient_nhs TEXT NOT NULL,
     device_id TEXT,
     rule_id TEXT NOT NULL,
     severity TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
     message TEXT NOT NULL,
     value DOUBLE PRECISION,
     opened_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL,
     escalation_level INTEGER NOT NULL DEFAULT 0,
     snoozed_until BIGINT,
     observation_id TEXT,
     assigned_to TEXT
   );
   -- At most one unresolved alert per condition (patient, device, rule), whichever gateway opens it.
   CREATE UNIQUE INDEX alerts_unresolved ON alerts (key) WHERE state != 'resolved';
   CREATE INDEX alerts_patient ON alerts (patient_nhs, opened_at);
   CREATE TABLE alert_events (
     id BIGSERIAL PRIMARY KEY,
     alert_id TEXT NOT NULL REFERENCES alerts (id),
     at BIGINT NOT NULL,
     state TEXT NOT NULL,
     by TEXT NOT NULL,
     note TEXT
   );
   CREATE INDEX alert_events_alert ON alert_events (alert_id, id);
   CREATE TABLE alert_breaches (
     key TEXT PRIMARY KEY,
     since_at BIGINT NOT NULL
   );`,
  // 3: the outputs' outbox: a commit's payloads for a sink in one row (one per line), alert
  // deliveries one row each in their lane; ids only grow (a sender reads on from the last it sent).
  `CREATE TABLE outbox (
     id BIGSERIAL PRIMARY KEY,
     sink TEXT NOT NULL,
     payload TEXT NOT NULL,
     items INTEGER NOT NULL,
     created_at BIGINT NOT NULL,
     state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'dead')),
     last_error TEXT,
     lane TEXT
   );
   CREATE INDEX outbox_pending ON outbox (sink, state, id);
   CREATE INDEX outbox_lanes ON outbox (sink, state, lane, id) WHERE lane IS NOT NULL;`,
  // 4: readings, one row each (values as JSON, in the order they came: json, not jsonb), keyed by
  // the reading's key; corrections; which profiles carry each metric; the audit trail; derived
  // Observations and where their derivation has read to.
  `CREATE TABLE readings (
     id BIGSERIAL PRIMARY KEY,
     reading_key TEXT NOT NULL UNIQUE,
     device_id TEXT NOT NULL REFERENCES devices (id),
     patient_nhs TEXT NOT NULL,
     profile_id TEXT NOT NULL,
     values_json JSON NOT NULL,
     taken_at BIGINT NOT NULL,
     device_taken_at BIGINT NOT NULL,
     received_at BIGINT NOT NULL,
     clock_offset_ms BIGINT,
     message_id TEXT,
     payload_sha256 TEXT,
     status TEXT NOT NULL DEFAULT 'final' CHECK (status IN ('final', 'amended', 'entered-in-error')),
     first_values_json JSON
   );
   CREATE INDEX readings_patient_profile_time ON readings (patient_nhs, profile_id, taken_at);
   CREATE VIEW reading_values AS
     SELECT r.id, r.reading_key, r.device_id, r.patient_nhs, r.profile_id, v.key AS metric, (v.value ->> 0)::double precision AS value,
       v.value ->> 1 AS unit, v.value ->> 2 AS source_unit, r.taken_at, r.device_taken_at, r.received_at, r.clock_offset_ms, r.message_id,
       r.payload_sha256, r.status, (r.first_values_json ->> v.key)::double precision AS first_value, v.position
     FROM readings r CROSS JOIN LATERAL json_each(r.values_json) WITH ORDINALITY AS v (key, value, position);
   CREATE TABLE profile_metrics (
     metric TEXT NOT NULL,
     profile_id TEXT NOT NULL,
     PRIMARY KEY (metric, profile_id)
   );
   CREATE TABLE corrections (
     id BIGSERIAL PRIMARY KEY,
     device_id TEXT NOT NULL,
     reading_key TEXT NOT NULL,
     action TEXT NOT NULL CHECK (action IN ('retract', 'amend')),
     before JSON NOT NULL,
     after JSON,
     reason TEXT,
     requested_by TEXT NOT NULL,
     at BIGINT NOT NULL
   );
   CREATE INDEX corrections_reading ON corrections (reading_key);
   CREATE TABLE audit (
     id BIGSERIAL PRIMARY KEY,
     at BIGINT NOT NULL,
     actor TEXT NOT NULL,
     role TEXT NOT NULL,
     action TEXT NOT NULL,
     patient_nhs TEXT,
     target TEXT,
     address TEXT,
     outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'refused'))
   );
   CREATE INDEX audit_patient ON audit (patient_nhs, at) WHERE patient_nhs IS NOT NULL;
   CREATE INDEX audit_actor ON audit (actor, at);
   CREATE TABLE patient_reviews (
     patient_nhs TEXT PRIMARY KEY,
     by TEXT NOT NULL,
     at BIGINT NOT NULL
   );
   CREATE TABLE derived_observations (
     key TEXT PRIMARY KEY,
     patient_nhs TEXT NOT NULL,
     period_start BIGINT NOT NULL,
     period_end BIGINT NOT NULL,
     status TEXT NOT NULL,
     content TEXT NOT NULL,
     observation TEXT,
     updated_at BIGINT NOT NULL
   );
   CREATE INDEX derived_patient ON derived_observations (patient_nhs, period_start);
   CREATE TABLE derivation_state (
     name TEXT PRIMARY KEY,
     last_reading_id BIGINT NOT NULL,
     last_correction_id BIGINT NOT NULL
   );`,
  // 5: outbox entries claimed by one sender at a time among several gateways, for a lease: a
  // sender that dies leaves its claims to expire, and another sends them.
  `ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
   ALTER TABLE outbox ADD COLUMN claimed_until BIGINT;`,
  // 6: device and account secrets hashed as an external broker's password file holds them.
  `CREATE TABLE broker_credentials (
     username TEXT PRIMARY KEY,
     password_hash TEXT NOT NULL,
     updated_at BIGINT NOT NULL
   );`,
  // 7: lanes of a laned sink (alert deliveries: one per recipient) held by one sender at a time
  // among several gateways, for a lease, so a lane's entries go in order and once.
  `CREATE TABLE outbox_lane_claims (
     sink TEXT NOT NULL,
     lane TEXT NOT NULL,
     claimed_by TEXT NOT NULL,
     claimed_until BIGINT NOT NULL,
     PRIMARY KEY (sink, lane)
   );`,
  // 8: when the reading that opened (or last changed) an alert was taken: an older reading
  // arriving later (another worker's) never resolves it.
  `ALTER TABLE alerts ADD COLUMN sample_at BIGINT;`,
  // 9: what the web app keeps when several workers serve it: API tokens (their SHA-256 only),
  // browser sessions (their token's SHA-256 only), and patients' research opt-outs.
  `CREATE TABLE api_tokens (
     id TEXT PRIMARY KEY,
     account_id TEXT NOT NULL REFERENCES clinicians (id),
     token_hash TEXT NOT NULL UNIQUE,
     name TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     revoked_at BIGINT
   );
   CREATE TABLE web_sessions (
     digest TEXT PRIMARY KEY,
     account_id TEXT NOT NULL,
     csrf TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     last_used_at BIGINT NOT NULL,
     via TEXT NOT NULL CHECK (via IN ('local', 'oidc'))
   );
   CREATE INDEX web_sessions_last_used ON web_sessions (last_used_at);
   CREATE TABLE research_opt_outs (
     patient_nhs TEXT PRIMARY KEY,
     opted_out BOOLEAN NOT NULL,
     set_at BIGINT NOT NULL,
     source TEXT NOT NULL
   );`,
  // 10: the transaction that wrote each reading and correction, so a reader can take what every
  // transaction before a point has written, in commit order rather than id order (several workers'
  // ids interleave with their commits); and which worker derives Observations now, until when.
  // Derivations begin with what is stored after this migration.
  `ALTER TABLE readings ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();
   CREATE INDEX readings_tx ON readings (tx);
   ALTER TABLE corrections ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();
   CREATE INDEX corrections_tx ON corrections (tx);
   ALTER TABLE derivation_state ADD COLUMN claimed_by TEXT, ADD COLUMN claimed_until BIGINT;
   -- Readings stored before (never derived on PostgreSQL) all carry this migration's transaction:
   -- derivations start after it rather than read them all at once.
   INSERT INTO derivation_state (name, last_reading_id, last_correction_id)
     VALUES ('fhir', pg_current_xact_id()::text::bigint, pg_current_xact_id()::text::bigint) ON CONFLICT (name) DO NOTHING;`,
  // 11: per-minute rollups of each patient's metrics (min, max, sum, count of the values shown:
  // retracted ones left out), kept in the commit that stores or corrects the values, so a chart of
  // 90 days of per-second heart rate reads 130 thousand rollups instead of 7.8 million readings.
  `CREATE TABLE reading_rollups (
     patient_nhs TEXT NOT NULL,
     metric TEXT NOT NULL,
     minute BIGINT NOT NULL,
     min DOUBLE PRECISION NOT NULL,
     max DOUBLE PRECISION NOT NULL,
     sum DOUBLE PRECISION NOT NULL,
     count BIGINT NOT NULL,
     PRIMARY KEY (patient_nhs, metric, minute)
   );
   INSERT INTO reading_rollups
     SELECT r.patient_nhs, v.key, r.taken_at / 60000, min(x.value), max(x.value), sum(x.value), count(*)
     FROM readings r CROSS JOIN LATERAL json_each(r.values_json) AS v (key, value) CROSS JOIN LATERAL (SELECT (v.value ->> 0)::double precision AS value) x
     WHERE r.status != 'entered-in-error' GROUP BY 1, 2, 3;`,
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
