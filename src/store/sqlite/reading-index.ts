import type { SqliteConnection, SqliteStatement } from './database.js';

/**
 * The per-patient index of the readings: `reading_index` (patient, profile, time, id), a table
 * keyed by those columns, filled from the readings after `index_through` (the id of the last
 * reading it holds) when the rollups are written: at most once a second while readings keep coming
 * (src/store/sqlite/rollups.ts). An index on the readings themselves wrote about one page per
 * patient in every commit, whatever its size; filled once a second, a patient's page is written
 * once a second (docs/benchmarks.md measures both).
 *
 * The queries that walk it add the readings after `index_through`, a range of the table's key (a
 * second's readings at most, under load): see `INDEXED` in src/store/sqlite/reading-queries.ts.
 * What they read is exact whenever it is read, and whichever process reads it.
 */
export class SqliteReadingIndex {
  private readonly fillStmt: SqliteStatement;
  private readonly setThroughStmt: SqliteStatement;

  constructor(db: SqliteConnection) {
    // Sorted by the key: a patient's new entries go in together, at the end of their range.
    this.fillStmt = db.prepare(
      `INSERT INTO reading_index (patient_nhs, profile_id, taken_at, id)
       SELECT patient_nhs, profile_id, taken_at, id FROM readings WHERE id > (SELECT reading_id FROM index_through WHERE id = 1)
       ORDER BY patient_nhs, profile_id, taken_at, id`,
    );
    this.setThroughStmt = db.prepare('UPDATE index_through SET reading_id = (SELECT COALESCE(MAX(id), reading_id) FROM readings) WHERE id = 1');
  }

  /** In a transaction: adds every reading after `index_through` to the index. */
  write(): void {
    if (this.fillStmt.run().changes > 0) this.setThroughStmt.run();
  }
}
