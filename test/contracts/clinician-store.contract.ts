import { describe, expect, it } from 'vitest';
import type { ClinicianRecord, ClinicianStore } from '../../src/store/clinician-store.js';
import { withFixture, type Awaitable, type Fixture, type FixtureFactory } from './fixture.js';

export type ClinicianStoreFixture = Fixture<ClinicianStore>;

const A = '9434765919';
const B = '4010232137';

const account = (id: string, over: Partial<ClinicianRecord> = {}): ClinicianRecord => ({
  id,
  name: `Name of ${id}`,
  secretHash: `hash-of-${id}`,
  status: 'active',
  role: 'clinician',
  webhookUrl: undefined,
  createdAtMs: 1_000,
  ...over,
});

/** The behaviour every ClinicianStore adapter must have: who may sign in, and whose patients are whose (access rules rest on it). */
export function describeClinicianStoreContract(name: string, create: FixtureFactory<ClinicianStoreFixture>): void {
  describe(`ClinicianStore contract: ${name}`, () => {
    const withStore = (fn: (store: Awaitable<ClinicianStore>) => Promise<void>) => withFixture(create, fn);

    it('stores accounts as given, refuses a taken id, and lists them by id', withStore(async (store) => {
      await store.insert(account('dr-b', { webhookUrl: 'https://ward.example/hook' }));
      await store.insert(account('ops', { role: 'operator' }));
      await store.insert(account('dr-a'));
      await expect(async () => store.insert(account('dr-a', { name: 'Someone else' }))).rejects.toThrow();
      expect(await store.get('dr-b')).toEqual(account('dr-b', { webhookUrl: 'https://ward.example/hook' }));
      expect(await store.get('nobody')).toBeUndefined();
      expect((await store.list()).map((c) => [c.id, c.role])).toEqual([['dr-a', 'clinician'], ['dr-b', 'clinician'], ['ops', 'operator']]);
    }));

    it('revokes once, with when, and finds revocations since a time', withStore(async (store) => {
      await store.insert(account('dr-a'));
      expect(await store.revoke('dr-a', 5_000)).toBe(true);
      expect(await store.revoke('dr-a', 6_000)).toBe(false);
      expect(await store.revoke('nobody', 6_000)).toBe(false);
      expect((await store.get('dr-a'))?.status).toBe('revoked');
      expect(await store.revokedSince(5_000)).toEqual(['dr-a']);
      expect(await store.revokedSince(5_001)).toEqual([]);
    }));

    it("assigns patients idempotently and takes them away; a patient's clinicians are the active ones", withStore(async (store) => {
      await store.insert(account('dr-a'));
      await store.insert(account('dr-b'));
      await store.assign('dr-a', B, 1_000);
      await store.assign('dr-a', A, 1_000);
      await store.assign('dr-a', A, 2_000);
      await store.assign('dr-b', A, 1_000);
      expect(await store.patientsOf('dr-a')).toEqual([B, A].sort());
      expect((await store.cliniciansOf(A)).map((c) => c.id)).toEqual(['dr-a', 'dr-b']);
      await store.revoke('dr-b', 3_000);
      expect((await store.cliniciansOf(A)).map((c) => c.id)).toEqual(['dr-a']);
      expect(await store.unassign('dr-a', B)).toBe(true);
      expect(await store.unassign('dr-a', B)).toBe(false);
      expect(await store.patientsOf('dr-a')).toEqual([A]);
      expect(await store.patientsOf('nobody')).toEqual([]);
    }));
  });
}
