import type { DerivationInput, DerivationState, DerivedRecord } from '../reading-store.js';
import type { SqliteConnection, SqliteStatement } from './database.js';
import { DERIVATION_INPUT as INPUT, READING_QUERIES } from './reading-queries.js';

export type { DerivationInput } from '../reading-store.js';

/**
 * The store side of derived Observations: what changed since a derivation last read (new readings,
 * corrections — both tables' ids only grow), the readings of a period, and the derived records,
 * upserted inside the commit transaction.
 */
export class SqliteDerived {
  private readonly upsertStmt: SqliteStatement;
  private readonly stateUpsertStmt: SqliteStatement;
  private readonly stateStmt: SqliteStatement;
  private readonly getStmt: SqliteStatement;
  private readonly latestStmt: SqliteStatement;
  private readonly readingsAfterStmt: SqliteStatement;
  private readonly valuesOfStmt: SqliteStatement;
  private readonly correctedAfterStmt: SqliteStatement;
  private readonly periodStmt: SqliteStatement;
  private readonly patientStmt: SqliteStatement;
  private readonly dueStmt: SqliteStatement;
  private readonly maxIdStmt: SqliteStatement;

  constructor(db: SqliteConnection) {
    this.upsertStmt = db.prepare(
      `INSERT INTO derived_observations (key, patient_nhs, period_start, period_end, status, content, observation, updated_at)
       VALUES (@key, @patientNhs, @periodStartMs, @periodEndMs, @status, @content, @observation, @updatedAtMs)
       ON CONFLICT (key) DO UPDATE SET period_end = excluded.period_end, status = excluded.status, content = excluded.content,
         observation = excluded.observation, updated_at = excluded.updated_at`,
    );
    this.stateUpsertStmt = db.prepare(
      `INSERT INTO derivation_state (name, last_reading_id, last_correction_id) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET last_reading_id = excluded.last_reading_id, last_correction_id = excluded.last_correction_id`,
    );
    this.stateStmt = db.prepare(`SELECT name, last_reading_id AS lastReadingId, last_correction_id AS lastCorrectionId FROM derivation_state WHERE name = ?`);
    this.getStmt = db.prepare(`SELECT * FROM derived_observations WHERE key = ?`);
    this.latestStmt = db.prepare(`SELECT * FROM derived_observations WHERE key >= ? AND key < ? AND period_start <= ? ORDER BY period_start DESC LIMIT 1`);
    // Readings of the profiles carrying these metrics, then their values of these metrics.
    this.readingsAfterStmt = db.prepare(
      `SELECT id FROM readings WHERE id > ? AND id <= ?
         AND profile_id IN (SELECT profile_id FROM profile_metrics WHERE metric IN (SELECT value FROM json_each(?))) ORDER BY id LIMIT ?`,
    ).pluck();
    this.valuesOfStmt = db.prepare(
      `SELECT ${INPUT} FROM reading_values WHERE id IN (SELECT value FROM json_each(?)) AND metric IN (SELECT value FROM json_each(?)) ORDER BY id, position`,
    );
    this.maxIdStmt = db.prepare(`SELECT COALESCE(MAX(id), 0) AS id FROM readings`);
    this.correctedAfterStmt = db.prepare(
      `SELECT c.id AS correctionId, r.id, r.device_id AS deviceId, r.patient_nhs AS patientNhs, r.profile_id AS profileId, r.metric, r.value,
              r.taken_at AS takenAtMs, r.status
        FROM corrections c JOIN reading_values r ON r.reading_key = c.reading_key
       WHERE c.id IN (SELECT id FROM corrections WHERE id > ? ORDER BY id LIMIT ?) ORDER BY c.id, r.position`,
    );
    this.periodStmt = db.prepare(READING_QUERIES.period);
    this.dueStmt = db.prepare(`SELECT * FROM derived_observations WHERE status = 'preliminary' AND period_end <= ? ORDER BY period_end LIMIT ?`);
    this.patientStmt = db.prepare(`SELECT * FROM derived_observations WHERE patient_nhs = ? ORDER BY period_start, key`);
  }

  /** Call inside the commit transaction. */
  apply(records: readonly DerivedRecord[], states: readonly DerivationState[]): void {
    for (const r of records) this.upsertStmt.run({ ...r, observation: r.observation ?? null });
    for (const s of states) this.stateUpsertStmt.run(s.name, s.lastReadingId, s.lastCorrectionId);
  }

  state(name: string): DerivationState {
    return (this.stateStmt.get(name) as DerivationState | undefined) ?? { name, lastReadingId: 0, lastCorrectionId: 0 };
  }

  /**
   * Values of the given metrics in up to `limit` readings stored after id `afterId`, oldest first,
   * and the reading id read up to: the last read when `limit` were found (`more`), else the highest
   * id in the table (nothing more to read).
   */
  readingsAfter(afterId: number, limit: number, metrics: readonly string[]): { inputs: DerivationInput[]; readToId: number; more: boolean } {
    const maxId = (this.maxIdStmt.get() as { id: number }).id;
    const wanted = JSON.stringify(metrics);
    const ids = this.readingsAfterStmt.all(afterId, maxId, wanted, limit) as number[];
    const inputs = ids.length === 0 ? [] : (this.valuesOfStmt.all(JSON.stringify(ids), wanted) as DerivationInput[]);
    const more = ids.length === limit;
    return { inputs, readToId: more ? (ids.at(-1) as number) : Math.max(afterId, maxId), more };
  }

  /** Up to `limit` corrections after `afterId`, with every value of the reading each corrected. */
  correctedAfter(afterId: number, limit: number): (DerivationInput & { correctionId: number })[] {
    return this.correctedAfterStmt.all(afterId, limit) as (DerivationInput & { correctionId: number })[];
  }

  /** A patient's values of one metric taken in `[fromMs, toMs)`, any status, oldest first. */
  period(patientNhs: string, metric: string, fromMs: number, toMs: number): DerivationInput[] {
    return this.periodStmt.all({ patient: patientNhs, metric, from: fromMs, to: toMs }) as DerivationInput[];
  }

  get(key: string): DerivedRecord | undefined {
    const r = this.getStmt.get(key) as Record<string, unknown> | undefined;
    return r === undefined ? undefined : toRecord(r);
  }

  /** The record with the latest period start at or before `atMs` among keys starting with `prefix`. */
  latest(prefix: string, atMs: number): DerivedRecord | undefined {
    const r = this.latestStmt.get(prefix, `${prefix}\uffff`, atMs) as Record<string, unknown> | undefined;
    return r === undefined ? undefined : toRecord(r);
  }

  /** Records still preliminary whose period ended by `endedBy`, earliest first. */
  due(endedBy: number, limit: number): DerivedRecord[] {
    return (this.dueStmt.all(endedBy, limit) as Record<string, unknown>[]).map(toRecord);
  }

  /** A patient's derived records, oldest period first. */
  ofPatient(patientNhs: string): DerivedRecord[] {
    return (this.patientStmt.all(patientNhs) as Record<string, unknown>[]).map(toRecord);
  }
}

function toRecord(r: Record<string, unknown>): DerivedRecord {
  return {
    key: r['key'] as string,
    patientNhs: r['patient_nhs'] as string,
    periodStartMs: r['period_start'] as number,
    periodEndMs: r['period_end'] as number,
    status: r['status'] as DerivedRecord['status'],
    content: r['content'] as string,
    observation: (r['observation'] as string | null) ?? undefined,
    updatedAtMs: r['updated_at'] as number,
  };
}
