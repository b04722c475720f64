import { describe, expect, it } from 'vitest';
import type { OutboxStore } from '../../src/store/outbox-store.js';
import type { OutboxEntry } from '../../src/store/reading-store.js';
import { withFixture, type Awaitable, type Fixture, type FixtureFactory } from './fixture.js';

export type OutboxStoreFixture = Fixture<OutboxStore>;

const entry = (sink: string, payload: string, firstReading = 0, readingCount = 1, lane?: string): OutboxEntry => ({ sink, payload, firstReading, readingCount, ...(lane === undefined ? {} : { lane }) });

/** The behaviour every OutboxStore adapter must have: nothing queued is lost or sent twice; refusals are kept and can be requeued. */
export function describeOutboxStoreContract(name: string, create: FixtureFactory<OutboxStoreFixture>): void {
  describe(`OutboxStore contract: ${name}`, () => {
    const withStore = (fn: (store: Awaitable<OutboxStore>) => Promise<void>) => withFixture(create, fn);

    it("keeps a commit's entries for a sink together, only those carrying a new row (or none, as a backfill does)", withStore(async (store) => {
      // Rows 0 and 1 new, row 2 a duplicate.
      await store.apply([entry('influx', 'p0', 0), entry('influx', 'p1', 1), entry('influx', 'dup', 2), entry('fhir', 'obs', 0, 2), entry('fhir', 'backfill', 0, 0)], [], [true, true, false], 1_000);
      expect((await store.pending('influx', 0, 10)).map((e) => [e.payload, e.items])).toEqual([['p0\np1', 2]]);
      expect((await store.pending('fhir', 0, 10)).map((e) => e.payload)).toEqual(['obs\nbackfill']);
      expect(await store.stats('influx')).toEqual({ pending: 2, dead: 0, oldestPendingAtMs: 1_000 });
      await store.apply([entry('influx', 'only-dups', 0)], [], [false], 2_000);
      expect(await store.pending('influx', 0, 10)).toHaveLength(1);
    }));

    it('returns the rows a commit adds as pending reads them (laned ones aside), and lists pending ids alone', withStore(async (store) => {
      const queued = await store.apply([entry('influx', 'p0', 0), entry('influx', 'p1', 1), entry('fhir', 'obs', 0, 2), entry('alerts', 'to-a', 0, 0, 'dr-a')], [], [true, true], 1_000);
      const [influx] = await store.pending('influx', 0, 10);
      const [fhir] = await store.pending('fhir', 0, 10);
      expect(queued).toEqual([{ sink: 'influx', ...influx }, { sink: 'fhir', ...fhir }]);
      expect(await store.apply([entry('influx', 'dup', 0)], [], [false], 2_000)).toEqual([]);
      await store.apply([entry('influx', 'p2', 0)], [], [true], 3_000);
      await store.apply([entry('influx', 'p3', 0)], [], [true], 4_000);
      const ids = (await store.pending('influx', 0, 10)).map((e) => e.id);
      expect(ids).toHaveLength(3);
      expect(await store.pendingIds('influx', 0, 10)).toEqual(ids);
      expect(await store.pendingIds('influx', ids[0] ?? 0, 1)).toEqual([ids[1]]);
      // Neither a delivered entry nor a dead one is pending.
      await store.apply([], [{ id: ids[0] ?? 0, delivered: true }, { id: ids[1] ?? 0, delivered: false, error: '400 Bad Request' }], [], 5_000);
      expect(await store.pendingIds('influx', 0, 10)).toEqual([ids[2]]);
    }));

    it('reads pending entries in order after an id, deletes what was delivered, keeps refused items and failed entries as dead', withStore(async (store) => {
      await store.apply([entry('influx', 'a')], [], [true], 1_000);
      await store.apply([entry('influx', 'b')], [], [true], 2_000);
      await store.apply([entry('influx', 'c')], [], [true], 3_000);
      const [a, b, c] = await store.pending('influx', 0, 10);
      expect((await store.pending('influx', a?.id ?? 0, 1)).map((e) => e.payload)).toEqual(['b']);
      await store.apply([], [{ id: a?.id ?? 0, delivered: true }, { id: b?.id ?? 0, delivered: true, refused: [{ sink: 'influx', payload: 'b', error: 'field type conflict' }] }, { id: c?.id ?? 0, delivered: false, error: '400 Bad Request' }], [], 4_000);
      expect(await store.pending('influx', 0, 10)).toEqual([]);
      // In the order they became dead: the failed entry, then the refused item (kept as an entry of its own).
      expect((await store.dead('influx')).map((d) => [d.payload, d.error])).toEqual([['c', '400 Bad Request'], ['b', 'field type conflict']]);
      expect(await store.stats('influx')).toMatchObject({ pending: 0, dead: 2, oldestPendingAtMs: undefined });
    }));

    it('puts dead entries back, by sink, time and reason; they are sent again', withStore(async (store) => {
      await store.apply([entry('fhir', 'x')], [], [true], 1_000);
      await store.apply([entry('fhir', 'y')], [], [true], 5_000);
      const ids = (await store.pending('fhir', 0, 10)).map((e) => e.id);
      await store.apply([], ids.map((id, i) => ({ id, delivered: false as const, error: i === 0 ? 'unreachable' : 'refused: invalid' })), [], 6_000);
      expect((await store.deadMatching({ sinks: ['fhir'], reason: 'refused' })).map((d) => d.payload)).toEqual(['y']);
      expect((await store.deadMatching({ sinks: ['fhir'], sinceMs: 2_000 })).map((d) => d.payload)).toEqual(['y']);
      expect(await store.requeue({ sinks: ['fhir'], reason: 'unreachable' })).toBe(1);
      expect((await store.pending('fhir', 0, 10)).map((e) => e.payload)).toEqual(['x']);
      expect(await store.requeue({ sinks: ['fhir'] })).toBe(1);
      expect(await store.stats('fhir')).toMatchObject({ pending: 2, dead: 0 });
    }));

    it('keeps laned entries one each, in order per lane, skipping paused lanes; expires a lane undelivered too long', withStore(async (store) => {
      await store.apply([entry('alerts', 'to-a-1', 0, 0, 'dr-a'), entry('alerts', 'to-b-1', 0, 0, 'dr-b'), entry('alerts', 'to-a-2', 0, 0, 'dr-a')], [], [], 1_000);
      expect((await store.lanes('alerts', [], 10)).map((e) => [e.lane, e.payload])).toEqual([['dr-a', 'to-a-1'], ['dr-b', 'to-b-1'], ['dr-a', 'to-a-2']]);
      expect((await store.lanes('alerts', ['dr-a'], 10)).map((e) => e.payload)).toEqual(['to-b-1']);
      await store.apply([], [{ expire: { sink: 'alerts', lane: 'dr-b', beforeMs: 2_000, error: 'undelivered for a day' } }], [], 90_000);
      expect((await store.lanes('alerts', [], 10)).map((e) => e.payload)).toEqual(['to-a-1', 'to-a-2']);
      expect((await store.deadMatching({ sinks: ['alerts'] })).map((d) => [d.lane, d.error])).toEqual([['dr-b', 'undelivered for a day']]);
    }));
  });
}
