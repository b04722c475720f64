import { describe, expect, it } from 'vitest';
import { ManualClock, RetryClass } from '../../src/domain/index.js';
import { createLogger } from '../../src/observability/index.js';
import { backoffMs, OutboxSender } from '../../src/outputs/outbox/index.js';
import type { OutboxResult } from '../../src/store/reading-store.js';

/** An in-memory outbox table, applying results the way the SQLite adapter does. */
function harness(deliver: (payloads: readonly string[]) => Promise<void>, recording: { fails: boolean; gate?: Promise<void> } = { fails: false }) {
  const clock = new ManualClock(0);
  let entries = ['a', 'b', 'c', 'd'].map((payload, i) => ({ id: i + 1, payload, items: 1, dead: false }));
  const failures: string[] = [];
  const delivered: number[] = [];
  const sender = new OutboxSender(
    { sink: 'test', batchSize: 10, pollIntervalMs: 1_000, backoff: { baseMs: 1_000, maxMs: 60_000 } },
    { pending: (_sink, afterId, limit) => entries.filter((e) => !e.dead && e.id > afterId).slice(0, limit) },
    async (rows) => {
      await deliver(rows.map((r) => r.payload));
      return rows.length;
    },
    async (results: readonly OutboxResult[]) => {
      await recording.gate;
      if (recording.fails) throw new Error('store closed');
      for (const r of results) {
        if ('expire' in r) continue;
        if (r.delivered) entries = entries.filter((e) => e.id !== r.id);
        else entries = entries.map((e) => (e.id === r.id ? { ...e, dead: true } : e));
      }
    },
    clock,
    () => 1, // no jitter: the longest wait
    { outboxDelivered: (_s, n) => delivered.push(n), outboxFailed: (_s, retry) => failures.push(retry) },
    createLogger({ level: 'silent' }),
  );
  let lastId = entries.length;
  // Ids never repeat, as in the adapters (AUTOINCREMENT, a sequence).
  const add = (payload: string) => void entries.push({ id: ++lastId, payload, items: 1, dead: false });
  const requeue = () => void (entries = entries.map((e) => ({ ...e, dead: false })));
  return { clock, sender, failures, delivered, entries: () => entries, add, requeue };
}

const failWith = (retry: RetryClass, retryAfterMs?: number) => Object.assign(new Error('no'), { retry, retryAfterMs });

describe('OutboxSender', () => {
  it('delivers the oldest entries and deletes them', async () => {
    const sent: string[][] = [];
    const h = harness(async (p) => void sent.push([...p]));
    await h.sender.tick();
    expect(sent).toEqual([['a', 'b', 'c', 'd']]);
    expect(h.entries()).toEqual([]);
    expect(h.delivered).toEqual([4]); // counted once recorded
  });

  it('goes again after the cycle in flight when ticked during it: an entry committed meanwhile does not wait for the next poll', async () => {
    const sent: string[][] = [];
    let release: () => void = () => {};
    const h = harness(async (p) => void sent.push([...p]), { fails: false, gate: new Promise<void>((r) => (release = r)) });
    const first = h.sender.tick();
    await new Promise((r) => setImmediate(r)); // sent, found nothing more; recording the results
    h.add('e'); // committed after the cycle's last read…
    void h.sender.tick(); // …and the sender told so
    release();
    await first;
    for (let i = 0; i < 10 && h.entries().length > 0; i++) await new Promise((r) => setImmediate(r)); // no further tick
    expect(sent).toEqual([['a', 'b', 'c', 'd'], ['e']]);
    expect(h.entries()).toEqual([]);
  });

  it('keeps every entry through a transient failure and backs off before trying again', async () => {
    let up = false;
    const h = harness(async () => {
      if (!up) throw failWith(RetryClass.Transient);
    });
    await h.sender.tick();
    expect(h.entries()).toHaveLength(4);
    up = true;
    h.clock.advance(999);
    await h.sender.tick(); // still backing off (1 s after the first failure)
    expect(h.entries()).toHaveLength(4);
    h.clock.advance(1);
    await h.sender.tick();
    expect(h.entries()).toEqual([]);
    expect(h.failures).toEqual(['transient']);
  });

  it('keeps a permanently refused entry as dead and delivers the others of its batch', async () => {
    const h = harness(async (p) => {
      if (p.includes('c')) throw failWith(RetryClass.Permanent);
    });
    await h.sender.tick();
    expect(h.entries()).toEqual([{ id: 3, payload: 'c', items: 1, dead: true }]);
  });

  it('sends an entry put back after a fix (requeued: older than those it sent since) on its next tick', async () => {
    let fixed = false;
    const sent: string[][] = [];
    const h = harness(async (p) => {
      if (p.includes('c') && !fixed) throw failWith(RetryClass.Permanent);
      sent.push([...p]);
    });
    await h.sender.tick();
    h.add('e');
    await h.sender.tick();
    expect(h.entries()).toEqual([{ id: 3, payload: 'c', items: 1, dead: true }]);
    fixed = true;
    h.requeue(); // `outbox requeue`, from the command line or the web app, while the gateway runs
    await h.sender.tick();
    expect(h.entries()).toEqual([]);
    expect(sent.at(-1)).toEqual(['c']);
  });
});

describe('OutboxSender when results cannot be recorded', () => {
  it('keeps the entries, sends them again on the next tick (the output absorbs it), and never throws', async () => {
    const recording = { fails: true };
    const sent: string[][] = [];
    const h = harness(async (p) => void sent.push([...p]), recording);
    await expect(h.sender.tick()).resolves.toBeUndefined();
    expect(h.entries()).toHaveLength(4);
    expect(h.delivered).toEqual([]);
    recording.fails = false;
    await h.sender.tick();
    expect(h.entries()).toEqual([]);
    expect(sent).toEqual([['a', 'b', 'c', 'd'], ['a', 'b', 'c', 'd']]);
    expect(h.delivered).toEqual([4]);
    await h.sender.stop();
  });
});

describe('backoffMs', () => {
  const policy = { baseMs: 1_000, maxMs: 30_000 };
  it('doubles per failure within [ceiling/2, ceiling], capped, and honours a longer Retry-After', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, policy, () => 1))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(backoffMs(3, policy, () => 0)).toBe(2_000);
    expect(backoffMs(20, policy, () => 1)).toBe(30_000);
    expect(backoffMs(1, policy, () => 1, 45_000)).toBe(45_000);
  });
});
