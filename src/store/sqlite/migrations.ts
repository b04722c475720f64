import type Database from 'better-sqlite3';
import { GatewayError, readingKey } from '../../domain/index.js';

/** SQL turning a key `device|time|rest` (time: 15 digits) into `time|device|rest`. */
function timeFirst(column: string): string {
  const bar = `instr(${column}, '|')`;
  return `substr(${column}, ${bar} + 1, 15) || '|' || substr(${column}, 1, ${bar} - 1) || substr(${column}, ${bar} + 16)`;
}

/**
 * Versioned schema migrations. `PRAGMA user_version` holds the number of migrations applied;
 * each runs in its own transaction. Append only: never edit a migration that has shipped.
 */
const MIGRATIONS: readonly (string | ((db: Database.Database) => void))[] = [
  `CREATE TABLE devices (
     id TEXT PRIMARY KEY,
     profile_id TEXT NOT NULL,
     patient_nhs TEXT NOT NULL,
     serial TEXT,
     secret_hash TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
     created_at INTEGER NOT NULL,
     revoked_at INTEGER,
     secret_rotated_at INTEGER
   ) STRICT;
   CREATE INDEX devices_patient ON devices (patient_nhs);

   CREATE TABLE readings (
     id INTEGER PRIMARY KEY,
     idempotency_key TEXT NOT NULL UNIQUE,
     device_id TEXT NOT NULL REFERENCES devices (id),
     patient_nhs TEXT NOT NULL,
     profile_id TEXT NOT NULL,
     metric TEXT NOT NULL,
     value REAL NOT NULL,
     unit TEXT NOT NULL,
     source_unit TEXT,
     taken_at INTEGER NOT NULL,
     device_taken_at INTEGER NOT NULL,
     received_at INTEGER NOT NULL,
     clock_offset_ms INTEGER,
     message_id TEXT
   ) STRICT;
   -- The idempotency key starts with device id and time (src/domain/idempotency.ts): its unique
   -- index also serves look-ups by device, so there is no separate device index to maintain.
   CREATE INDEX readings_patient_metric_time ON readings (patient_nhs, metric, taken_at);

   CREATE TABLE dead_letters (
     id INTEGER PRIMARY KEY,
     device_id TEXT,
     topic TEXT NOT NULL,
     received_at INTEGER NOT NULL,
     payload BLOB NOT NULL,
     payload_bytes INTEGER NOT NULL,
     payload_sha256 TEXT NOT NULL,
     issues TEXT NOT NULL
   ) STRICT;
   CREATE INDEX dead_letters_device_time ON dead_letters (device_id, received_at);

   CREATE TABLE device_health (
     device_id TEXT PRIMARY KEY REFERENCES devices (id),
     last_seen_at INTEGER,
     last_reading_at INTEGER,
     battery_pct REAL,
     signal_dbm REAL,
     firmware TEXT,
     clock_offset_ms INTEGER,
     clock_drift INTEGER NOT NULL DEFAULT 0,
     status_at INTEGER
   ) STRICT;`,
  // Durable hand-off to outputs (InfluxDB, later FHIR): written in the same transaction as the
  // readings they carry (one row per sink per commit: `items` payloads, one per line) and deleted
  // once the output has them.
  `CREATE TABLE outbox (
     id INTEGER PRIMARY KEY,
     sink TEXT NOT NULL,
     payload TEXT NOT NULL,
     items INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'dead')),
     last_error TEXT
   ) STRICT;
   CREATE INDEX outbox_pending ON outbox (sink, state, id);`,
  // Corrections: a reading is retracted (entered-in-error) or amended (new values, same identity);
  // every correction is kept with what it changed, who asked and why.
  `ALTER TABLE readings ADD COLUMN status TEXT NOT NULL DEFAULT 'final';
   -- The value as first stored, once amended: the reading's identity in outputs is computed from it.
   ALTER TABLE readings ADD COLUMN first_value REAL;
   -- SHA-256 of the raw message that carried the reading (provenance).
   ALTER TABLE readings ADD COLUMN payload_sha256 TEXT;
   CREATE TABLE corrections (
     id INTEGER PRIMARY KEY,
     device_id TEXT NOT NULL,
     reading_key TEXT NOT NULL,
     action TEXT NOT NULL CHECK (action IN ('retract', 'amend')),
     before TEXT NOT NULL,
     after TEXT,
     reason TEXT,
     requested_by TEXT NOT NULL,
     at INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX corrections_reading ON corrections (reading_key);

   -- Outbox ids never repeat (AUTOINCREMENT): a sender reads on from the last id it sent, and a
   -- plain rowid would hand a deleted row's id to the next entry, behind that cursor.
   CREATE TABLE outbox_monotonic (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     sink TEXT NOT NULL,
     payload TEXT NOT NULL,
     items INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'dead')),
     last_error TEXT
   ) STRICT;
   INSERT INTO outbox_monotonic SELECT id, sink, payload, items, created_at, state, last_error FROM outbox;
   DROP TABLE outbox;
   ALTER TABLE outbox_monotonic RENAME TO outbox;
   CREATE INDEX outbox_pending ON outbox (sink, state, id);

   -- Observations derived from many readings (window summaries, home BP averages), recomputed
   -- when their readings change; \`content\` is what they were computed from, to detect a change.
   CREATE TABLE derived_observations (
     key TEXT PRIMARY KEY,
     patient_nhs TEXT NOT NULL,
     period_start INTEGER NOT NULL,
     period_end INTEGER NOT NULL,
     status TEXT NOT NULL,
     content TEXT NOT NULL,
     observation TEXT,
     updated_at INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX derived_patient ON derived_observations (patient_nhs, period_start);
   -- How far each derivation has read the readings and corrections tables (ids only grow).
   CREATE TABLE derivation_state (
     name TEXT PRIMARY KEY,
     last_reading_id INTEGER NOT NULL,
     last_correction_id INTEGER NOT NULL
   ) STRICT;`,
  // Clinicians, the patients they look after, and alerts with every change of state (audit trail).
  `CREATE TABLE clinicians (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
     webhook_url TEXT,
     created_at INTEGER NOT NULL
   ) STRICT;
   CREATE TABLE clinician_patients (
     clinician_id TEXT NOT NULL REFERENCES clinicians (id),
     patient_nhs TEXT NOT NULL,
     assigned_at INTEGER NOT NULL,
     PRIMARY KEY (clinician_id, patient_nhs)
   ) STRICT;
   CREATE INDEX clinician_patients_patient ON clinician_patients (patient_nhs);
   CREATE TABLE alerts (
     id TEXT PRIMARY KEY,
     key TEXT NOT NULL,
     patient_nhs TEXT NOT NULL,
     device_id TEXT,
     rule_id TEXT NOT NULL,
     severity TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
     message TEXT NOT NULL,
     value REAL,
     opened_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     escalation_level INTEGER NOT NULL DEFAULT 0,
     snoozed_until INTEGER
   ) STRICT;
   -- At most one unresolved alert per condition (patient, device, rule).
   CREATE UNIQUE INDEX alerts_unresolved ON alerts (key) WHERE state != 'resolved';
   CREATE INDEX alerts_patient ON alerts (patient_nhs, opened_at);
   CREATE TABLE alert_events (
     id INTEGER PRIMARY KEY,
     alert_id TEXT NOT NULL REFERENCES alerts (id),
     at INTEGER NOT NULL,
     state TEXT NOT NULL,
     by TEXT NOT NULL,
     note TEXT
   ) STRICT;
   CREATE INDEX alert_events_alert ON alert_events (alert_id, id);
   -- A clinician's per-patient choices, with who set them and when: a rule's thresholds for this
   -- patient, and settings such as the NEWS2 SpO2 scale.
   CREATE TABLE patient_overrides (
     patient_nhs TEXT NOT NULL,
     rule_id TEXT NOT NULL,
     above REAL,
     below REAL,
     clear_at REAL,
     set_by TEXT NOT NULL,
     set_at INTEGER NOT NULL,
     PRIMARY KEY (patient_nhs, rule_id)
   ) STRICT;
   CREATE TABLE patient_settings (
     patient_nhs TEXT PRIMARY KEY,
     spo2_scale INTEGER NOT NULL CHECK (spo2_scale IN (1, 2)),
     set_by TEXT NOT NULL,
     set_at INTEGER NOT NULL
   ) STRICT;`,
  // 5: the Observation that raised an alert (its FHIR identifier), for the Flag sent to the care record.
  `ALTER TABLE alerts ADD COLUMN observation_id TEXT;`,
  // 6: Bluetooth devices: the address the BLE bridge connects to (one device per address), and the
  // last stored-record sequence number fetched from each (glucose meters' Record Access Control Point).
  `ALTER TABLE devices ADD COLUMN ble_address TEXT;
   CREATE UNIQUE INDEX devices_ble_address ON devices (ble_address) WHERE ble_address IS NOT NULL AND status = 'active';
   CREATE TABLE ble_record_cursors (
     device_id TEXT PRIMARY KEY REFERENCES devices (id),
     last_sequence INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   ) STRICT;`,
  // 7: cheaper inserts (npm run bench). Idempotency keys lead with the measurement time, then the
  // device (src/domain/idempotency.ts): new keys land near the end of the unique index instead of
  // inside every device's range. The patient index orders a patient's values by time, then metric,
  // so a reading's values sit side by side: one hot page per patient instead of one per metric.
  // Keys were `device|time(15 digits)|metric|tail`; they become `time|device|metric|tail`.
  `DROP INDEX readings_patient_metric_time;
   CREATE INDEX readings_patient_time ON readings (patient_nhs, taken_at, metric);
   UPDATE readings SET idempotency_key = ${timeFirst('idempotency_key')};
   UPDATE corrections SET reading_key = ${timeFirst('reading_key')};`,
  // 8: when each running breach of a duration rule began ("above 130 for 5 minutes"), so a restart
  // does not restart the count; a row goes when its alert opens or the breach ends.
  `CREATE TABLE alert_breaches (
     key TEXT PRIMARY KEY,
     since_at INTEGER NOT NULL
   ) STRICT;`,
  // 9: alert deliveries in lanes (one per recipient and channel): each delivery a row of its own,
  // sent in order within its lane and retried apart from the others, so one broken receiver holds
  // up no one.
  `ALTER TABLE outbox ADD COLUMN lane TEXT;
   CREATE INDEX outbox_lanes ON outbox (sink, state, lane, id) WHERE lane IS NOT NULL;`,
  // 10: the web app. Accounts have a role (clinician, operator, admin); API clients bearer tokens
  // (stored as SHA-256: they are 256-bit random, so a slow hash adds nothing); every view and change
  // of patient data is audited; clinicians mark patients reviewed; alerts can be assigned.
  `ALTER TABLE clinicians ADD COLUMN role TEXT NOT NULL DEFAULT 'clinician' CHECK (role IN ('clinician', 'operator', 'admin'));
   ALTER TABLE alerts ADD COLUMN assigned_to TEXT;
   CREATE TABLE api_tokens (
     id TEXT PRIMARY KEY,
     account_id TEXT NOT NULL REFERENCES clinicians (id),
     token_hash TEXT NOT NULL UNIQUE,
     name TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     revoked_at INTEGER
   ) STRICT;
   CREATE TABLE audit (
     id INTEGER PRIMARY KEY,
     at INTEGER NOT NULL,
     actor TEXT NOT NULL,
     role TEXT NOT NULL,
     action TEXT NOT NULL,
     patient_nhs TEXT,
     target TEXT,
     address TEXT,
     outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'refused'))
   ) STRICT;
   CREATE INDEX audit_patient ON audit (patient_nhs, at) WHERE patient_nhs IS NOT NULL;
   CREATE INDEX audit_actor ON audit (actor, at);
   CREATE TABLE patient_reviews (
     patient_nhs TEXT PRIMARY KEY,
     by TEXT NOT NULL,
     at INTEGER NOT NULL
   ) STRICT;`,
  // 11: per-minute rollups of each patient's metrics (min, max, sum, count of the values shown:
  // retracted ones left out), kept in the commit that stores or corrects the values, so a chart of
  // 90 days of per-second heart rate reads 130 thousand rollups instead of 7.8 million rows.
  `CREATE TABLE reading_rollups (
     patient_nhs TEXT NOT NULL,
     metric TEXT NOT NULL,
     minute INTEGER NOT NULL,
     min REAL NOT NULL,
     max REAL NOT NULL,
     sum REAL NOT NULL,
     count INTEGER NOT NULL,
     PRIMARY KEY (patient_nhs, metric, minute)
   ) STRICT, WITHOUT ROWID;
   INSERT INTO reading_rollups
     SELECT patient_nhs, metric, taken_at / 60000, MIN(value), MAX(value), SUM(value), COUNT(*) FROM readings
     WHERE status != 'entered-in-error' GROUP BY patient_nhs, metric, taken_at / 60000;
   -- Each patient's latest value of each metric (not retracted), kept the same way: the triage list
   -- reads one row per patient and metric.
   CREATE TABLE latest_values (
     patient_nhs TEXT NOT NULL,
     metric TEXT NOT NULL,
     reading_id INTEGER NOT NULL,
     device_id TEXT NOT NULL,
     value REAL NOT NULL,
     unit TEXT NOT NULL,
     taken_at INTEGER NOT NULL,
     PRIMARY KEY (patient_nhs, metric)
   ) STRICT, WITHOUT ROWID;
   INSERT INTO latest_values
     SELECT patient_nhs, metric, id, device_id, value, unit, MAX(taken_at) FROM readings
     WHERE status != 'entered-in-error' GROUP BY patient_nhs, metric;`,
  // 12: when an account was revoked, so the gateway can close its connections at once (revoked by the CLI too).
  `ALTER TABLE clinicians ADD COLUMN revoked_at INTEGER;`,
  // 13: each patient's research opt-out (the national data opt-out, or one recorded here), checked at every extract.
  `CREATE TABLE research_opt_outs (
     patient_nhs TEXT PRIMARY KEY,
     opted_out INTEGER NOT NULL,
     set_at INTEGER NOT NULL,
     source TEXT NOT NULL
   ) STRICT;`,
  // 14: a reading is one row (npm run bench): its values together as JSON `{metric: [value, unit,
  // unit sent?]}`, one key per reading (src/domain/idempotency.ts), one entry in each index. Values
  // stored together become one reading: same device, device time, message and receipt (a message
  // repeating a metric at one time gives one reading per repeat). A reading keeps the smallest id
  // of its values, so derivation cursors and latest values stay valid; corrections point at the
  // reading's key. `reading_values` shows the values one per row, as before; `profile_metrics`
  // lists the profiles that carry each metric, so a metric's series is read through the
  // (patient, profile, time) index.
  (db) => {
    db.function('vg_reading_key', { deterministic: true }, (deviceId, deviceTakenAt, messageId, values) =>
      readingKey({ deviceId: String(deviceId), deviceTakenAtMs: Number(deviceTakenAt), messageId: messageId === null ? undefined : String(messageId), values: JSON.parse(String(values)) as Record<string, number> }),
    );
    db.exec(`
     CREATE TEMP TABLE value_reading (id INTEGER PRIMARY KEY, reading_id INTEGER NOT NULL);
     INSERT INTO value_reading
       SELECT id, MIN(id) OVER (PARTITION BY device_id, device_taken_at, message_id, received_at, n) FROM
         (SELECT id, device_id, device_taken_at, message_id, received_at,
            ROW_NUMBER() OVER (PARTITION BY device_id, device_taken_at, message_id, received_at, metric ORDER BY id) AS n FROM readings);
     CREATE TABLE readings_by_reading (
       id INTEGER PRIMARY KEY,
       reading_key TEXT NOT NULL UNIQUE,
       device_id TEXT NOT NULL REFERENCES devices (id),
       patient_nhs TEXT NOT NULL,
       profile_id TEXT NOT NULL,
       values_json TEXT NOT NULL,
       taken_at INTEGER NOT NULL,
       device_taken_at INTEGER NOT NULL,
       received_at INTEGER NOT NULL,
       clock_offset_ms INTEGER,
       message_id TEXT,
       payload_sha256 TEXT,
       status TEXT NOT NULL DEFAULT 'final' CHECK (status IN ('final', 'amended', 'entered-in-error')),
       -- metric → value as first stored, once amended: the reading's identity in outputs is computed from it.
       first_values_json TEXT
     ) STRICT;
     INSERT INTO readings_by_reading
       SELECT g.reading_id,
         vg_reading_key(MIN(r.device_id), MIN(r.device_taken_at), MIN(r.message_id), json_group_object(r.metric, r.value)),
         MIN(r.device_id), MIN(r.patient_nhs), MIN(r.profile_id),
         json_group_object(r.metric, CASE WHEN r.source_unit IS NULL THEN json_array(r.value, r.unit) ELSE json_array(r.value, r.unit, r.source_unit) END ORDER BY r.id),
         MIN(r.taken_at), MIN(r.device_taken_at), MIN(r.received_at), MIN(r.clock_offset_ms), MIN(r.message_id), MAX(r.payload_sha256),
         CASE WHEN MAX(r.status = 'entered-in-error') THEN 'entered-in-error' WHEN MAX(r.status = 'amended') THEN 'amended' ELSE 'final' END,
         CASE WHEN MAX(r.first_value IS NOT NULL) THEN json_group_object(r.metric, COALESCE(r.first_value, r.value) ORDER BY r.id) END
       FROM value_reading g JOIN readings r ON r.id = g.id GROUP BY g.reading_id ORDER BY g.reading_id;
     UPDATE corrections SET reading_key = (SELECT n.reading_key FROM readings o JOIN value_reading g ON g.id = o.id JOIN readings_by_reading n ON n.id = g.reading_id
       WHERE o.idempotency_key = corrections.reading_key) WHERE reading_key IN (SELECT idempotency_key FROM readings);
     UPDATE latest_values SET reading_id = (SELECT g.reading_id FROM value_reading g WHERE g.id = latest_values.reading_id);
     CREATE TABLE profile_metrics (
       metric TEXT NOT NULL,
       profile_id TEXT NOT NULL,
       PRIMARY KEY (metric, profile_id)
     ) STRICT, WITHOUT ROWID;
     INSERT INTO profile_metrics SELECT DISTINCT metric, profile_id FROM readings;
     DROP TABLE readings;
     DROP TABLE value_reading;
     ALTER TABLE readings_by_reading RENAME TO readings;
     -- A patient's readings of one profile by time: a metric's series is a range per profile carrying it.
     CREATE INDEX readings_patient_profile_time ON readings (patient_nhs, profile_id, taken_at);
     CREATE VIEW reading_values AS
       SELECT r.id, r.reading_key, r.device_id, r.patient_nhs, r.profile_id, v.key AS metric, v.value ->> 0 AS value, v.value ->> 1 AS unit,
         v.value ->> 2 AS source_unit, r.taken_at, r.device_taken_at, r.received_at, r.clock_offset_ms, r.message_id, r.payload_sha256, r.status,
         r.first_values_json ->> v.key AS first_value, v.id AS position
       FROM readings r, json_each(r.values_json) v;`);
  },
  // 15: device and account secrets hashed as an external broker's password file holds them
  // (Mosquitto's PBKDF2 $7$ form), written when a secret is issued.
  `CREATE TABLE broker_credentials (
     username TEXT PRIMARY KEY,
     password_hash TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   ) STRICT;`,
  // 16: when the reading that opened (or last changed) an alert was taken: an older reading
  // arriving later never resolves it.
  `ALTER TABLE alerts ADD COLUMN sample_at INTEGER;`,
  // 17: a patient's latest values are read from the readings, as on PostgreSQL: per profile carrying
  // the metric, one backward step down the (patient, profile, time) index. A commit no longer
  // upserts a row per patient and metric (measured by npm run bench: that was a tenth of the store's
  // CPU per reading), and a correction no longer works the latest value out again.
  `DROP TABLE latest_values;`,
  // 18: the per-minute rollups are written at most once a second while readings keep coming, not in
  // every commit (an upsert per patient and metric in each: see docs/benchmarks.md for what that
  // cost). `rollups_through` is the id of the last reading they include, written with them; readers
  // add the readings after it (src/store/sqlite/rollups.ts).
  `CREATE TABLE rollups_through (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     reading_id INTEGER NOT NULL
   ) STRICT;
   INSERT INTO rollups_through SELECT 1, COALESCE(MAX(id), 0) FROM readings;`,
  // 19: the per-patient index (patient, profile, time) is a table of its own, filled once a second
  // from `index_through` (the id of the last reading it holds), with the rollups: an index on the
  // readings wrote about one page per patient in every commit (docs/benchmarks.md). Readers add the
  // readings after `index_through` (src/store/sqlite/reading-index.ts).
  `CREATE TABLE reading_index (
     patient_nhs TEXT NOT NULL,
     profile_id TEXT NOT NULL,
     taken_at INTEGER NOT NULL,
     id INTEGER NOT NULL,
     PRIMARY KEY (patient_nhs, profile_id, taken_at, id)
   ) STRICT, WITHOUT ROWID;
   INSERT INTO reading_index SELECT patient_nhs, profile_id, taken_at, id FROM readings ORDER BY patient_nhs, profile_id, taken_at, id;
   CREATE TABLE index_through (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     reading_id INTEGER NOT NULL
   ) STRICT;
   INSERT INTO index_through SELECT 1, COALESCE(MAX(id), 0) FROM readings;
   DROP INDEX readings_patient_profile_time;`,
  // 20: a reading's status is checked by comparisons, not an IN list: SQLite codes an IN list of
  // three or more values as a temporary table, filled on every run of a statement, and so on every
  // insert of a reading (about 1 µs of the writer's CPU per reading, measured in docs/benchmarks.md).
  // The two checks accept the same values, so the table is not rebuilt: its definition is edited
  // as SQLite documents for changing a constraint the rows already meet (lang_altertable.html,
  // "Making Other Kinds Of Table Schema Changes"), then the table is checked.
  (db) => replaceInTableSql(db, 'readings', "status IN ('final', 'amended', 'entered-in-error')", "status = 'final' OR status = 'amended' OR status = 'entered-in-error'"),
];

