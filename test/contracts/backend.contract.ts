import { describe, expect, it } from 'vitest';
import type { GatewayStore, OpenBackend } from '../../src/backends/index.js';
import type { LoadedConfig } from '../../src/config/index.js';
import { ManualClock } from '../../src/domain/index.js';
import { Closers } from '../../src/lifecycle.js';
import { createLogger } from '../../src/observability/index.js';
import type { OutboxRow } from '../../src/outputs/outbox/index.js';
import { CommitQueue } from '../../src/pipeline/index.js';
import type { AlertChange, CommitBatch, OutboxEntry } from '../../src/store/reading-store.js';
import type { LiveEvent } from '../../src/web/index.js';
import { until } from '../helpers/until.js';

/** A fresh, empty place for a backend's data (a temp directory, a new database), and the configuration of each gateway on it. */
export interface BackendFixture {
  readonly open: OpenBackend<GatewayStore>;
  /** The configuration of the gateway `gatewayId` on this data. */
  config(gatewayId: string): LoadedConfig;
  /** Text no log line may hold (the database URL's password). */
  readonly secret: string | undefined;
  remove(): void | Promise<void>;
}

const log = createLogger({ level: 'silent' });
const NO_METRICS = { committed: () => {}, commitFailed: () => {}, replanned: () => {} };
const batch = (extra: Partial<CommitBatch>): CommitBatch => ({ readings: [], deadLetters: [], health: [], ...extra });
const entry = (sink: string, payload: string, lane?: string): OutboxEntry => ({ sink, payload, firstReading: 0, readingCount: 0, lane });
const opened = (nhs: string, id: string): AlertChange => {
  const now = Date.now();
  return { alert: { id, key: `${nhs}|cuff-1|${id}`, patientNhs: nhs, deviceId: undefined, ruleId: id, severity: 'critical', state: 'open', message: 'high', value: 190, openedAtMs: now, updatedAtMs: now }, by: 'rules', note: undefined };
};

/**
 * What the gateway relies on from every backend, the embedded store and a shared one alike: what is
 * committed through its writer reaches the outputs and the live feed; a recorded result ends an
 * entry; on a shared store, what one gateway holds no other is given until its lease ends.
 */
