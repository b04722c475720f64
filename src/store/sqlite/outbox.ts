import type { OutboxEntry, OutboxResult } from '../reading-store.js';
import type { SqliteConnection, SqliteStatement } from './database.js';

export interface PendingOutboxEntry {
  readonly id: number;
  readonly payload: string;
}

export interface OutboxStats {
  readonly pending: number;
  readonly dead: number;
  /** Creation time of the oldest pending entry. */
  readonly oldestPendingAtMs: number | undefined;
}

/** The outbox table: entries written inside the commit transaction, read by each output's sender. */
export class SqliteOutbox {
  private readonly insertStmt: SqliteStatement;
  private readonly deleteStmt: SqliteStatement;
  private readonly deadStmt: SqliteStatement;

  constructor(private readonly db: SqliteConnection) {
    this.insertStmt = db.prepare('INSERT INTO outbox (sink, payload, created_at) VALUES (?, ?, ?)');
    this.deleteStmt = db.prepare('DELETE FROM outbox WHERE id = ?');
    this.deadStmt = db.prepare(`UPDATE outbox SET state = 'dead', last_error = ? WHERE id = ?`);
  }

  /** Call inside the commit transaction, with the inserted flags of the batch's rows. */
  apply(entries: readonly OutboxEntry[], results: readonly OutboxResult[], inserted: readonly boolean[], nowMs: number): void {
    for (const e of entries) {
      if (e.rows.length === 0 || e.rows.some((i) => inserted[i] === true)) this.insertStmt.run(e.sink, e.payload, nowMs);
    }
    for (const r of results) {
      if (r.delivered) this.deleteStmt.run(r.id);
      else this.deadStmt.run(r.error.slice(0, 1_000), r.id);
    }
  }

  /** The oldest pending entries of a sink, in the order they were written. */
  pending(sink: string, limit: number): PendingOutboxEntry[] {
    return this.db.prepare(`SELECT id, payload FROM outbox WHERE sink = ? AND state = 'pending' ORDER BY id LIMIT ?`).all(sink, limit) as PendingOutboxEntry[];
  }

  stats(sink: string): OutboxStats {
    const r = this.db
      .prepare(
        `SELECT SUM(state = 'pending') AS pending, SUM(state = 'dead') AS dead,
                MIN(CASE WHEN state = 'pending' THEN created_at END) AS oldest
         FROM outbox WHERE sink = ?`,
      )
      .get(sink) as { pending: number | null; dead: number | null; oldest: number | null };
    return { pending: r.pending ?? 0, dead: r.dead ?? 0, oldestPendingAtMs: r.oldest ?? undefined };
  }
}
