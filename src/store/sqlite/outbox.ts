import type { DeadFilter, DeadOutboxEntry, LaneOutboxEntry, OutboxStats, OutboxStore, PendingOutboxEntry, QueuedOutboxEntry } from '../outbox-store.js';
import { MAX_ERROR_CHARS, outboxRows } from '../outbox-rows.js';
import type { OutboxEntry, OutboxResult } from '../reading-store.js';

export type { DeadFilter, DeadOutboxEntry, LaneOutboxEntry, OutboxStats, PendingOutboxEntry } from '../outbox-store.js';
import type { SqliteConnection, SqliteStatement } from './database.js';

/**
 * The outbox table, written inside the commit transaction and read by each output's sender. A
 * commit's entries for one sink are stored as one row, payloads one per line: one extra insert per
 * commit rather than per reading keeps the hand-off cheap on the hot path.
 */
export class SqliteOutbox implements OutboxStore {
  private readonly insertStmt: SqliteStatement;
  private readonly deleteStmt: SqliteStatement;
  private readonly deadStmt: SqliteStatement;
  private readonly insertDeadStmt: SqliteStatement;
  private readonly pendingStmt: SqliteStatement;
  private readonly pendingIdsStmt: SqliteStatement;
  private readonly statsStmt: SqliteStatement;
  private readonly deadListStmt: SqliteStatement;
  private readonly insertLaneStmt: SqliteStatement;
  private readonly lanesStmt: SqliteStatement;
  private readonly expireStmt: SqliteStatement;
  private readonly deadFilteredStmt: SqliteStatement;
  private readonly requeueStmt: SqliteStatement;

  constructor(db: SqliteConnection) {
    this.insertStmt = db.prepare('INSERT INTO outbox (sink, payload, items, created_at) VALUES (?, ?, ?, ?)');
    this.insertLaneStmt = db.prepare('INSERT INTO outbox (sink, payload, items, created_at, lane) VALUES (?, ?, 1, ?, ?)');
    this.lanesStmt = db.prepare(
      `SELECT id, payload, COALESCE(lane, '') AS lane, created_at AS createdAtMs FROM outbox
       WHERE sink = @sink AND state = 'pending' AND COALESCE(lane, '') NOT IN (SELECT value FROM json_each(@skip)) ORDER BY id LIMIT @limit`,
    );
    this.expireStmt = db.prepare(
      `UPDATE outbox SET state = 'dead', last_error = ? WHERE sink = ? AND COALESCE(lane, '') = ? AND state = 'pending' AND created_at < ?`,
    );
    const filter = `sink IN (SELECT value FROM json_each(@sinks)) AND state = 'dead' AND created_at >= @since AND instr(COALESCE(last_error, ''), @reason) > 0`;
    this.deadFilteredStmt = db.prepare(
      `SELECT id, sink, payload, items, last_error AS error, created_at AS createdAtMs, lane FROM outbox WHERE ${filter} ORDER BY id LIMIT @limit`,
    );
    this.requeueStmt = db.prepare(`UPDATE outbox SET state = 'pending', last_error = NULL WHERE ${filter}`);
    this.deleteStmt = db.prepare('DELETE FROM outbox WHERE id = ?');
    this.deadStmt = db.prepare(`UPDATE outbox SET state = 'dead', last_error = ? WHERE id = ?`);
    this.insertDeadStmt = db.prepare(`INSERT INTO outbox (sink, payload, items, created_at, state, last_error) VALUES (?, ?, 1, ?, 'dead', ?)`);
    // The same rows, the ids alone read from the index (outbox_pending: sink, state, id): no payload is read.
    const pending = `FROM outbox WHERE sink = ? AND state = 'pending' AND id > ? ORDER BY id LIMIT ?`;
    this.pendingStmt = db.prepare(`SELECT id, payload, items ${pending}`);
    this.pendingIdsStmt = db.prepare(`SELECT id ${pending}`).pluck();
    this.deadListStmt = db.prepare(`SELECT id, payload, items, last_error AS error, created_at AS createdAtMs FROM outbox WHERE sink = ? AND state = 'dead' ORDER BY id LIMIT ?`);
    this.statsStmt = db.prepare(
      `SELECT SUM(CASE WHEN state = 'pending' THEN items END) AS pending, SUM(CASE WHEN state = 'dead' THEN items END) AS dead,
              MIN(CASE WHEN state = 'pending' THEN created_at END) AS oldest, MIN(CASE WHEN state = 'dead' THEN created_at END) AS oldestDead
       FROM outbox WHERE sink = ?`,
    );
  }

