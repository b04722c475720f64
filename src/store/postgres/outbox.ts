import type { AsyncPort } from '../async-port.js';
import type { DeadFilter, DeadOutboxEntry, LaneOutboxEntry, OutboxStats, OutboxStore, PendingOutboxEntry, QueuedOutboxEntry } from '../outbox-store.js';
import { MAX_ERROR_CHARS, outboxRows } from '../outbox-rows.js';
import type { OutboxEntry, OutboxResult } from '../reading-store.js';
import { columns } from './columns.js';
import type { PgQueryable, PgRow } from './database.js';

/** A sink's pending rows after an id, oldest first: read whole, or their ids alone. */
const PENDING = `FROM outbox WHERE sink = $1 AND state = 'pending' AND id > $2 ORDER BY id LIMIT $3`;

/** The outbox on PostgreSQL: the same rows as the SQLite store's (a commit's payloads for a sink together). */
export class PgOutbox implements AsyncPort<OutboxStore> {
  constructor(private readonly db: PgQueryable) {}

  /** In the commit's transaction, when given it. */
  async apply(entries: readonly OutboxEntry[], results: readonly OutboxResult[], inserted: readonly boolean[], nowMs: number): Promise<QueuedOutboxEntry[]> {
    const { laned, bySink } = outboxRows(entries, inserted);
    for (const e of laned) await this.db.execute('INSERT INTO outbox (sink, payload, items, created_at, lane) VALUES ($1, $2, 1, $3, $4)', [e.sink, e.payload, nowMs, e.lane]);
    const queued: QueuedOutboxEntry[] = [];
    for (const [sink, payloads] of bySink) {
      const payload = payloads.join('\n');
      const [row] = await this.db.query('INSERT INTO outbox (sink, payload, items, created_at) VALUES ($1, $2, $3, $4) RETURNING id', [sink, payload, payloads.length, nowMs]);
      queued.push({ sink, id: row?.['id'] as number, payload, items: payloads.length });
    }
    for (const r of results) {
      if ('expire' in r) {
        const { sink, lane, beforeMs, error } = r.expire;
        await this.db.execute(`UPDATE outbox SET state = 'dead', last_error = $1 WHERE sink = $2 AND COALESCE(lane, '') = $3 AND state = 'pending' AND created_at < $4`, [
          error.slice(0, MAX_ERROR_CHARS),
          sink,
          lane,
          beforeMs,
        ]);
      } else if (r.delivered) {
        await this.db.execute('DELETE FROM outbox WHERE id = $1', [r.id]);
        for (const item of r.refused ?? []) {
          await this.db.execute(`INSERT INTO outbox (sink, payload, items, created_at, state, last_error) VALUES ($1, $2, 1, $3, 'dead', $4)`, [item.sink, item.payload, nowMs, item.error.slice(0, MAX_ERROR_CHARS)]);
        }
      } else await this.db.execute(`UPDATE outbox SET state = 'dead', last_error = $1 WHERE id = $2`, [r.error.slice(0, MAX_ERROR_CHARS), r.id]);
    }
    return queued;
  }

  async pending(sink: string, afterId: number, limit: number): Promise<PendingOutboxEntry[]> {
    const rows = await this.db.query(`SELECT id, payload, items ${PENDING}`, [sink, afterId, limit]);
    return rows.map((r) => ({ id: r['id'] as number, payload: r['payload'] as string, items: r['items'] as number }));
  }

  async pendingIds(sink: string, afterId: number, limit: number): Promise<number[]> {
    const rows = await this.db.query(`SELECT id ${PENDING}`, [sink, afterId, limit]);
    return rows.map((r) => r['id'] as number);
  }

  /**
   * Pending entries of a sink for one sender among several (gateways sharing the database): up to
   * `limit`, oldest first, none claimed by another sender whose lease is still running, each now
   * claimed by `sender` until `nowMs + leaseMs`. Rows another sender is claiming at this moment are
   * skipped, not waited for (FOR UPDATE SKIP LOCKED): each entry goes to one sender, and once
   * delivered it is deleted; an entry whose sender died is claimed again when its lease ends.
   */
  async claim(sink: string, sender: string, limit: number, nowMs: number, leaseMs: number): Promise<PendingOutboxEntry[]> {
    const rows = await this.db.query(
      `UPDATE outbox SET claimed_by = $2, claimed_until = $4 WHERE id IN (
         SELECT id FROM outbox WHERE sink = $1 AND state = 'pending' AND (claimed_until IS NULL OR claimed_until <= $3)
         ORDER BY id LIMIT $5 FOR UPDATE SKIP LOCKED)
       RETURNING id, payload, items`,
      [sink, sender, nowMs, nowMs + leaseMs, limit],
    );
    return rows.map((r) => ({ id: r['id'] as number, payload: r['payload'] as string, items: r['items'] as number })).sort((a, b) => a.id - b.id);
  }

