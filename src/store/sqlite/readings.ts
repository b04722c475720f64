import { readingKeyPrefix, type ReadingRow } from '../../domain/index.js';
import type { CommitBatch, CommitReceipt, Correction, ReadingQuery, ReadingStatus, ReadingStore, StoredReading } from '../reading-store.js';
import type { SqliteConnection, SqliteStatement, SqliteTransaction } from './database.js';
import { SqliteDeadLetters } from './dead-letters.js';
import { SqliteDeviceHealth } from './health.js';
import type { SqliteAlerts } from './alerts.js';
import type { SqliteAudit } from './audit.js';
import type { SqliteDerived } from './derived.js';
import type { SqliteOutbox } from './outbox.js';

/** A row as bound to the INSERT, column values in order: compact to hand to the writer thread. */
export type RowTuple = readonly [string, string, string, string, string, number, string, string | null, number, number, number, number | null, string | null, string | null];

export const toTuple = (r: ReadingRow): RowTuple => [
  r.idempotencyKey,
  r.deviceId,
  r.patientNhs,
  r.profileId,
  r.metric,
  r.value,
  r.unit,
  r.sourceUnit ?? null,
  r.takenAtMs,
  r.deviceTakenAtMs,
  r.receivedAtMs,
  r.clockOffsetMs ?? null,
  r.messageId ?? null,
  r.payloadSha256 ?? null,
];

/**
 * The key range of the values stored with the reading `o` (same device, same device time): SQL for
 * `[from, to)` over idempotency keys, whose prefix is `readingKeyPrefix` (domain/idempotency.ts).
 */
export const SAME_READING_FROM = `printf('%015d', o.device_taken_at) || '|' || o.device_id || '|'`;
export const SAME_READING_TO = `printf('%015d', o.device_taken_at) || '|' || o.device_id || '}'`;

/** A commit batch with its rows as tuples. */
export type EncodedBatch = Omit<CommitBatch, 'rows'> & { readonly rows: readonly RowTuple[] };

/** ReadingStore on SQLite: one transaction per group commit, duplicates ignored by the idempotency key. */
export class SqliteReadingStore implements ReadingStore {
  private readonly insertStmt: SqliteStatement;
  private readonly correctStmt: SqliteStatement;
  private readonly correctionStmt: SqliteStatement;
  private readonly readingOfStmt: SqliteStatement;
  private readonly readingsAtStmt: SqliteStatement;
  private readonly latestStmt: SqliteStatement;
  private readonly existingStmt: SqliteStatement;
  private readonly correctionsSinceStmt: SqliteStatement;
  private readonly latestCorrectionStmt: SqliteStatement;
  private readonly rollupStmt: SqliteStatement;
  private readonly latestUpsertStmt: SqliteStatement;
  private readonly latestDropStmt: SqliteStatement;
  private readonly latestRedoStmt: SqliteStatement;
  private readonly rollupOfStmt: SqliteStatement;
  private readonly rollupDropStmt: SqliteStatement;
  private readonly rollupRedoStmt: SqliteStatement;
  private readonly commitTx: SqliteTransaction<(batch: EncodedBatch) => boolean[]>;

