import type { ReadingTuple } from '../reading-encoding.js';
import { CommitRollups } from '../rollups.js';
import type { SqliteConnection, SqliteStatement } from './database.js';
import { INDEXED, PROFILES_OF_METRIC } from './reading-queries.js';

/**
 * How often, at most, the rollups are written while readings keep coming. Written in every commit,
 * they were an upsert per patient and metric each time: under `npm run bench`'s load, 48 of the
 * 271 pages each commit wrote, and about 1 µs of the store's 10–11 µs a reading measured alone
 * (docs/benchmarks.md). Once a second writes each patient's minute once a second.
 */
export const ROLLUPS_EVERY_MS = 1000;

/** How often the rollups are written: at most every `rollupsEveryMs` on `rollupsClock` (monotonic, in ms). */
export interface RollupOptions {
  readonly rollupsEveryMs?: number;
  readonly rollupsClock?: () => number;
}

/** The upsert adding one minute's values (min, max, sum, count) to its rollup. */
const ADD = `ON CONFLICT (patient_nhs, metric, minute) DO UPDATE SET min = MIN(min, excluded.min), max = MAX(max, excluded.max), sum = sum + excluded.sum, count = count + excluded.count`;

/**
 * The per-minute rollups of the values shown (`reading_rollups`: min, max, sum and count per
 * patient, metric and minute), written at most every {@link ROLLUPS_EVERY_MS} instead of in every
 * commit. `rollups_through` holds the id of the last reading they include, written in the same
 * transaction; the queries that read them add the readings after it (a range of the table's key:
 * a second's readings at most, under load), so what is read is exact whenever it is read, and
 * whichever process reads it.
 *
 * What the commits since the last write add is summed here in memory, and written as it is when it
 * covers exactly the readings after `rollups_through`. Otherwise (the first write after opening
 * the store, after a failed commit, or after another process wrote readings or rollups meanwhile)
 * those readings are summed again from their rows. A correction's minutes are summed again from
 * their rows after the rollups are brought up to date, in the correction's transaction.
 */
export class SqliteRollups {
  private pending = new CommitRollups();
  /** Readings added to `pending`. */
  private pendingReadings = 0;
  /** The `rollups_through` that `pending` starts after; undefined when it does not (it is summed from the rows). */
  private base: number | undefined;
  /** Whether the transaction under way wrote the rollups. */
  private wrote = false;
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  private readonly everyMs: number;
  private readonly now: () => number;
  private readonly throughStmt: SqliteStatement;
  private readonly unrolledStmt: SqliteStatement;
  private readonly setThroughStmt: SqliteStatement;
  private readonly upsertStmt: SqliteStatement;
  private readonly fromRowsStmt: SqliteStatement;
  private readonly dropStmt: SqliteStatement;
  private readonly redoStmt: SqliteStatement;

  constructor(db: SqliteConnection, options: RollupOptions = {}) {
    this.everyMs = options.rollupsEveryMs ?? ROLLUPS_EVERY_MS;
    this.now = options.rollupsClock ?? (() => performance.now());
    this.throughStmt = db.prepare('SELECT reading_id FROM rollups_through WHERE id = 1').pluck();
    this.unrolledStmt = db.prepare('SELECT COUNT(*) AS n, COALESCE(MAX(id), @after) AS last FROM readings WHERE id > @after');
    this.setThroughStmt = db.prepare('UPDATE rollups_through SET reading_id = ? WHERE id = 1');
    this.upsertStmt = db.prepare(`INSERT INTO reading_rollups (patient_nhs, metric, minute, min, max, sum, count) VALUES (?, ?, ?, ?, ?, ?, ?) ${ADD}`);
    this.fromRowsStmt = db.prepare(
      `INSERT INTO reading_rollups (patient_nhs, metric, minute, min, max, sum, count)
       SELECT r.patient_nhs, v.key, r.taken_at / 60000, MIN(v.value ->> 0), MAX(v.value ->> 0), SUM(v.value ->> 0), COUNT(*)
       FROM readings r, json_each(r.values_json) v WHERE r.id > @after AND r.id <= @last AND r.status != 'entered-in-error'
       GROUP BY r.patient_nhs, v.key, r.taken_at / 60000 ${ADD}`,
    );
    this.dropStmt = db.prepare('DELETE FROM reading_rollups WHERE patient_nhs = ? AND metric = ? AND minute = ?');
    this.redoStmt = db.prepare(
      `INSERT INTO reading_rollups (patient_nhs, metric, minute, min, max, sum, count)
       SELECT @patient, @metric, @minute, MIN(value), MAX(value), SUM(value), COUNT(*) FROM reading_values
       WHERE id IN (${INDEXED('@patient', { profiles: PROFILES_OF_METRIC, from: '@minute * 60000', to: '(@minute + 1) * 60000' })})
         AND metric = @metric AND status != 'entered-in-error'
       HAVING COUNT(*) > 0`,
    );
  }

  /** Adds a reading stored by the transaction under way. */
  add(reading: ReadingTuple): void {
    this.pending.add(reading);
    this.pendingReadings++;
  }

  /** Whether {@link ROLLUPS_EVERY_MS} has passed since the rollups were last written. */
  due(): boolean {
    return this.now() - this.lastWriteAt >= this.everyMs;
  }

  /** In a transaction: brings the rollups up to date with every reading stored. */
  write(): void {
    const after = this.throughStmt.get() as number;
    const { n, last } = this.unrolledStmt.get({ after }) as { n: number; last: number };
    if (n > 0) {
      if (this.base === after && this.pendingReadings === n) for (const m of this.pending.minutes()) this.upsertStmt.run(...m);
      else this.fromRowsStmt.run({ after, last });
      this.setThroughStmt.run(last);
    }
    this.pending = new CommitRollups();
    this.pendingReadings = 0;
    this.base = last;
    this.wrote = true;
  }

  /**
   * In a transaction, after {@link write}: sums one patient's minute of one metric again from its
   * rows (a reading in it was corrected).
   */
  resum(patient: string, metric: string, minute: number): void {
    this.dropStmt.run(patient, metric, minute);
    this.redoStmt.run({ patient, metric, minute });
  }

  /** Whether readings were added since the rollups were last written. */
  hasPending(): boolean {
    return this.pendingReadings > 0;
  }

  /** Told once the transaction under way has ended: `committed`, or rolled back. */
  settled(committed: boolean): void {
    if (committed && this.wrote) this.lastWriteAt = this.now();
    if (!committed) {
      // What it added or wrote is not in the store: the readings after `rollups_through` are summed afresh.
      this.pending = new CommitRollups();
      this.pendingReadings = 0;
      this.base = undefined;
    }
    this.wrote = false;
  }
}
