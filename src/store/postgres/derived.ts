import type { DerivationInput as Input, DerivationState, DerivedRecord, ReadingStatus } from '../reading-store.js';
import { columns } from './columns.js';
import type { PgQueryable, PgRow } from './database.js';

const input = (r: PgRow): Input => ({
  id: Number(r['id']),
  deviceId: String(r['device_id']),
  patientNhs: String(r['patient_nhs']),
  profileId: String(r['profile_id']),
  metric: String(r['metric']),
  value: Number(r['value']),
  takenAtMs: Number(r['taken_at']),
  status: r['status'] as ReadingStatus,
});

const record = (r: PgRow): DerivedRecord => ({
  key: String(r['key']),
  patientNhs: String(r['patient_nhs']),
  periodStartMs: Number(r['period_start']),
  periodEndMs: Number(r['period_end']),
  status: r['status'] as DerivedRecord['status'],
  content: String(r['content']),
  observation: r['observation'] === null || r['observation'] === undefined ? undefined : String(r['observation']),
  updatedAtMs: Number(r['updated_at']),
});

/** Each value of the readings `r`, with the reading's fields. */
const VALUES = `SELECT r.id, r.device_id, r.patient_nhs, r.profile_id, v.key AS metric, (v.value ->> 0)::double precision AS value, r.taken_at, r.status, v.position
  FROM readings r CROSS JOIN LATERAL json_each(r.values_json) WITH ORDINALITY AS v (key, value, position)`;

/**
 * The store side of derived Observations on PostgreSQL. Several workers' transactions commit in
 * another order than their ids were drawn, so "what changed since" is read by transaction: each
 * reading and correction keeps the id of the transaction that wrote it (`tx`), and a read takes only
 * transactions older than every transaction still running (`pg_snapshot_xmin`), all of which have
 * ended, so nothing committed later can fall behind the watermark. The watermarks
 * (`lastReadingId`, `lastCorrectionId`) are those transaction ids. One worker derives at a time,
 * holding the derivation's row for a lease (`claim`).
 */
export class PgDerived {
  constructor(private readonly db: PgQueryable) {}

  async state(name: string): Promise<DerivationState> {
    const [r] = await this.db.query('SELECT last_reading_id, last_correction_id FROM derivation_state WHERE name = $1', [name]);
    return { name, lastReadingId: Number(r?.['last_reading_id'] ?? 0), lastCorrectionId: Number(r?.['last_correction_id'] ?? 0) };
  }

  /**
   * True if `holder` derives now: it held the lease already, or nobody did, or it ran out. Held for
   * `leaseMs` from `nowMs`; a worker that dies leaves it to another once it ends.
   */
  async claim(name: string, holder: string, nowMs: number, leaseMs: number): Promise<boolean> {
    const changed = await this.db.execute(
      `INSERT INTO derivation_state (name, last_reading_id, last_correction_id, claimed_by, claimed_until) VALUES ($1, 0, 0, $2, $3)
       ON CONFLICT (name) DO UPDATE SET claimed_by = excluded.claimed_by, claimed_until = excluded.claimed_until
       WHERE derivation_state.claimed_by IS NULL OR derivation_state.claimed_by = excluded.claimed_by OR derivation_state.claimed_until < $4`,
      [name, holder, nowMs + leaseMs, nowMs],
    );
    return changed === 1;
  }

  /**
   * Values of `metrics` in the readings of up to `limit` transactions after transaction `afterTx`,
   * oldest first; `readToId` is the last transaction read (`more`: there may be others), else the
   * last before every transaction still running.
   */
  async readingsAfter(afterTx: number, limit: number, metrics: readonly string[]): Promise<{ inputs: Input[]; readToId: number; more: boolean }> {
    const horizon = await this.horizon();
    const lastTx = await this.lastOfTransactions('readings', afterTx, horizon, limit);
    const more = lastTx !== undefined && lastTx.count === limit;
    const readToId = more ? lastTx.tx : Math.max(afterTx, horizon - 1);
    if (lastTx === undefined) return { inputs: [], readToId, more };
    const rows = await this.db.query(
      `${VALUES} WHERE r.tx > $1::text::xid8 AND r.tx <= $2::text::xid8
         AND r.profile_id IN (SELECT profile_id FROM profile_metrics WHERE metric = ANY($3::text[])) AND v.key = ANY($3::text[])
       ORDER BY r.tx, r.id, v.position`,
      [String(afterTx), String(lastTx.tx), metrics],
    );
    return { inputs: rows.map(input), readToId, more };
  }

