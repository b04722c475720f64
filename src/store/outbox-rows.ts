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
 * What a commit's entries become, given the inserted flags of the batch's readings: an entry is
 * kept only if one of its readings is new (or it carries none, as a backfill does).
 */
export function outboxRows(entries: readonly OutboxEntry[], inserted: readonly boolean[]): OutboxRows {
  const laned: { sink: string; payload: string; lane: string }[] = [];
  const bySink = new Map<string, string[]>();
  for (const e of entries) {
    if (e.readingCount > 0 && !anyInserted(inserted, e.firstReading, e.readingCount)) continue;
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

/**
 * Outbox entries as handed to the writer thread: sink, payload, first reading, reading count, lane
 * and completion (`null`: none) of each, in one flat array, which structured clone copies faster
 * than objects (as readings are packed).
 */
export type PackedOutbox = (string | number | null)[];
const PACKED_FIELDS = 6;

export function packOutbox(entries: readonly OutboxEntry[]): PackedOutbox {
  const out: PackedOutbox = [];
  for (const e of entries) out.push(e.sink, e.payload, e.firstReading, e.readingCount, e.lane ?? null, e.completion ?? null);
  return out;
}

export function unpackOutbox(packed: PackedOutbox): OutboxEntry[] {
  const out: OutboxEntry[] = [];
  for (let i = 0; i < packed.length; i += PACKED_FIELDS) {
    const lane = packed[i + 4] as string | null;
    const completion = packed[i + 5] as OutboxEntry['completion'] | null;
    const entry: { -readonly [K in keyof OutboxEntry]: OutboxEntry[K] } = { sink: packed[i] as string, payload: packed[i + 1] as string, firstReading: packed[i + 2] as number, readingCount: packed[i + 3] as number };
    if (lane !== null) entry.lane = lane;
    if (completion !== null) entry.completion = completion;
    out.push(entry);
  }
  return out;
}