  /**
   * Call inside the commit transaction, with the inserted flags of the batch's rows: an entry is
   * kept only if one of its rows is new (or it carries no rows, as a backfill does).
   */
  apply(entries: readonly OutboxEntry[], results: readonly OutboxResult[], inserted: readonly boolean[], nowMs: number): QueuedOutboxEntry[] {
    const { laned, bySink } = outboxRows(entries, inserted);
    for (const e of laned) this.insertLaneStmt.run(e.sink, e.payload, nowMs, e.lane);
    const queued: QueuedOutboxEntry[] = [];
    for (const [sink, payloads] of bySink) {
      const payload = payloads.join('\n');
      const id = Number(this.insertStmt.run(sink, payload, payloads.length, nowMs).lastInsertRowid);
      queued.push({ sink, id, payload, items: payloads.length });
    }
    for (const r of results) {
      if ('expire' in r) {
        const { sink, lane, beforeMs, error } = r.expire;
        this.expireStmt.run(error.slice(0, MAX_ERROR_CHARS), sink, lane, beforeMs);
      } else if (r.delivered) {
        this.deleteStmt.run(r.id);
        for (const item of r.refused ?? []) this.insertDeadStmt.run(item.sink, item.payload, nowMs, item.error.slice(0, MAX_ERROR_CHARS));
      } else this.deadStmt.run(r.error.slice(0, MAX_ERROR_CHARS), r.id);
    }
    return queued;
  }

  /** Pending rows of a sink after `afterId`, oldest first. */
  pending(sink: string, afterId: number, limit: number): PendingOutboxEntry[] {
    return this.pendingStmt.all(sink, afterId, limit) as PendingOutboxEntry[];
  }

  pendingIds(sink: string, afterId: number, limit: number): number[] {
    return this.pendingIdsStmt.all(sink, afterId, limit) as number[];
  }

  /** Pending entries of a laned sink, oldest first, leaving out the lanes in `skip` (paused, or their recipient away). */
  lanes(sink: string, skip: readonly string[], limit: number): LaneOutboxEntry[] {
    return this.lanesStmt.all({ sink, skip: JSON.stringify(skip), limit }) as LaneOutboxEntry[];
  }

  /** Dead entries of some sinks, oldest first, optionally since a time or with a reason containing a text. */
  deadMatching(f: DeadFilter): DeadOutboxEntry[] {
    const rows = this.deadFilteredStmt.all(deadParams(f)) as (Omit<DeadOutboxEntry, 'lane'> & { lane: string | null })[];
    return rows.map((r) => ({ ...r, lane: r.lane ?? undefined }));
  }

  /** Puts dead entries back in their queues (after a fix): the senders send them again. Returns how many. */
  requeue(f: Omit<DeadFilter, 'limit'>): number {
    const { limit: _, ...params } = deadParams(f);
    return this.requeueStmt.run(params).changes;
  }

  /** Entries of a sink refused for good, oldest first, with the reason. */
  dead(sink: string, limit = 100): DeadOutboxEntry[] {
    return this.deadListStmt.all(sink, limit) as DeadOutboxEntry[];
  }

  stats(sink: string): OutboxStats {
    const r = this.statsStmt.get(sink) as { pending: number | null; dead: number | null; oldest: number | null; oldestDead: number | null };
    return { pending: r.pending ?? 0, dead: r.dead ?? 0, oldestPendingAtMs: r.oldest ?? undefined, ...(r.oldestDead === null ? {} : { oldestDeadAtMs: r.oldestDead }) };
  }
}

function deadParams(f: DeadFilter): { sinks: string; since: number; reason: string; limit: number } {
  return { sinks: JSON.stringify(f.sinks), since: f.sinceMs ?? 0, reason: f.reason ?? '', limit: f.limit ?? -1 };
}
