import type { OutboxEntry, OutboxResult } from '../reading-store.js';
import type { SqliteConnection, SqliteStatement } from './database.js';

/** One outbox row: the payloads of one commit for one sink, one per line. */
export interface PendingOutboxEntry {
  readonly id: number;
  /** The sink's payloads (single-line texts: line protocol, compact JSON), newline-separated. */
  readonly payload: string;
  /** How many payloads the row holds. */
  readonly items: number;
}

export interface DeadOutboxEntry extends PendingOutboxEntry {
  readonly error: string;
  readonly createdAtMs: number;
}

export interface OutboxStats {
  /** Payloads (e.g. points) waiting. */
  readonly pending: number;
  /** Payloads refused for good. */
  readonly dead: number;
  /** Creation time of the oldest pending entry. */
  readonly oldestPendingAtMs: number | undefined;
}

/**
 * The outbox table, written inside the commit transaction and read by each output's sender. A
 * commit's entries for one sink are stored as one row, payloads one per line: one extra insert per
 * commit rather than per reading keeps the hand-off cheap on the hot path.
 */
export class SqliteOutbox {
  private readonly insertStmt: SqliteStatement;
  private readonly deleteStmt: SqliteStatement;
  private readonly deadStmt: SqliteStatement;
  private readonly insertDeadStmt: SqliteStatement;
  private readonly pendingStmt: SqliteStatement;
  private readonly statsStmt: SqliteStatement;
  private readonly deadListStmt: SqliteStatement;

  constructor(db: SqliteConnection) {
    this.insertStmt = db.prepare('INSERT INTO outbox (sink, payload, items, created_at) VALUES (?, ?, ?, ?)');
    this.deleteStmt = db.prepare('DELETE FROM outbox WHERE id = ?');
    this.deadStmt = db.prepare(`UPDATE outbox SET state = 'dead', last_error = ? WHERE id = ?`);
    this.insertDeadStmt = db.prepare(`INSERT INTO outbox (sink, payload, items, created_at, state, last_error) VALUES (?, ?, 1, ?, 'dead', ?)`);
    this.pendingStmt = db.prepare(`SELECT id, payload, items FROM outbox WHERE sink = ? AND state = 'pending' AND id > ? ORDER BY id LIMIT ?`);
    this.deadListStmt = db.prepare(`SELECT id, payload, items, last_error AS error, created_at AS createdAtMs FROM outbox WHERE sink = ? AND state = 'dead' ORDER BY id LIMIT ?`);
    this.statsStmt = db.prepare(
      `SELECT SUM(CASE WHEN state = 'pending' THEN items END) AS pending, SUM(CASE WHEN state = 'dead' THEN items END) AS dead,
              MIN(CASE WHEN state = 'pending' THEN created_at END) AS oldest
       FROM outbox WHERE sink = ?`,
    );
  }

  /**
   * Call inside the commit transaction, with the inserted flags of the batch's rows: an entry is
   * kept only if one of its rows is new (or it carries no rows, as a backfill does).
   */
  apply(entries: readonly OutboxEntry[], results: readonly OutboxResult[], inserted: readonly boolean[], nowMs: number): void {
    const bySink = new Map<string, string[]>();
    for (const e of entries) {
      if (e.rowCount > 0 && !anyInserted(inserted, e.firstRow, e.rowCount)) continue;
      const payloads = bySink.get(e.sink);
      if (payloads === undefined) bySink.set(e.sink, [e.payload]);
      else payloads.push(e.payload);
    }
    for (const [sink, payloads] of bySink) this.insertStmt.run(sink, payloads.join('\n'), payloads.length, nowMs);
    for (const r of results) {
      if (r.delivered) {
        this.deleteStmt.run(r.id);
        for (const item of r.refused ?? []) this.insertDeadStmt.run(item.sink, item.payload, nowMs, item.error.slice(0, MAX_ERROR_CHARS));
      } else this.deadStmt.run(r.error.slice(0, MAX_ERROR_CHARS), r.id);
    }
  }

  /** Pending rows of a sink after `afterId`, oldest first. */
  pending(sink: string, afterId: number, limit: number): PendingOutboxEntry[] {
    return this.pendingStmt.all(sink, afterId, limit) as PendingOutboxEntry[];
  }

  /** Entries of a sink refused for good, oldest first, with the reason. */
  dead(sink: string, limit = 100): DeadOutboxEntry[] {
    return this.deadListStmt.all(sink, limit) as DeadOutboxEntry[];
  }

  stats(sink: string): OutboxStats {
    const r = this.statsStmt.get(sink) as { pending: number | null; dead: number | null; oldest: number | null };
    return { pending: r.pending ?? 0, dead: r.dead ?? 0, oldestPendingAtMs: r.oldest ?? undefined };
  }
}

/** Enough for a server's OperationOutcome. */
const MAX_ERROR_CHARS = 8_000;

function anyInserted(inserted: readonly boolean[], first: number, count: number): boolean {
  for (let i = first; i < first + count; i++) if (inserted[i] === true) return true;
  return false;
}