  constructor(
    private readonly db: SqliteConnection,
    private readonly deadLetters: SqliteDeadLetters,
    private readonly health: SqliteDeviceHealth,
    private readonly outbox: SqliteOutbox,
    private readonly derived: SqliteDerived,
    private readonly alerts: SqliteAlerts,
    private readonly audit: SqliteAudit,
  ) {
    this.insertStmt = db.prepare(
      `INSERT OR IGNORE INTO readings (idempotency_key, device_id, patient_nhs, profile_id, metric, value, unit,
         source_unit, taken_at, device_taken_at, received_at, clock_offset_ms, message_id, payload_sha256)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.rollupStmt = db.prepare(
      `INSERT INTO reading_rollups (patient_nhs, metric, minute, min, max, sum, count) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (patient_nhs, metric, minute) DO UPDATE SET min = MIN(min, excluded.min), max = MAX(max, excluded.max), sum = sum + excluded.sum, count = count + excluded.count`,
    );
    this.rollupOfStmt = db.prepare('SELECT patient_nhs AS patient, metric, taken_at / 60000 AS minute FROM readings WHERE idempotency_key = ?');
    this.rollupDropStmt = db.prepare('DELETE FROM reading_rollups WHERE patient_nhs = ? AND metric = ? AND minute = ?');
    this.rollupRedoStmt = db.prepare(
      `INSERT INTO reading_rollups (patient_nhs, metric, minute, min, max, sum, count)
       SELECT @patient, @metric, @minute, MIN(value), MAX(value), SUM(value), COUNT(*) FROM readings
       WHERE patient_nhs = @patient AND metric = @metric AND taken_at >= @minute * 60000 AND taken_at < (@minute + 1) * 60000 AND status != 'entered-in-error'
       HAVING COUNT(*) > 0`,
    );
    this.latestUpsertStmt = db.prepare(
      `INSERT INTO latest_values (patient_nhs, metric, reading_id, device_id, value, unit, taken_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (patient_nhs, metric) DO UPDATE SET reading_id = excluded.reading_id, device_id = excluded.device_id, value = excluded.value, unit = excluded.unit, taken_at = excluded.taken_at
       WHERE excluded.taken_at >= latest_values.taken_at`,
    );
    this.latestDropStmt = db.prepare('DELETE FROM latest_values WHERE patient_nhs = ? AND metric = ?');
    // The newest value still shown; the rollups' newest minute bounds the search (the index leads with the time).
    this.latestRedoStmt = db.prepare(
      `INSERT INTO latest_values (patient_nhs, metric, reading_id, device_id, value, unit, taken_at)
       SELECT patient_nhs, metric, id, device_id, value, unit, taken_at FROM readings
       WHERE patient_nhs = @patient AND metric = @metric AND status != 'entered-in-error'
         AND taken_at >= (SELECT MAX(minute) FROM reading_rollups WHERE patient_nhs = @patient AND metric = @metric) * 60000
       ORDER BY taken_at DESC LIMIT 1`,
    );
    this.correctStmt = db.prepare('UPDATE readings SET status = ?, first_value = COALESCE(first_value, value), value = COALESCE(?, value) WHERE idempotency_key = ?');
    this.correctionStmt = db.prepare(
      'INSERT INTO corrections (device_id, reading_key, action, before, after, reason, requested_by, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.readingOfStmt = db.prepare(
      `SELECT r.* FROM readings r JOIN readings o ON o.id = ?
       WHERE r.idempotency_key >= ${SAME_READING_FROM} AND r.idempotency_key < ${SAME_READING_TO}
         AND r.message_id IS o.message_id AND r.received_at = o.received_at ORDER BY r.id`,
    );
    this.latestStmt = db.prepare(
      `SELECT value, taken_at AS takenAtMs FROM readings WHERE patient_nhs = ? AND metric = ? AND taken_at >= ? AND status != 'entered-in-error' ORDER BY taken_at DESC LIMIT 1`,
    );
    this.readingsAtStmt = db.prepare(`SELECT * FROM readings WHERE idempotency_key >= ? AND idempotency_key < ? ORDER BY id`);
    this.existingStmt = db.prepare('SELECT idempotency_key AS key FROM readings WHERE idempotency_key IN (SELECT value FROM json_each(?))');
    this.correctionsSinceStmt = db.prepare(
      `SELECT c.id, d.patient_nhs AS patientNhs FROM corrections c JOIN devices d ON d.id = c.device_id WHERE c.id > ? ORDER BY c.id`,
    );
    this.latestCorrectionStmt = db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM corrections');
    this.commitTx = db.transaction((batch: EncodedBatch) => {
      const ids = batch.rows.map((t) => {
        const r = this.insertStmt.run(...t);
        return r.changes === 1 ? Number(r.lastInsertRowid) : undefined;
      });
      const inserted = ids.map((id) => id !== undefined);
      this.rollUp(batch.rows, ids);
      for (const c of batch.corrections ?? []) this.correct(c);
      for (const d of batch.deadLetters) this.deadLetters.insert(d);
      for (const h of batch.health) this.health.upsert(h);
      this.outbox.apply(batch.outbox ?? [], batch.outboxResults ?? [], inserted, Date.now());
      if (batch.derived !== undefined || batch.derivationState !== undefined) this.derived.apply(batch.derived ?? [], batch.derivationState ?? []);
      if (batch.alerts !== undefined) this.alerts.apply(batch.alerts);
      if (batch.breaches !== undefined) this.alerts.applyBreaches(batch.breaches);
      if (batch.audit !== undefined || batch.reviews !== undefined) this.audit.apply(batch.audit ?? [], batch.reviews ?? []);
      return inserted;
    });
  }

  commit(batch: CommitBatch): CommitReceipt {
    return this.commitEncoded({ ...batch, rows: batch.rows.map(toTuple) });
  }

  /** Commits a batch whose rows are already tuples (the writer thread's input). */
  commitEncoded(batch: EncodedBatch): CommitReceipt {
    return { inserted: this.commitTx.immediate(batch) };
  }

  query(q: ReadingQuery): StoredReading[] {
    // Only the filters given, so the planner can use the patient/time index. A device's values are
    // found through its patient's (a device belongs to one patient).
    const where: string[] = [];
    if (q.patientNhs !== undefined) where.push('patient_nhs = @patient');
    if (q.deviceId !== undefined) where.push('patient_nhs = (SELECT patient_nhs FROM devices WHERE id = @device) AND device_id = @device');
    if (q.metric !== undefined) where.push('metric = @metric');
    if (q.sinceMs !== undefined) where.push('taken_at >= @since');
    const sql = `SELECT * FROM readings ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY taken_at, id LIMIT @limit`;
    const params = { patient: q.patientNhs, device: q.deviceId, metric: q.metric, since: q.sinceMs, limit: q.limit ?? -1 };
    const named = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
    return (this.db.prepare(sql).all(named) as Record<string, unknown>[]).map(toStoredReading);
  }

  readingOf(rowId: number): StoredReading[] {
    return (this.readingOfStmt.all(rowId) as Record<string, unknown>[]).map(toStoredReading);
  }

  readingsAt(deviceId: string, deviceTakenAtMs: number): StoredReading[] {
    const prefix = readingKeyPrefix(deviceId, deviceTakenAtMs);
    return (this.readingsAtStmt.all(prefix, `${prefix.slice(0, -1)}}`) as Record<string, unknown>[]).map(toStoredReading);
  }

  /**
   * Adds the rows stored now (`ids[i]` undefined: a duplicate) to their minutes' rollups and to the
   * latest values: one upsert per patient, metric and minute, and one per patient and metric.
   */
  private rollUp(rows: readonly RowTuple[], ids: readonly (number | undefined)[]): void {
    const minutes = new Map<string, [patient: string, metric: string, minute: number, min: number, max: number, sum: number, count: number]>();
    const newest = new Map<string, { t: RowTuple; id: number }>();
    rows.forEach((t, i) => {
      const id = ids[i];
      if (id === undefined) return;
      const latestKey = `${t[2]}|${t[4]}`;
      const n = newest.get(latestKey);
      if (n === undefined || t[8] >= n.t[8]) newest.set(latestKey, { t, id });
      const minute = Math.floor(t[8] / 60_000);
      const key = `${t[2]}|${t[4]}|${minute}`;
      const m = minutes.get(key);
      if (m === undefined) minutes.set(key, [t[2], t[4], minute, t[5], t[5], t[5], 1]);
      else {
        m[3] = Math.min(m[3], t[5]);
        m[4] = Math.max(m[4], t[5]);
        m[5] += t[5];
        m[6] += 1;
      }
    });
    for (const m of minutes.values()) this.rollupStmt.run(...m);
    for (const { t, id } of newest.values()) this.latestUpsertStmt.run(t[2], t[4], id, t[1], t[5], t[6], t[8]);
  }

  private correct(c: Correction): void {
    const status = c.action === 'retract' ? 'entered-in-error' : 'amended';
    for (const key of c.keys) {
      const metric = key.split('|')[2] as string;
      this.correctStmt.run(status, c.after?.[metric] ?? null, key);
      // The corrected value's minute is summed again from what is now shown.
      const at = this.rollupOfStmt.get(key) as { patient: string; metric: string; minute: number } | undefined;
      if (at !== undefined) {
        this.rollupDropStmt.run(at.patient, at.metric, at.minute);
        this.rollupRedoStmt.run(at);
        this.latestDropStmt.run(at.patient, at.metric);
        this.latestRedoStmt.run(at);
      }
    }
    const after = c.after === undefined ? null : JSON.stringify(c.after);
    this.correctionStmt.run(c.deviceId, c.keys[0] ?? '', c.action, JSON.stringify(c.before), after, c.reason ?? null, c.requestedBy, c.atMs);
  }

  /** A patient's latest value of `metric` taken at or after `sinceMs` (not retracted), if any. */
  latest(patientNhs: string, metric: string, sinceMs: number): { value: number; takenAtMs: number } | undefined {
    return this.latestStmt.get(patientNhs, metric, sinceMs) as { value: number; takenAtMs: number } | undefined;
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
    return (this.db.prepare('SELECT COUNT(*) AS n FROM readings').get() as { n: number }).n;
  }
}

function toStoredReading(r: Record<string, unknown>): StoredReading {
  const opt = <T>(v: unknown): T | undefined => (v === null ? undefined : (v as T));
  return {
    id: r['id'] as number,
    idempotencyKey: r['idempotency_key'] as string,
    deviceId: r['device_id'] as string,
    patientNhs: r['patient_nhs'] as string,
    profileId: r['profile_id'] as string,
    metric: r['metric'] as string,
    value: r['value'] as number,
    unit: r['unit'] as string,
    sourceUnit: opt(r['source_unit']),
    takenAtMs: r['taken_at'] as number,
    deviceTakenAtMs: r['device_taken_at'] as number,
    receivedAtMs: r['received_at'] as number,
    clockOffsetMs: opt(r['clock_offset_ms']),
    messageId: opt(r['message_id']),
    ...(r['payload_sha256'] !== null && r['payload_sha256'] !== undefined ? { payloadSha256: r['payload_sha256'] as string } : {}),
    status: r['status'] as ReadingStatus,
    ...(r['first_value'] !== null && r['first_value'] !== undefined ? { firstValue: r['first_value'] as number } : {}),
  };
}
