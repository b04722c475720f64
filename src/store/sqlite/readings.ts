import type { CommitBatch, CommitReceipt, ReadingQuery, ReadingStore, StoredReading } from '../reading-store.js';
import type { SqliteConnection, SqliteStatement, SqliteTransaction } from './database.js';
import { SqliteDeadLetters } from './dead-letters.js';
import { SqliteDeviceHealth } from './health.js';

/** ReadingStore on SQLite: one transaction per group commit, duplicates ignored by the idempotency key. */
export class SqliteReadingStore implements ReadingStore {
  private readonly insertStmt: SqliteStatement;
  private readonly commitTx: SqliteTransaction<(batch: CommitBatch) => boolean[]>;

  constructor(
    private readonly db: SqliteConnection,
    private readonly deadLetters: SqliteDeadLetters,
    private readonly health: SqliteDeviceHealth,
  ) {
    this.insertStmt = db.prepare(
      `INSERT OR IGNORE INTO readings (idempotency_key, device_id, patient_nhs, profile_id, metric, value, unit,
         source_unit, taken_at, device_taken_at, received_at, clock_offset_ms, message_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.commitTx = db.transaction((batch: CommitBatch) => {
      const inserted = batch.rows.map(
        (r) =>
          this.insertStmt.run(
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
          ).changes === 1,
      );
      for (const d of batch.deadLetters) this.deadLetters.insert(d);
      for (const h of batch.health) this.health.upsert(h);
      return inserted;
    });
  }

  commit(batch: CommitBatch): CommitReceipt {
    return { inserted: this.commitTx.immediate(batch) };
  }

  query(q: ReadingQuery): StoredReading[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM readings
         WHERE (@patient IS NULL OR patient_nhs = @patient)
           AND (@device IS NULL OR device_id = @device)
           AND (@metric IS NULL OR metric = @metric)
           AND (@since IS NULL OR taken_at >= @since)
         ORDER BY taken_at, id LIMIT @limit`,
      )
      .all({
        patient: q.patientNhs ?? null,
        device: q.deviceId ?? null,
        metric: q.metric ?? null,
        since: q.sinceMs ?? null,
        limit: q.limit ?? -1,
      }) as Record<string, unknown>[];
    return rows.map(toStoredReading);
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
  };
}
