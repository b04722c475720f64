import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HeldOutbox, type OutboxRow } from '../../src/outputs/outbox/index.js';
import type { OutboxEntry } from '../../src/store/reading-store.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';

const entry = (sink: string, payload: string): OutboxEntry => ({ sink, payload, firstReading: 0, readingCount: 0 });

describe('HeldOutbox', () => {
  let dir: string;
  let store: SqliteStore;
  /** Payloads the held outbox read from the store, rather than took from what it holds. */
  let readBack: string[];
  let held: HeldOutbox;
  const source = () => ({
    pending: (sink: string, afterId: number, limit: number) => {
      const rows = store.outbox.pending(sink, afterId, limit);
      readBack.push(...rows.map((r) => r.payload));
      return rows;
    },
    pendingIds: (sink: string, afterId: number, limit: number) => store.outbox.pendingIds(sink, afterId, limit),
  });
  /** A commit through the group commit: its receipt's rows are handed over. */
  const commit = (...entries: OutboxEntry[]) => held.committed(store.outbox.apply(entries, [], [], 1_000));
  /** A sender's cycle: reads on after the last row read until none is left. */
  const cycle = async (limit = 10): Promise<OutboxRow[][]> => {
    const batches: OutboxRow[][] = [];
    for (let rows = await held.pending('influx', 0, limit); rows.length > 0; rows = await held.pending('influx', rows.at(-1)?.id ?? 0, limit)) batches.push([...rows]);
    return batches;
  };
  const payloads = (batches: OutboxRow[][]) => batches.map((b) => b.map((r) => r.payload));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vg-held-'));
    store = new SqliteStore(join(dir, 'gateway.db'));
    readBack = [];
    held = new HeldOutbox(source(), 'influx', 1_000);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends the rows its commits handed over without reading them back, another sink's not held", async () => {
    commit(entry('influx', 'a'), entry('fhir', 'obs'));
    commit(entry('influx', 'b'));
    expect(held.size).toBe(2);
    expect(payloads(await cycle())).toEqual([['a', 'b']]);
    expect(readBack).toEqual([]);
    // Once sent, they are let go.
    expect(held.size).toBe(0);
  });

  it('reads from the store the rows it does not hold, oldest first: written beside it, or before it started', async () => {
    store.outbox.apply([entry('influx', 'before')], [], [], 1_000);
    commit(entry('influx', 'held-1'));
    store.outbox.apply([entry('influx', 'beside')], [], [], 1_000);
    commit(entry('influx', 'held-2'));
    expect(payloads(await cycle())).toEqual([['before'], ['held-1'], ['beside'], ['held-2']]);
    expect(readBack).toEqual(['before', 'beside']);
  });

  it('sends only what the store says is pending: a held row delivered or dead is not sent, one put back is read again', async () => {
    commit(entry('influx', 'a'), entry('fhir', 'obs'));
    commit(entry('influx', 'b'));
    commit(entry('influx', 'c'));
    const [a, b] = store.outbox.pending('influx', 0, 2);
    store.outbox.apply([], [{ id: a?.id ?? 0, delivered: true }, { id: b?.id ?? 0, delivered: false, error: 'refused' }], [], 2_000);
    const [sent] = await cycle();
    expect(sent?.map((r) => r.payload)).toEqual(['c']);
    store.outbox.apply([], [{ id: sent?.[0]?.id ?? 0, delivered: true }], [], 3_000);
    expect(store.outbox.requeue({ sinks: ['influx'] })).toBe(1);
    expect(payloads(await cycle())).toEqual([['b']]);
    expect(readBack).toEqual(['b']);
  });

  it('holds at most its payload budget, letting the oldest go: those are read from the store', async () => {
    const big = (c: string) => c.repeat(400);
    commit(entry('influx', big('a')));
    commit(entry('influx', big('b')));
    commit(entry('influx', big('c'))); // 1,200 characters: over the 1,000 held, the oldest goes
    expect(held.size).toBe(2);
    expect(payloads(await cycle())).toEqual([[big('a')], [big('b'), big('c')]]);
    expect(readBack).toEqual([big('a')]);
  });

  it('reads a row sent again (its result not recorded) from the store, since it let it go once sent', async () => {
    commit(entry('influx', 'a'));
    commit(entry('influx', 'b'));
    expect(payloads(await cycle(1))).toEqual([['a'], ['b']]);
    // Nothing was recorded: the next cycle sends both again, read back.
    expect(payloads(await cycle())).toEqual([['a', 'b']]);
    expect(readBack).toEqual(['a', 'b']);
  });
});