/**
 * Replaces `from` (found exactly once) with `to` in the stored definition of `table`, by the
 * procedure SQLite documents for constraint changes that leave the stored rows as they are: schema
 * edited in the migration's transaction, its version incremented, the table's integrity checked.
 */
function replaceInTableSql(db: Database.Database, table: string, from: string, to: string): void {
  const sql = db.prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?").pluck().get(table) as string | undefined;
  if (sql === undefined || sql.split(from).length !== 2) throw new Error(`the definition of ${table} does not hold ${from} once`);
  const version = db.pragma('schema_version', { simple: true }) as number;
  db.unsafeMode(true); // better-sqlite3's defensive mode refuses any edit of sqlite_schema
  try {
    db.pragma('writable_schema = ON');
    db.prepare("UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = ?").run(sql.replace(from, to), table);
    db.pragma(`schema_version = ${version + 1}`);
  } finally {
    db.pragma('writable_schema = OFF');
    db.unsafeMode(false);
  }
  const problems = db.pragma(`integrity_check(${table})`, { simple: false }) as { integrity_check: string }[];
  if (problems.length !== 1 || problems[0]?.integrity_check !== 'ok') throw new Error(`${table} fails its integrity check: ${JSON.stringify(problems.slice(0, 5))}`);
}

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The version from which a reading is one row (migration 14); stores before it hold one row per value. */
export const ONE_ROW_PER_READING_VERSION = 14;

/** Applies the migrations after the store's version, up to `target` (tests stop earlier to build an older store). */
export function migrate(db: Database.Database, target = SCHEMA_VERSION): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new GatewayError(
      'GW_STORE_NEWER_SCHEMA',
      `store schema version ${current} is newer than this gateway's ${SCHEMA_VERSION}; upgrade the gateway`,
    );
  }
  for (let version = current; version < target; version++) {
    const apply = db.transaction(() => {
      const step = MIGRATIONS[version] as string | ((db: Database.Database) => void);
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.pragma(`user_version = ${version + 1}`);
    });
    try {
      apply.immediate();
    } catch (cause) {
      throw new GatewayError('GW_STORE_MIGRATION_FAILED', `migration ${version + 1} failed: ${String(cause)}`, { cause });
    }
  }
}
