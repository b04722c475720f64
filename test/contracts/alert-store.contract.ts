import { describe, expect, it } from 'vitest';
import type { AlertRecord, AlertStore } from '../../src/store/reading-store.js';
import { withFixture, type Awaitable, type Fixture, type FixtureFactory } from './fixture.js';

export type AlertStoreFixture = Fixture<AlertStore>;

const A = '9434765919';
const B = '4010232137';

const alert = (id: string, over: Partial<AlertRecord> = {}): AlertRecord => ({
  id,
  key: `${over.patientNhs ?? A}|cuff-1|severe-hypertension`,
  patientNhs: A,
  deviceId: 'cuff-1',
  ruleId: 'severe-hypertension',
  severity: 'critical',
  state: 'open',
  message: 'Severe hypertension',
  value: 186,
  openedAtMs: 1_000,
  updatedAtMs: 1_000,
  escalationLevel: 0,
  snoozedUntilMs: undefined,
  observationId: undefined,
  assignedTo: undefined,
  ...over,
});

/** The behaviour every AlertStore adapter must have: accountable alerts, one open per condition, trails kept. */
export function describeAlertStoreContract(name: string, create: FixtureFactory<AlertStoreFixture>): void {
  describe(`AlertStore contract: ${name}`, () => {
    const withStore = (fn: (store: Awaitable<AlertStore>) => Promise<void>) => withFixture(create, fn);

    it('keeps each alert as it now stands, with every change in its trail, oldest first', withStore(async (store) => {
      await store.apply([{ alert: alert('a1', { sampleAtMs: 900 }), by: 'rules', note: undefined }]);
      await store.apply([{ alert: alert('a1', { state: 'acknowledged', updatedAtMs: 2_000, assignedTo: 'dr-b' }), by: 'dr-a', note: 'seen' }]);
      // A change made by hand carries no reading: the time of the one that opened it stays.
      expect(await store.get('a1')).toMatchObject({ state: 'acknowledged', sampleAtMs: 900 });
      await store.apply([{ alert: alert('a1', { state: 'resolved', updatedAtMs: 3_000, sampleAtMs: 2_900 }), by: 'rules', note: 'back under 170' }]);
      expect(await store.get('a1')).toMatchObject({ state: 'resolved', openedAtMs: 1_000, updatedAtMs: 3_000, assignedTo: 'dr-b', value: 186, sampleAtMs: 2_900 });
      expect(await store.events('a1')).toEqual([
        { at: 1_000, state: 'open', by: 'rules', note: undefined },
        { at: 2_000, state: 'acknowledged', by: 'dr-a', note: 'seen' },
        { at: 3_000, state: 'resolved', by: 'rules', note: 'back under 170' },
      ]);
      expect(await store.get('nope')).toBeUndefined();
    }));

    it('never lowers the escalation level, and keeps a snooze until replaced', withStore(async (store) => {
      await store.apply([{ alert: alert('a1', { escalationLevel: 2, snoozedUntilMs: 9_000 }), by: 'rules', note: undefined }]);
      await store.apply([{ alert: alert('a1', { escalationLevel: 1, updatedAtMs: 2_000 }), by: 'rules', note: undefined }]);
      expect(await store.get('a1')).toMatchObject({ escalationLevel: 2, snoozedUntilMs: 9_000 });
    }));

    it('refuses a second unresolved alert for the same condition; a new one once it is resolved', withStore(async (store) => {
      await store.apply([{ alert: alert('a1'), by: 'rules', note: undefined }]);
      await expect(async () => store.apply([{ alert: alert('a2'), by: 'rules', note: undefined }])).rejects.toThrow();
      await store.apply([{ alert: alert('a1', { state: 'resolved', updatedAtMs: 2_000 }), by: 'rules', note: undefined }]);
      await store.apply([{ alert: alert('a2', { openedAtMs: 3_000, updatedAtMs: 3_000 }), by: 'rules', note: undefined }]);
      expect((await store.unresolved()).map((a) => a.id)).toEqual(['a2']);
    }));

    it('lists alerts newest first, open ones or all, by patient, up to a limit; unresolved oldest first', withStore(async (store) => {
      await store.apply([
        { alert: alert('a1', { openedAtMs: 1_000 }), by: 'rules', note: undefined },
        { alert: alert('b1', { patientNhs: B, openedAtMs: 2_000 }), by: 'rules', note: undefined },
        { alert: alert('a0', { key: `${A}|cuff-1|hypotension`, ruleId: 'hypotension', severity: 'warning', openedAtMs: 500, state: 'resolved' }), by: 'rules', note: undefined },
      ]);
      expect((await store.list()).map((a) => a.id)).toEqual(['b1', 'a1', 'a0']);
      expect((await store.list({ patientNhs: A })).map((a) => a.id)).toEqual(['a1', 'a0']);
      expect((await store.list({ patientNhs: A, open: true })).map((a) => a.id)).toEqual(['a1']);
      expect((await store.list({ limit: 1 })).map((a) => a.id)).toEqual(['b1']);
      expect((await store.unresolved()).map((a) => a.id)).toEqual(['a1', 'b1']);
    }));

    it('keeps the running breaches of duration rules, ending one when told', withStore(async (store) => {
      await store.applyBreaches([{ key: 'k1', sinceMs: 1_000 }, { key: 'k2', sinceMs: 2_000 }]);
      await store.applyBreaches([{ key: 'k1', sinceMs: undefined }, { key: 'k2', sinceMs: 2_500 }]);
      expect(await store.breaches()).toEqual([{ key: 'k2', sinceMs: 2_500 }]);
    }));
  });
}
