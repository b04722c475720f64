import { readingKeyPrefix } from '../../domain/index.js';
import type { CommitBatch, CommitReceipt, Correction, ReadingQuery, ReadingStore, StoredReading } from '../reading-store.js';
import { completeLines } from '../line-protocol.js';
import { amendedValues, packReadings, toReadings, unpackReadings, type PackedReadings, type ReadingTuple } from '../reading-encoding.js';
import { storedReadingFromRow } from '../rows.js';
import { packOutbox, unpackOutbox, type PackedOutbox } from '../outbox-rows.js';
import type { SqliteConnection, SqliteStatement, SqliteTransaction } from './database.js';
import { SqliteDeadLetters } from './dead-letters.js';
import { SqliteDeviceHealth } from './health.js';
import type { SqliteAlerts } from './alerts.js';
import type { SqliteAudit } from './audit.js';
import type { SqliteDerived } from './derived.js';
import type { SqliteOutbox } from './outbox.js';
import { INDEXED, PROFILES_OF_METRIC, READING_QUERIES } from './reading-queries.js';
import { SqliteReadingIndex } from './reading-index.js';
import { SqliteRollups, type RollupOptions } from './rollups.js';

/** A commit batch with its readings as bound to the INSERT. */
type EncodedBatch = Omit<CommitBatch, 'readings'> & { readonly readings: readonly ReadingTuple[] };

/** A commit batch as handed to the writer thread: its readings and outbox entries packed ({@link packReadings}, {@link packOutbox}). */
export type PackedBatch = Omit<CommitBatch, 'readings' | 'outbox'> & { readonly readings: PackedReadings; readonly outbox: PackedOutbox };

export const packBatch = (batch: CommitBatch): PackedBatch => {
  const { readings, outbox, ...rest } = batch;
  return { ...rest, readings: packReadings(readings), outbox: packOutbox(outbox ?? []) };
};

