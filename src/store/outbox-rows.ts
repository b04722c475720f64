import type { OutboxEntry } from './reading-store.js';

/** Enough for a server's OperationOutcome. */
export const MAX_ERROR_CHARS = 8_000;

/** The rows a commit adds to the outbox, whatever the engine. */
export interface OutboxRows {
  /** One row per laned entry (alert deliveries: each retried on its own). */
  readonly laned: readonly { readonly sink: string; readonly payload: string; readonly lane: string }[];
  /** One row per other sink: its payloads, one per line. */
  readonly bySink: ReadonlyMap<string, readonly string[]>;
}

/**
 * What a commit's entries become, given the inserted flags of the batch's rows: an entry is kept
 * only if one of its rows is new (or it carries no rows, as a backfill does).
 */
export function outboxRows(entries: readonly OutboxEntry[], inserted: readonly boolean[]): OutboxRows {
  const laned: { sink: string; payload: string; lane: string }[] = [];
  const bySink = new Map<string, string[]>();
  for (const e of entries) {
    if (e.rowCount > 0 && !anyInserted(inserted, e.firstRow, e.rowCount)) continue;
    if (e.lane !== undefined) {
      laned.push({ sink: e.sink, payload: e.payload, lane: e.lane });
      continue;
    }
    const payloads = bySink.get(e.sink);
    if (payloads === undefined) bySink.set(e.sink, [e.payload]);
    else payloads.push(e.payload);
  }
  return { laned, bySink };
}

function anyInserted(inserted: readonly boolean[], first: number, count: number): boolean {
  for (let i = first; i < first + count; i++) if (inserted[i] === true) return true;
  return false;
}
