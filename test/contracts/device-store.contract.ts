import { describe, expect, it } from 'vitest';
import { withFixture, type Awaitable, type Fixture, type FixtureFactory } from './fixture.js';
import type { DeviceRecord, DeviceStore } from '../../src/store/device-store.js';

export type DeviceStoreFixture = Fixture<DeviceStore>;

const device = (id: string, over: Partial<DeviceRecord> = {}): DeviceRecord => ({
  id,
  profileId: 'bp-upper-arm',
  patientNhs: '9434765919',
  serial: undefined,
  secretHash: `hash-of-${id}`,
  status: 'active',
  createdAtMs: 1_000,
  revokedAtMs: undefined,
  secretRotatedAtMs: undefined,
  ...over,
});

/** The behaviour every DeviceStore adapter must have (the registry, authentication, revocation and the BLE bridge rely on it). */
export function describeDeviceStoreContract(name: string, create: FixtureFactory<DeviceStoreFixture>): void {
  describe(`DeviceStore contract: ${name}`, () => {
    const withStore = (fn: (store: Awaitable<DeviceStore>) => Promise<void>) => withFixture(create, fn);

    it('stores a device and gives it back as stored; an unknown id is undefined', withStore(async (store) => {
      await store.insert(device('cuff-1', { serial: 'SN-1', bleAddress: 'AA:BB:CC:DD:EE:01' }));
      expect(await store.get('cuff-1')).toEqual(device('cuff-1', { serial: 'SN-1', bleAddress: 'AA:BB:CC:DD:EE:01' }));
      expect(await store.get('nobody')).toBeUndefined();
    }));

    it('refuses a second device with the same id, keeping the first', withStore(async (store) => {
      await store.insert(device('cuff-1'));
      await expect(async () => store.insert(device('cuff-1', { patientNhs: '4010232137' }))).rejects.toThrow();
      expect((await store.get('cuff-1'))?.patientNhs).toBe('9434765919');
    }));

    it("lists every device, or one patient's", withStore(async (store) => {
      await store.insert(device('a-1'));
      await store.insert(device('b-1', { patientNhs: '4010232137' }));
      await store.insert(device('a-2'));
      expect((await store.list()).map((d) => d.id).sort()).toEqual(['a-1', 'a-2', 'b-1']);
      expect((await store.list({ patientNhs: '9434765919' })).map((d) => d.id).sort()).toEqual(['a-1', 'a-2']);
      expect(await store.list({ patientNhs: '9999999468' })).toEqual([]);
    }));

    it('rotates a secret with when; not for an unknown device', withStore(async (store) => {
      await store.insert(device('cuff-1'));
      expect(await store.setSecretHash('cuff-1', 'new-hash', 5_000)).toBe(true);
      expect(await store.get('cuff-1')).toMatchObject({ secretHash: 'new-hash', secretRotatedAtMs: 5_000 });
      expect(await store.setSecretHash('nobody', 'x', 5_000)).toBe(false);
    }));

    it('revokes once, with when, and finds revocations since a time', withStore(async (store) => {
      await store.insert(device('cuff-1'));
      await store.insert(device('cuff-2'));
      expect(await store.revoke('cuff-1', 7_000)).toBe(true);
      expect(await store.revoke('cuff-1', 8_000)).toBe(false);
      expect(await store.get('cuff-1')).toMatchObject({ status: 'revoked', revokedAtMs: 7_000 });
      expect(await store.revokedSince(7_000)).toEqual(['cuff-1']);
      expect(await store.revokedSince(7_001)).toEqual([]);
      expect((await store.get('cuff-2'))?.status).toBe('active');
    }));

    it('has no health before any traffic, and keeps the latest Bluetooth record cursor', withStore(async (store) => {
      await store.insert(device('cuff-1'));
      expect(await store.health('cuff-1')).toBeUndefined();
      expect(await store.recordCursor('cuff-1')).toBeUndefined();
      await store.setRecordCursor('cuff-1', 41, 9_000);
      await store.setRecordCursor('cuff-1', 42, 9_500);
      expect(await store.recordCursor('cuff-1')).toBe(42);
    }));
  });
}