  /** Every value of each reading corrected in up to `limit` transactions after `afterTx` (`correctionId`: the correction's transaction). */
  async correctedAfter(afterTx: number, limit: number): Promise<(Input & { correctionId: number })[]> {
    const lastTx = await this.lastOfTransactions('corrections', afterTx, await this.horizon(), limit);
    if (lastTx === undefined) return [];
    const rows = await this.db.query(
      `SELECT c.tx::text AS correction_tx, v.* FROM corrections c CROSS JOIN LATERAL (${VALUES} WHERE r.reading_key = c.reading_key) v
       WHERE c.tx > $1::text::xid8 AND c.tx <= $2::text::xid8 ORDER BY c.tx, c.id, v.position`,
      [String(afterTx), String(lastTx.tx)],
    );
    return rows.map((r) => ({ ...input(r), correctionId: Number(r['correction_tx']) }));
  }

  /** The last of up to `limit` transactions after `afterTx` and before `horizon` that wrote to `table`, and how many there were. */
  private async lastOfTransactions(table: 'readings' | 'corrections', afterTx: number, horizon: number, limit: number): Promise<{ tx: number; count: number } | undefined> {
    const [r] = await this.db.query(
      `SELECT t.tx::text AS tx, count(*) OVER () AS n FROM (SELECT DISTINCT tx FROM ${table} WHERE tx > $1::text::xid8 AND tx < $2::text::xid8 ORDER BY tx LIMIT $3) t ORDER BY t.tx DESC LIMIT 1`,
      [String(afterTx), String(horizon), limit],
    );
    const count = Number(r?.['n'] ?? 0);
    return count === 0 ? undefined : { tx: Number(r?.['tx']), count };
  }

  /** A patient's values of one metric taken in `[fromMs, toMs)`, any status, oldest first. */
  async period(patientNhs: string, metric: string, fromMs: number, toMs: number): Promise<Input[]> {
    const rows = await this.db.query(
      `SELECT r.id, r.device_id, r.patient_nhs, r.profile_id, $2::text AS metric, (r.values_json -> $2 ->> 0)::double precision AS value, r.taken_at, r.status
       FROM readings r WHERE r.patient_nhs = $1 AND r.profile_id IN (SELECT profile_id FROM profile_metrics WHERE metric = $2)
         AND r.taken_at >= $3 AND r.taken_at < $4 AND (r.values_json -> $2) IS NOT NULL
       ORDER BY r.taken_at, r.id`,
      [patientNhs, metric, fromMs, toMs],
    );
    return rows.map(input);
  }

  async get(key: string): Promise<DerivedRecord | undefined> {
    const [r] = await this.db.query(`SELECT ${columns('derived_observations')} FROM derived_observations WHERE key = $1`, [key]);
    return r === undefined ? undefined : record(r);
  }

  /** The record with the latest period start at or before `atMs` among keys starting with `prefix`. */
  async latest(prefix: string, atMs: number): Promise<DerivedRecord | undefined> {
    const [r] = await this.db.query(`SELECT ${columns('derived_observations')} FROM derived_observations WHERE key >= $1 AND key < $2 AND period_start <= $3 ORDER BY period_start DESC LIMIT 1`, [prefix, `${prefix}\uffff`, atMs]);
    return r === undefined ? undefined : record(r);
  }

  /** Records still preliminary whose period ended by `endedBy`, earliest first. */
  async due(endedBy: number, limit: number): Promise<DerivedRecord[]> {
    return (await this.db.query(`SELECT ${columns('derived_observations')} FROM derived_observations WHERE status = 'preliminary' AND period_end <= $1 ORDER BY period_end LIMIT $2`, [endedBy, limit])).map(record);
  }

  /** A patient's derived records, oldest period first. */
  async ofPatient(patientNhs: string): Promise<DerivedRecord[]> {
    return (await this.db.query(`SELECT ${columns('derived_observations')} FROM derived_observations WHERE patient_nhs = $1 ORDER BY period_start, key`, [patientNhs])).map(record);
  }

  /** The oldest transaction still running (or the next to start): every one before it has ended. */
  private async horizon(): Promise<number> {
    const [r] = await this.db.query('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS h', []);
    return Number(r?.['h']);
  }
}
