import { describe, expect, it } from 'vitest';
import type { ReadingRow } from '../../src/domain/index.js';
import type { ReadingStore } from '../../src/store/reading-store.js';

export interface ReadingStoreFixture {
  readonly store: ReadingStore;
  /** Registers a device the store will accept rows for. */
  addDevice(id: string, patientNhs: string): void;
  close(): void;
}

export const row = (over: Partial<ReadingRow> = {}): ReadingRow => ({
  idempotencyKey: 'k1',
  deviceId: 'd1',
  patientNhs: '9434765919',
  profileId: 'bp-upper-arm',
  metric: 'systolic',
  value: 128,
  unit: 'mm[Hg]',
  sourceUnit: undefined,
  deviceTakenAtMs: 1_000,
  takenAtMs: 1_000,
  receivedAtMs: 2_000,
  clockOffsetMs: undefined,
  messageId: 'm1',
  ...over,
});

/** The behaviour every ReadingStore adapter must have. */
export function describeReadingStoreContract(name: string, create: () => ReadingStoreFixture): void {
  describe(`ReadingStore contract: ${name}`, () => {
    const withStore = (fn: (f: ReadingStoreFixture) => void) => () => {
      const f = create();
      try {
        f.addDevice('d1', '9434765919');
        f.addDevice('d2', '4010232137');
        fn(f);
      } finally {
        f.close();
      }
    };

    it('reports which rows were new and which were duplicates by idempotency key', withStore(({ store }) => {
      expect(store.commit({ rows: [row(), row({ idempotencyKey: 'k2', metric: 'diastolic', value: 80 })], deadLetters: [], health: [] }).inserted).toEqual([true, true]);
      expect(store.commit({ rows: [row({ idempotencyKey: 'k2' }), row({ idempotencyKey: 'k3' }), row({ idempotencyKey: 'k3' })], deadLetters: [], health: [] }).inserted).toEqual([false, true, false]);
      expect(store.query({})).toHaveLength(3);
    }));

    it('round-trips every field', withStore(({ store }) => {
      const full = row({ sourceUnit: 'kPa', clockOffsetMs: -4_000, takenAtMs: 5_000, deviceTakenAtMs: 1_000 });
      store.commit({ rows: [full], deadLetters: [], health: [] });
      const [stored] = store.query({});
      expect(stored).toEqual({ id: expect.any(Number), ...full });
    }));

    it('filters by patient, device, metric and time, oldest first, with a limit', withStore(({ store }) => {
      store.commit({
        rows: [
          row({ idempotencyKey: 'a', takenAtMs: 3_000 }),
          row({ idempotencyKey: 'b', takenAtMs: 1_000, metric: 'pulse' }),
          row({ idempotencyKey: 'c', takenAtMs: 2_000, deviceId: 'd2', patientNhs: '4010232137' }),
        ],
        deadLetters: [],
        health: [],
      });
      expect(store.query({}).map((r) => r.idempotencyKey)).toEqual(['b', 'c', 'a']);
      expect(store.query({ patientNhs: '9434765919' }).map((r) => r.idempotencyKey)).toEqual(['b', 'a']);
      expect(store.query({ deviceId: 'd2' }).map((r) => r.idempotencyKey)).toEqual(['c']);
      expect(store.query({ metric: 'pulse' }).map((r) => r.idempotencyKey)).toEqual(['b']);
      expect(store.query({ sinceMs: 2_000 }).map((r) => r.idempotencyKey)).toEqual(['c', 'a']);
      expect(store.query({ limit: 1 }).map((r) => r.idempotencyKey)).toEqual(['b']);
    }));

    it('writes nothing of a batch that fails', withStore(({ store }) => {
      expect(() => store.commit({ rows: [row({ idempotencyKey: 'ok' }), row({ idempotencyKey: 'bad', deviceId: 'no-such-device' })], deadLetters: [], health: [] })).toThrow();
      expect(store.query({})).toEqual([]);
    }));
  });
}
