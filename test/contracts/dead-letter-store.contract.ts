import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { withFixture, type Awaitable, type Fixture, type FixtureFactory } from './fixture.js';
import type { DeadLetterStore } from '../../src/store/reading-store.js';

export type DeadLetterStoreFixture = Fixture<DeadLetterStore>;

/** The behaviour every DeadLetterStore adapter must have: nothing refused is lost, large payloads are kept bounded. */
export function describeDeadLetterStoreContract(name: string, create: FixtureFactory<DeadLetterStoreFixture>): void {
  describe(`DeadLetterStore contract: ${name}`, () => {
    const withStore = (fn: (store: Awaitable<DeadLetterStore>) => Promise<void>) => withFixture(create, fn);

    it('keeps each refused message with its topic, time, payload and machine-readable issues; newest first, by device', withStore(async (store) => {
      const issue = { code: 'value-out-of-range', path: 'values.systolic', message: 'systolic 400 is above 300' } as const;
      await store.insert({ deviceId: 'cuff-1', topic: 'devices/cuff-1/readings', receivedAtMs: 1_000, payload: Buffer.from('{"bad":1}'), issues: [issue] });
      await store.insert({ deviceId: undefined, topic: 'devices/x/readings', receivedAtMs: 2_000, payload: Buffer.from([0xff, 0x00]), issues: [{ code: 'payload-malformed-json', path: '', message: 'not JSON' }] });
      await store.insert({ deviceId: 'cuff-1', topic: 'devices/cuff-1/readings', receivedAtMs: 3_000, payload: Buffer.from('{}'), issues: [] });
      const all = await store.list();
      expect(all.map((d) => d.receivedAtMs)).toEqual([3_000, 2_000, 1_000]);
      expect(all[1]).toMatchObject({ deviceId: undefined, payload: Buffer.from([0xff, 0x00]), payloadBytes: 2 });
      expect(all[2]).toMatchObject({ deviceId: 'cuff-1', topic: 'devices/cuff-1/readings', payloadSha256: createHash('sha256').update('{"bad":1}').digest('hex'), issues: [issue] });
      expect((await store.list({ deviceId: 'cuff-1' })).map((d) => d.receivedAtMs)).toEqual([3_000, 1_000]);
      expect((await store.list({ limit: 1 })).map((d) => d.receivedAtMs)).toEqual([3_000]);
      expect(new Set(all.map((d) => d.id)).size).toBe(3);
    }));

    it('keeps the first 64 KiB of a large payload with its full size and hash', withStore(async (store) => {
      const big = Buffer.alloc(200_000, 0x61);
      await store.insert({ deviceId: 'cuff-1', topic: 'devices/cuff-1/readings', receivedAtMs: 1_000, payload: big, issues: [] });
      const [kept] = await store.list();
      expect(kept?.payload.length).toBe(64 * 1024);
      expect(kept?.payloadBytes).toBe(200_000);
      expect(kept?.payloadSha256).toBe(createHash('sha256').update(big).digest('hex'));
    }));
  });
}
