import { describe, expect, it } from 'vitest';
import type { ClinicianRecord, ClinicianStore } from '../../src/store/clinician-store.js';
import { withFixture, type Fixture } from './fixture.js';

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
export function describeClinicianStoreContract(name: string, create: () => ClinicianStoreFixture): void {
  describe(`ClinicianStore contract: ${name}`, () => {
    const withStore = (fn: (store: ClinicianStore) => void) => withFixture(create, fn);

    it('stores accounts as given, refuses a taken id, and lists them by id', withStore((store) => {
      store.insert(account('dr-b', { webhookUrl: 'https://ward.example/hook' }));
      store.insert(account('ops', { role: 'operator' }));
      store.insert(account('dr-a'));
      expect(() => store.insert(account('dr-a', { name: 'Someone else' }))).toThrow();
      expect(store.get('dr-b')).toEqual(account('dr-b', { webhookUrl: 'https://ward.example/hook' }));
      expect(store.get('nobody')).toBeUndefined();
      expect(store.list().map((c) => [c.id, c.role])).toEqual([['dr-a', 'clinician'], ['dr-b', 'clinician'], ['ops', 'operator']]);
    }));

    it('revokes once, with when, and finds revocations since a time', withStore((store) => {
      store.insert(account('dr-a'));
      expect(store.revoke('dr-a', 5_000)).toBe(true);
      expect(store.revoke('dr-a', 6_000)).toBe(false);
      expect(store.revoke('nobody', 6_000)).toBe(false);
      expect(store.get('dr-a')?.status).toBe('revoked');
      expect(store.revokedSince(5_000)).toEqual(['dr-a']);
      expect(store.revokedSince(5_001)).toEqual([]);
    }));

    it("assigns patients idempotently and takes them away; a patient's clinicians are the active ones", withStore((store) => {
      store.insert(account('dr-a'));
      store.insert(account('dr-b'));
      store.assign('dr-a', B, 1_000);
      store.assign('dr-a', A, 1_000);
      store.assign('dr-a', A, 2_000);
      store.assign('dr-b', A, 1_000);
      expect(store.patientsOf('dr-a')).toEqual([B, A].sort());
      expect(store.cliniciansOf(A).map((c) => c.id)).toEqual(['dr-a', 'dr-b']);
      store.revoke('dr-b', 3_000);
      expect(store.cliniciansOf(A).map((c) => c.id)).toEqual(['dr-a']);
      expect(store.unassign('dr-a', B)).toBe(true);
      expect(store.unassign('dr-a', B)).toBe(false);
      expect(store.patientsOf('dr-a')).toEqual([A]);
      expect(store.patientsOf('nobody')).toEqual([]);
    }));
  });
}