/** What stores each reading, run once per reading in a commit (its program is kept lean: see migration 20). */
export const INSERT_READING = `INSERT OR IGNORE INTO readings (reading_key, device_id, patient_nhs, profile_id, values_json, taken_at, device_taken_at, received_at,
    clock_offset_ms, message_id, payload_sha256)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** A reading's values as one per row, shown retracted ones and all (the `reading_values` view). */
const VALUES = 'reading_values';

/**
 * ReadingStore on SQLite: one row per reading, one transaction per group commit, duplicates ignored
 * by the reading's key. Values are read one per row through the `reading_values` view.
 */
export class SqliteReadingStore implements ReadingStore {
  private readonly insertStmt: SqliteStatement;
  private readonly profileMetricStmt: SqliteStatement;
  private readonly correctStmt: SqliteStatement;
  private readonly correctionStmt: SqliteStatement;
  private readonly readingByKeyStmt: SqliteStatement;
  private readonly readingOfStmt: SqliteStatement;
  private readonly readingsAtStmt: SqliteStatement;
  private readonly latestStmt: SqliteStatement;
  private readonly existingStmt: SqliteStatement;
  private readonly correctionsSinceStmt: SqliteStatement;
  private readonly latestCorrectionStmt: SqliteStatement;
  private readonly rollups: SqliteRollups;
  private readonly index: SqliteReadingIndex;
  private readonly commitTx: SqliteTransaction<(batch: EncodedBatch) => CommitReceipt>;
  /** (profile, metric) pairs known to be in `profile_metrics`; pairs added by a commit join once it is durable. */
  private readonly profileMetrics = new Map<string, Set<string>>();
  private pendingProfileMetrics: [profile: string, metric: string][] = [];

  constructor(
    private readonly db: SqliteConnection,
    private readonly deadLetters: SqliteDeadLetters,
    private readonly health: SqliteDeviceHealth,
    private readonly outbox: SqliteOutbox,
    private readonly derived: SqliteDerived,
    private readonly alerts: SqliteAlerts,
    private readonly audit: SqliteAudit,
    options: RollupOptions = {},
  ) {
    this.rollups = new SqliteRollups(db, options);
    this.index = new SqliteReadingIndex(db);
    this.insertStmt = db.prepare(INSERT_READING);
    this.profileMetricStmt = db.prepare('INSERT OR IGNORE INTO profile_metrics (metric, profile_id) VALUES (?, ?)');
    this.readingByKeyStmt = db.prepare('SELECT id, patient_nhs AS patient, taken_at AS takenAt, values_json AS valuesJson FROM readings WHERE reading_key = ?');
    this.correctStmt = db.prepare('UPDATE readings SET status = ?, values_json = ?, first_values_json = COALESCE(first_values_json, ?) WHERE id = ?');
    this.correctionStmt = db.prepare(
      'INSERT INTO corrections (device_id, reading_key, action, before, after, reason, requested_by, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.readingOfStmt = db.prepare(READING_QUERIES.readingById);
    this.readingsAtStmt = db.prepare(READING_QUERIES.readingsAt);
    this.latestStmt = db.prepare(READING_QUERIES.latestValue);
    this.existingStmt = db.prepare('SELECT reading_key AS key FROM readings WHERE reading_key IN (SELECT value FROM json_each(?))');
    this.correctionsSinceStmt = db.prepare(
      `SELECT c.id, d.patient_nhs AS patientNhs FROM corrections c JOIN devices d ON d.id = c.device_id WHERE c.id > ? ORDER BY c.id`,
    );
    this.latestCorrectionStmt = db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM corrections');
    this.commitTx = db.transaction((batch: EncodedBatch) => {
      const ids = batch.readings.map((t) => {
        const r = this.insertStmt.run(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10]);
        return r.changes === 1 ? Number(r.lastInsertRowid) : undefined;
      });
      this.rollUp(batch.readings, ids);
      const inserted = ids.map((id) => id !== undefined);
      // A correction's minutes are summed again from the rows: the rollups first take in every reading.
      if ((batch.corrections !== undefined && batch.corrections.length > 0) || this.rollups.due()) this.catchUp();
      for (const c of batch.corrections ?? []) this.correct(c);
      for (const d of batch.deadLetters) this.deadLetters.insert(d);
      for (const h of batch.health) this.health.upsert(h);
      const outbox = this.outbox.apply(completeLines(batch.outbox ?? [], batch.readings), batch.outboxResults ?? [], inserted, Date.now());
      if (batch.derived !== undefined || batch.derivationState !== undefined) this.derived.apply(batch.derived ?? [], batch.derivationState ?? []);
      if (batch.alerts !== undefined) this.alerts.apply(batch.alerts);
      if (batch.breaches !== undefined) this.alerts.applyBreaches(batch.breaches);
      if (batch.audit !== undefined || batch.reviews !== undefined) this.audit.apply(batch.audit ?? [], batch.reviews ?? []);
      return { inserted, outbox };
    });
  }

  commit(batch: CommitBatch): CommitReceipt {
    return this.commitEncoded({ ...batch, readings: toReadings(batch.readings) });
  }

  /** Commits a batch packed for the writer thread (its input). */
  commitPacked(batch: PackedBatch): CommitReceipt {
    return this.commitEncoded({ ...batch, readings: unpackReadings(batch.readings), outbox: unpackOutbox(batch.outbox) });
  }

  private commitEncoded(batch: EncodedBatch): CommitReceipt {
    let committed = false;
    try {
      const receipt = this.commitTx.immediate(batch);
      committed = true;
      for (const [profile, metric] of this.pendingProfileMetrics) {
        const known = this.profileMetrics.get(profile);
        if (known === undefined) this.profileMetrics.set(profile, new Set([metric]));
        else known.add(metric);
      }
      return receipt;
    } finally {
      this.rollups.settled(committed);
      this.pendingProfileMetrics = [];
    }
  }

  /** In a transaction: brings the rollups and the per-patient index up to date with every reading stored. */
  private catchUp(): void {
    this.rollups.write();
    this.index.write();
  }

  /** Writes the rollups and the per-patient index of the readings stored since they were last written (closing the store). */
  writeDeferred(): void {
    if (!this.rollups.hasPending()) return;
    let committed = false;
    try {
      this.db.transaction(() => this.catchUp()).immediate();
      committed = true;
    } finally {
      this.rollups.settled(committed);
    }
  }

  query(q: ReadingQuery): StoredReading[] {
    // A patient's readings are read through the per-patient index, with only the filters given. A
    // device's values are found through its patient's (a device belongs to one patient).
    const where: string[] = [];
    const patient = q.patientNhs !== undefined ? '@patient' : q.deviceId !== undefined ? '(SELECT patient_nhs FROM devices WHERE id = @device)' : undefined;
    const among = { profiles: q.metric === undefined ? undefined : PROFILES_OF_METRIC, from: q.sinceMs === undefined ? undefined : '@since' };
    if (patient !== undefined) where.push(`id IN (${INDEXED(patient, among)})`);
    else if (q.sinceMs !== undefined) where.push('taken_at >= @since');
    if (q.patientNhs !== undefined && q.deviceId !== undefined) where.push('patient_nhs = (SELECT patient_nhs FROM devices WHERE id = @device)');
    if (q.deviceId !== undefined) where.push('device_id = @device');
    if (q.metric !== undefined) where.push('metric = @metric');
    const sql = `SELECT * FROM ${VALUES} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY taken_at, id, position LIMIT @limit`;
    const params = { patient: q.patientNhs, device: q.deviceId, metric: q.metric, since: q.sinceMs, limit: q.limit ?? -1 };
    const named = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
    return (this.db.prepare(sql).all(named) as Record<string, unknown>[]).map(storedReadingFromRow);
  }

  readingOf(readingId: number): StoredReading[] {
    return (this.readingOfStmt.all({ id: readingId }) as Record<string, unknown>[]).map(storedReadingFromRow);
  }

  readingsAt(deviceId: string, deviceTakenAtMs: number): StoredReading[] {
    const prefix = readingKeyPrefix(deviceId, deviceTakenAtMs);
    return (this.readingsAtStmt.all({ from: prefix, to: `${prefix.slice(0, -1)}}` }) as Record<string, unknown>[]).map(storedReadingFromRow);
  }

  /**
   * Adds the readings stored now (`ids[i]` undefined: a duplicate) to their minutes' rollups
   * ({@link SqliteRollups}), and notes profiles seen carrying a metric for the first time. (Latest
   * values are read from the readings themselves: see `READING_QUERIES.latestValue`.)
   */
  private rollUp(readings: readonly ReadingTuple[], ids: readonly (number | undefined)[]): void {
    for (let i = 0; i < readings.length; i++) {
      if (ids[i] === undefined) continue;
      const t = readings[i] as ReadingTuple;
      this.rollups.add(t);
      this.noteProfileMetrics(t[3], t[11]);
    }
  }

  private noteProfileMetrics(profile: string, metrics: readonly string[]): void {
    const known = this.profileMetrics.get(profile);
    for (const metric of metrics) {
      if (known?.has(metric) === true) continue;
      this.profileMetricStmt.run(metric, profile);
      this.pendingProfileMetrics.push([profile, metric]);
    }
  }

  /** Amends or retracts the reading's row; its key, times and identity stay as they were. */
  private correct(c: Correction): void {
    const status = c.action === 'retract' ? 'entered-in-error' : 'amended';
    const reading = this.readingByKeyStmt.get(c.readingKey) as { id: number; patient: string; takenAt: number; valuesJson: string } | undefined;
    if (reading !== undefined) {
      const { values, valuesJson, firstJson } = amendedValues(reading.valuesJson, c.after);
      this.correctStmt.run(status, valuesJson, c.action === 'amend' ? firstJson : null, reading.id);
      // Each value's minute is summed again from what is now shown.
      const minute = Math.floor(reading.takenAt / 60_000);
      for (const metric of Object.keys(values)) this.rollups.resum(reading.patient, metric, minute);
    }
    const after = c.after === undefined ? null : JSON.stringify(c.after);
    this.correctionStmt.run(c.deviceId, c.readingKey, c.action, JSON.stringify(c.before), after, c.reason ?? null, c.requestedBy, c.atMs);
  }

  /** A patient's latest value of `metric` taken at or after `sinceMs` (not retracted), if any. */
  latest(patientNhs: string, metric: string, sinceMs: number): { value: number; takenAtMs: number } | undefined {
    return this.latestStmt.get({ patient: patientNhs, metric, since: sinceMs }) as { value: number; takenAtMs: number } | undefined;
  }

  existingKeys(keys: readonly string[]): Set<string> {
    if (keys.length === 0) return new Set();
    return new Set((this.existingStmt.all(JSON.stringify(keys)) as { key: string }[]).map((r) => r.key));
  }

  correctionsSince(afterId: number): { id: number; patientNhs: string }[] {
    return this.correctionsSinceStmt.all(afterId) as { id: number; patientNhs: string }[];
  }

  latestCorrectionId(): number {
    return (this.latestCorrectionStmt.get() as { id: number }).id;
  }

  /** Count of stored values (tests and status). */
  count(): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM ${VALUES}`).get() as { n: number }).n;
  }

  /** Count of stored readings (rows). */
  readingCount(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM readings').get() as { n: number }).n;
  }
}