export function describeBackendContract(name: string, shared: boolean, create: () => Promise<BackendFixture>): void {
  describe(`Backend contract: ${name}`, () => {
    type Opened = Awaited<ReturnType<OpenBackend<GatewayStore>>>;
    const withBackend = (fn: (f: BackendFixture, closers: Closers, backend: Opened, clock: ManualClock) => Promise<void>) => async () => {
      const f = await create();
      const closers = new Closers();
      const clock = new ManualClock(Date.now());
      try {
        await fn(f, closers, await f.open(f.config('gw-a'), closers, log, clock), clock);
      } finally {
        await closers.closeAll();
        await f.remove();
      }
    };

    it('holds the store open until its closers run, and names where the data is without its secret', withBackend(async (f, closers, backend) => {
      expect(backend.isOpen()).toBe(true);
      expect(backend.shared).toBe(shared);
      expect(backend.where).not.toBe('');
      if (f.secret !== undefined) expect(backend.where).not.toContain(f.secret);
      await closers.closeAll();
      expect(backend.isOpen()).toBe(false);
    }));

    it("offers an output's entries, committed through the group commit or beside it, counted pending, until their results are recorded", withBackend(async (_f, closers, backend) => {
      const queue = new CommitQueue(backend.writer, 1_000, NO_METRICS);
      closers.push(() => queue.close());
      const source = backend.outputSource('influx', 60_000, queue);
      // Each read goes on after the last row read, as a sender's do, until none is left.
      const readAll = async (): Promise<OutboxRow[]> => {
        const read: OutboxRow[] = [];
        for (let rows = await source.pending('influx', 0, 10); rows.length > 0; rows = await source.pending('influx', rows.at(-1)?.id ?? 0, 10)) read.push(...rows);
        return read;
      };
      // One written beside the queue (as a tool writes), then two through it (their rows in the receipts).
      await backend.writer.commit(batch({ outbox: [entry('influx', 'vitals,patient=p1 v=1')] }));
      await queue.submit(batch({ outbox: [entry('influx', 'vitals,patient=p1 v=2'), entry('fhir', 'obs')] }));
      await queue.submit(batch({ outbox: [entry('influx', 'vitals,patient=p1 v=3')] }));
      const rows = await readAll();
      expect(rows.map((r) => r.payload)).toEqual(['vitals,patient=p1 v=1', 'vitals,patient=p1 v=2', 'vitals,patient=p1 v=3']);
      expect((await backend.outboxStats('influx'))()).toMatchObject({ pending: 3, dead: 0 });
      await queue.submit(batch({ outboxResults: rows.map((r) => ({ id: r.id, delivered: true })) }));
      expect(await readAll()).toEqual([]);
      expect((await backend.outboxStats('influx'))()).toMatchObject({ pending: 0, dead: 0 });
    }));

    it('offers alert deliveries lane by lane, leaving out the lanes a sender is busy with', withBackend(async (_f, _closers, backend) => {
      await backend.writer.commit(batch({ outbox: [entry('alert-webhook', 'to a', 'dr-a'), entry('alert-webhook', 'to b', 'dr-b')] }));
      const rows = await backend.laneSource(60_000).lanes('alert-webhook', ['dr-a'], 10);
      expect(rows.map((r) => [r.lane, r.payload])).toEqual([['dr-b', 'to b']]);
    }));

    it("tells the live feed's listeners of each commit through the group commit, each of their own patients only", withBackend(async (_f, closers, backend) => {
      const queue = new CommitQueue(backend.writer, 1_000, NO_METRICS);
      closers.push(() => queue.close());
      const live = backend.liveFeed(queue);
      const heard: LiveEvent[] = [];
      live.add({ patients: () => new Set(['9434765919']), send: (e) => heard.push(e) });
      // A shared store's feed may start listening after it returns: commits go on until one is heard.
      let n = 0;
      await until(async () => (await queue.submit(batch({ alerts: [opened('9434765919', `mine-${n}`), opened('9434765870', `other-${n++}`)] })), heard.length), (k) => k > 0, 'a commit heard');
      expect(heard.every((e) => e.type === 'alert' && e.patientNhs === '9434765919' && e.state === 'open')).toBe(true);
    }));

    // What differs between a store of the gateway's own and a shared one: each backend runs its side.
    if (!shared) it('derives on its own store whenever derivations are due: no turn to wait for', withBackend(async (_f, _closers, backend) => {
      expect(backend.derivationTurn(60_000)).toBeUndefined();
    }));

    if (shared) it("gives derivations' turn to one gateway at a time, to another once the lease lapses", withBackend(async (f, closers, backend, clock) => {
      const other = await f.open(f.config('gw-b'), closers, log, clock);
      expect(await backend.derivationTurn(60_000)?.()).toBe(true);
      expect(await other.derivationTurn(60_000)?.()).toBe(false);
      clock.advance(60_001);
      expect(await other.derivationTurn(60_000)?.()).toBe(true);
      expect(await backend.derivationTurn(60_000)?.()).toBe(false);
    }));

    if (shared) it('gives an entry or a lane one gateway holds to no other until its lease ends', withBackend(async (f, closers, backend, clock) => {
      const other = await f.open(f.config('gw-b'), closers, log, clock);
      const queue = new CommitQueue(backend.writer, 1_000, NO_METRICS);
      closers.push(() => queue.close());
      await queue.submit(batch({ outbox: [entry('influx', 'vitals v=1'), entry('alert-mqtt', 'to a', 'dr-a')] }));
      expect(await backend.outputSource('influx', 60_000, queue).pending('influx', 0, 10)).toHaveLength(1);
      expect(await other.outputSource('influx', 60_000, queue).pending('influx', 0, 10)).toEqual([]);
      expect(await backend.laneSource(60_000).lanes('alert-mqtt', [], 10)).toHaveLength(1);
      expect(await other.laneSource(60_000).lanes('alert-mqtt', [], 10)).toEqual([]);
      // The first gateway stopped answering: once the leases end, the other takes both.
      clock.advance(60_001);
      expect((await other.outputSource('influx', 60_000, queue).pending('influx', 0, 10)).map((r) => r.payload)).toEqual(['vitals v=1']);
      expect((await other.laneSource(60_000).lanes('alert-mqtt', [], 10)).map((r) => r.payload)).toEqual(['to a']);
    }));
  });
}