  /**
   * Pending entries of a laned sink for one sender among several: the lanes with entries (leaving
   * out those in `skip`) that no other sender holds, each now held by `sender` until
   * `nowMs + leaseMs` (renewed by each call that returns it), and up to `limit` of their entries,
   * oldest first. A lane is one recipient's: holding it whole keeps its deliveries in order and each
   * sent by one sender; a sender that dies, or skips a lane (its recipient away, its retry not due),
   * leaves it to another when the lease ends. Two senders claiming one lane at once: the second
   * waits for the first's claim and then finds it held.
   */
  async claimLanes(sink: string, sender: string, skip: readonly string[], limit: number, nowMs: number, leaseMs: number): Promise<LaneOutboxEntry[]> {
    const rows = await this.db.query(
      `WITH wanted AS (
         SELECT DISTINCT COALESCE(lane, '') AS lane FROM outbox WHERE sink = $1 AND state = 'pending' AND NOT (COALESCE(lane, '') = ANY($3::text[]))
       ), held AS (
         INSERT INTO outbox_lane_claims (sink, lane, claimed_by, claimed_until) SELECT $1, lane, $2, $5 FROM wanted ORDER BY lane
         ON CONFLICT (sink, lane) DO UPDATE SET claimed_by = excluded.claimed_by, claimed_until = excluded.claimed_until
           WHERE outbox_lane_claims.claimed_by = excluded.claimed_by OR outbox_lane_claims.claimed_until <= $4
         RETURNING lane
       )
       SELECT id, payload, COALESCE(lane, '') AS lane, created_at FROM outbox
       WHERE sink = $1 AND state = 'pending' AND COALESCE(lane, '') IN (SELECT lane FROM held) ORDER BY id LIMIT $6`,
      [sink, sender, skip, nowMs, nowMs + leaseMs, limit],
    );
    return rows.map((r) => ({ id: r['id'] as number, payload: r['payload'] as string, lane: r['lane'] as string, createdAtMs: r['created_at'] as number }));
  }

  async lanes(sink: string, skip: readonly string[], limit: number): Promise<LaneOutboxEntry[]> {
    const rows = await this.db.query(
      `SELECT id, payload, COALESCE(lane, '') AS lane, created_at FROM outbox WHERE sink = $1 AND state = 'pending' AND NOT (COALESCE(lane, '') = ANY($2::text[])) ORDER BY id LIMIT $3`,
      [sink, skip, limit],
    );
    return rows.map((r) => ({ id: r['id'] as number, payload: r['payload'] as string, lane: r['lane'] as string, createdAtMs: r['created_at'] as number }));
  }

  async deadMatching(f: DeadFilter): Promise<DeadOutboxEntry[]> {
    const rows = await this.db.query(`SELECT ${columns('outbox')} FROM outbox WHERE ${DEAD_FILTER} ORDER BY id LIMIT $4`, [...deadParams(f), f.limit ?? null]);
    return rows.map(deadEntry);
  }

  async requeue(f: Omit<DeadFilter, 'limit'>): Promise<number> {
    // Unclaimed, so any worker sends them at once (the sender that saw them refused may hold a running lease).
    return this.db.execute(`UPDATE outbox SET state = 'pending', last_error = NULL, claimed_by = NULL, claimed_until = NULL WHERE ${DEAD_FILTER}`, deadParams(f));
  }

  async dead(sink: string, limit = 100): Promise<DeadOutboxEntry[]> {
    return (await this.db.query(`SELECT ${columns('outbox')} FROM outbox WHERE sink = $1 AND state = 'dead' ORDER BY id LIMIT $2`, [sink, limit])).map(deadEntry);
  }

  async stats(sink: string): Promise<OutboxStats> {
    const [r] = await this.db.query(
      `SELECT SUM(CASE WHEN state = 'pending' THEN items END) AS pending, SUM(CASE WHEN state = 'dead' THEN items END) AS dead,
              MIN(CASE WHEN state = 'pending' THEN created_at END) AS oldest, MIN(CASE WHEN state = 'dead' THEN created_at END) AS oldest_dead
       FROM outbox WHERE sink = $1`,
      [sink],
    );
    const n = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));
    const oldestDead = n(r?.['oldest_dead']);
    return { pending: n(r?.['pending']) ?? 0, dead: n(r?.['dead']) ?? 0, oldestPendingAtMs: n(r?.['oldest']), ...(oldestDead === undefined ? {} : { oldestDeadAtMs: oldestDead }) };
  }
}

const DEAD_FILTER = `sink = ANY($1::text[]) AND state = 'dead' AND created_at >= $2 AND strpos(COALESCE(last_error, ''), $3) > 0`;

const deadParams = (f: Omit<DeadFilter, 'limit'>): unknown[] => [f.sinks, f.sinceMs ?? 0, f.reason ?? ''];

function deadEntry(r: PgRow): DeadOutboxEntry {
  return {
    id: r['id'] as number,
    sink: r['sink'] as string,
    payload: r['payload'] as string,
    items: r['items'] as number,
    error: (r['last_error'] as string | null) ?? '',
    createdAtMs: r['created_at'] as number,
    lane: (r['lane'] as string | null) ?? undefined,
  };
}
