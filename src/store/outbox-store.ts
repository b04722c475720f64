import type { OutboxEntry, OutboxResult } from './reading-store.js';

/** One outbox row: the payloads of one commit for one sink, one per line. */
export interface PendingOutboxEntry {
  readonly id: number;
  /** The sink's payloads (single-line texts: line protocol, compact JSON), newline-separated. */
  readonly payload: string;
  /** How many payloads the row holds. */
  readonly items: number;
}

/** A row a commit added to the outbox (not a laned one), as its receipt tells it. */
export interface QueuedOutboxEntry extends PendingOutboxEntry {
  readonly sink: string;
}

export interface DeadOutboxEntry extends PendingOutboxEntry {
  readonly sink: string;
  readonly error: string;
  readonly createdAtMs: number;
  readonly lane: string | undefined;
}

/** A pending entry of a laned sink (alert deliveries): one payload, its lane, when it was queued. */
export interface LaneOutboxEntry {
  readonly id: number;
  readonly payload: string;
  readonly lane: string;
  readonly createdAtMs: number;
}

/** Which dead entries to list or put back. */
export interface DeadFilter {
  readonly sinks: readonly string[];
  /** Only entries queued at or after this time. */
  readonly sinceMs?: number | undefined;
  /** Only entries whose reason contains this text. */
  readonly reason?: string | undefined;
  readonly limit?: number | undefined;
}

export interface OutboxStats {
  /** Payloads (e.g. points) waiting. */
  readonly pending: number;
  /** Payloads refused for good. */
  readonly dead: number;
  /** Creation time of the oldest pending entry. */
  readonly oldestPendingAtMs: number | undefined;
  /** Creation time of the oldest dead entry. */
  readonly oldestDeadAtMs?: number | undefined;
}

/**
 * The outputs' outbox: entries written with the commit that makes them (kept only if a row they
 * carry is new), read by each output's sender, deleted once delivered, kept as dead once refused,
 * and put back by an operator.
 */
export interface OutboxStore {
  /**
   * Inside the commit's transaction, with the inserted flags of the batch's rows: new entries, and
   * the results of sends. Returns the rows it added, laned ones aside, in id order.
   */
  apply(entries: readonly OutboxEntry[], results: readonly OutboxResult[], inserted: readonly boolean[], nowMs: number): QueuedOutboxEntry[];
  /** Pending entries of a sink after `afterId`, oldest first. */
  pending(sink: string, afterId: number, limit: number): PendingOutboxEntry[];
  /** The ids of {@link pending}'s rows alone: what a sender that holds their payloads reads. */
  pendingIds(sink: string, afterId: number, limit: number): number[];
  /** Pending entries of a laned sink, oldest first, leaving out the lanes in `skip`. */
  lanes(sink: string, skip: readonly string[], limit: number): LaneOutboxEntry[];
  deadMatching(f: DeadFilter): DeadOutboxEntry[];
  /** Dead entries back to pending; returns how many. */
  requeue(f: Omit<DeadFilter, 'limit'>): number;
  dead(sink: string, limit?: number): DeadOutboxEntry[];
  stats(sink: string): OutboxStats;
}
