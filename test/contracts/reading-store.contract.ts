import { describe, expect, it } from 'vitest';
import { readingKey, type ReadingRow, readingsOf } from '../../src/domain/index.js';
import type { OutboxStore } from '../../src/store/outbox-store.js';
import type { ReadingStore } from '../../src/store/reading-store.js';
import type { Awaitable, FixtureFactory } from './fixture.js';

export interface ReadingStoreFixture {
  readonly store: Awaitable<ReadingStore>;
  /** The outbox the store's commits write to. */
  readonly outbox: Awaitable<Pick<OutboxStore, 'pending'>>;
  /** Registers a device the store will accept rows for. */
  addDevice(id: string, patientNhs: string): void | Promise<void>;
  close(): void | Promise<void>;
}

/** A value; its reading's key is built from its fields as the pipeline builds it (message id `k1` by default). */
export const row = (over: Partial<ReadingRow> = {}): ReadingRow => {
  const r = { ...base, ...over };
  return { ...r, idempotencyKey: over.idempotencyKey ?? readingKey({ ...r, values: { [r.metric]: r.value } }) };
};

const base: Omit<ReadingRow, 'idempotencyKey'> = {
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
  messageId: 'k1',
};

/** The behaviour every ReadingStore adapter must have. */
export function describeReadingStoreContract(name: string, create: FixtureFactory<ReadingStoreFixture>): void {
  describe(`ReadingStore contract: ${name}`, () => {
    const withStore = (fn: (f: ReadingStoreFixture) => Promise<void>) => async () => {
      const f = await create();
      try {
        await f.addDevice('d1', '9434765919');
        await f.addDevice('d2', '4010232137');
        await f.addDevice('d10', '4010232137');
        await fn(f);
      } finally {
        await f.close();
      }
    };

    it('reports which rows were new and which were duplicates by idempotency key', withStore(async ({ store }) => {
      expect((await store.commit({ readings: readingsOf([row(), row({ messageId: 'k2' })]), deadLetters: [], health: [] })).inserted).toEqual([true, true]);
      expect((await store.commit({ readings: readingsOf([row({ messageId: 'k2' }), row({ messageId: 'k3' }), row({ messageId: 'k3' })]), deadLetters: [], health: [] })).inserted).toEqual([false, true, false]);
      expect(await store.query({})).toHaveLength(3);
    }));

    it('round-trips every field', withStore(async ({ store }) => {
      const full = row({ sourceUnit: 'kPa', clockOffsetMs: -4_000, takenAtMs: 5_000, deviceTakenAtMs: 1_000 });
      await store.commit({ readings: readingsOf([full]), deadLetters: [], health: [] });
      const [stored] = await store.query({});
      expect(stored).toEqual({ id: expect.any(Number), ...full, status: 'final' });
    }));

    it('finds the rows of one reading by any row id or by device and device time, and applies corrections to all of them', withStore(async ({ store }) => {
      const sys = row({ metric: 'systolic', value: 128 });
      const dia = row({ metric: 'diastolic', value: 82 });
      await store.commit({ readings: readingsOf([sys, dia, row({ messageId: 'other', deviceTakenAtMs: 9_000 }), row({ deviceId: 'd2', patientNhs: '4010232137' })]), deadLetters: [], health: [] });
      const ids = (await store.query({ deviceId: 'd1' })).filter((r) => r.deviceTakenAtMs === 1_000).map((r) => r.id);
      expect((await store.readingOf(ids[1]!)).map((r) => r.metric)).toEqual(['systolic', 'diastolic']);
      expect((await store.readingsAt('d1', 1_000)).map((r) => r.metric)).toEqual(['systolic', 'diastolic']);
      expect(await store.readingsAt('d1', 1_001)).toEqual([]);
      const correction = { deviceId: 'd1', readingKey: sys.idempotencyKey, reason: 'typo', requestedBy: 'cli:test', atMs: 5_000 };
      await store.commit({ readings: [], deadLetters: [], health: [], corrections: [{ ...correction, action: 'amend', before: { systolic: 128, diastolic: 82 }, after: { systolic: 138, diastolic: 82 } }] });
      await store.commit({ readings: [], deadLetters: [], health: [], corrections: [{ ...correction, action: 'amend', before: { systolic: 138, diastolic: 82 }, after: { systolic: 139, diastolic: 82 } }] });
      expect((await store.readingsAt('d1', 1_000)).map((r) => [r.value, r.status, r.firstValue])).toEqual([[139, 'amended', 128], [82, 'amended', 82]]);
      await store.commit({ readings: [], deadLetters: [], health: [], corrections: [{ ...correction, action: 'retract', before: { systolic: 139, diastolic: 82 }, after: undefined }] });
      expect((await store.readingsAt('d1', 1_000)).map((r) => [r.value, r.status])).toEqual([[139, 'entered-in-error'], [82, 'entered-in-error']]);
      // A replay of the first message is still a duplicate: it does not revive the retracted reading.
      expect((await store.commit({ readings: readingsOf([sys]), deadLetters: [], health: [] })).inserted).toEqual([false]);
    }));

    it('filters by patient, device, metric and time, oldest first, with a limit', withStore(async ({ store }) => {
      await store.commit({
        readings: readingsOf([
          row({ messageId: 'a', takenAtMs: 3_000 }),
          row({ messageId: 'b', takenAtMs: 1_000, metric: 'pulse' }),
          row({ messageId: 'c', takenAtMs: 2_000, deviceId: 'd2', patientNhs: '4010232137' }),
          row({ messageId: 'x', takenAtMs: 2_500, deviceId: 'd10', patientNhs: '4010232137' }),
        ]),
        deadLetters: [],
        health: [],
      });
      const ids = async (q: Parameters<ReadingStore['query']>[0]) => (await store.query(q)).map((r) => r.messageId);
      expect(await ids({})).toEqual(['b', 'c', 'x', 'a']);
      expect(await ids({ patientNhs: '9434765919' })).toEqual(['b', 'a']);
      expect(await ids({ deviceId: 'd2' })).toEqual(['c']);
      expect(await ids({ deviceId: 'd1' })).toEqual(['b', 'a']);
      expect(await ids({ metric: 'pulse' })).toEqual(['b']);
      expect(await ids({ sinceMs: 2_000 })).toEqual(['c', 'x', 'a']);
      expect(await ids({ limit: 1 })).toEqual(['b']);
    }));

    it('says which idempotency keys are stored, and lists corrections in order with their patient', withStore(async ({ store }) => {
      const sys = row({ metric: 'systolic', value: 128 });
      const dia = row({ metric: 'diastolic', value: 82 });
      await store.commit({ readings: readingsOf([sys, row({ deviceId: 'd2', patientNhs: '4010232137', messageId: 'k9' })]), deadLetters: [], health: [] });
      expect(await store.existingKeys([sys.idempotencyKey, dia.idempotencyKey])).toEqual(new Set([sys.idempotencyKey]));
      expect(await store.existingKeys([])).toEqual(new Set());
      expect(await store.latestCorrectionId()).toBe(0);
      const correction = { readingKey: sys.idempotencyKey, reason: undefined, requestedBy: 'cli:test', atMs: 5_000, action: 'retract' as const, before: { systolic: 128 }, after: undefined };
      await store.commit({ readings: [], deadLetters: [], health: [], corrections: [{ ...correction, deviceId: 'd1' }] });
      const first = await store.latestCorrectionId();
      expect(first).toBeGreaterThan(0);
      const other = row({ deviceId: 'd2', patientNhs: '4010232137', messageId: 'k9' });
      await store.commit({ readings: [], deadLetters: [], health: [], corrections: [{ ...correction, deviceId: 'd2', readingKey: other.idempotencyKey }] });
      expect((await store.correctionsSince(0)).map((c) => c.patientNhs)).toEqual(['9434765919', '4010232137']);
      expect(await store.correctionsSince(first)).toEqual([{ id: await store.latestCorrectionId(), patientNhs: '4010232137' }]);
    }));

    it('writes nothing of a batch that fails', withStore(async ({ store }) => {
      await expect(async () => store.commit({ readings: readingsOf([row({ messageId: 'ok' }), row({ messageId: 'bad', deviceId: 'no-such-device' })]), deadLetters: [], health: [] })).rejects.toThrow();
      expect(await store.query({})).toEqual([]);
    }));

    it('completes an entry planned as the start of a line-protocol line from its own reading, only if that reading is new', withStore(async ({ store, outbox }) => {
      const start = (firstReading: number) => ({ sink: 'influx', payload: 'blood_pressure,device=d1', firstReading, readingCount: 1, completion: 'line-protocol' as const });
      const first = row({ messageId: 'k1', takenAtMs: 61_000 });
      const second = readingsOf([row({ messageId: 'k2', metric: 'systolic', value: 131, takenAtMs: 62_000 }), row({ messageId: 'k2', metric: 'diastolic', value: 84.5, takenAtMs: 62_000 })]);
      await store.commit({ readings: readingsOf([first]), deadLetters: [], health: [], outbox: [start(0)] });
      // The first reading again (a duplicate: its entry is dropped), then a new one, later in the batch.
      await store.commit({ readings: [...readingsOf([first]), ...second], deadLetters: [], health: [], outbox: [start(0), start(1), { sink: 'influx', payload: 'whole 1', firstReading: 1, readingCount: 1 }] });
      expect((await outbox.pending('influx', 0, 10)).map((e) => e.payload)).toEqual([
        'blood_pressure,device=d1 systolic=128 61000',
        'blood_pressure,device=d1 diastolic=84.5,systolic=131 62000\nwhole 1',
      ]);
    }));
  });
}
