import { describe, expect, it } from 'vitest';
import { withFixture, type Awaitable, type Fixture, type FixtureFactory } from './fixture.js';
import type { PatientStore } from '../../src/store/patient-store.js';

export type PatientStoreFixture = Fixture<PatientStore>;

const A = '9434765919';
const B = '4010232137';

/** The behaviour every PatientStore adapter must have (the rules engine and the web app read what clinicians set). */
export function describePatientStoreContract(name: string, create: FixtureFactory<PatientStoreFixture>): void {
  describe(`PatientStore contract: ${name}`, () => {
    const withStore = (fn: (store: Awaitable<PatientStore>) => Promise<void>) => withFixture(create, fn);

    it("keeps one override per patient and rule, the latest with who and when, and removes it", withStore(async (store) => {
      await store.setOverride({ patientNhs: A, ruleId: 'severe-hypertension', above: 170, below: undefined, clearAt: 160, setBy: 'dr-a', setAtMs: 1_000 });
      await store.setOverride({ patientNhs: A, ruleId: 'severe-hypertension', above: 175, below: undefined, clearAt: undefined, setBy: 'dr-b', setAtMs: 2_000 });
      await store.setOverride({ patientNhs: A, ruleId: 'hypotension', above: undefined, below: 95, clearAt: undefined, setBy: 'dr-a', setAtMs: 3_000 });
      await store.setOverride({ patientNhs: B, ruleId: 'hypotension', above: undefined, below: 90, clearAt: undefined, setBy: 'dr-c', setAtMs: 4_000 });
      expect(await store.overrides(A)).toEqual([
        { patientNhs: A, ruleId: 'hypotension', above: undefined, below: 95, clearAt: undefined, setBy: 'dr-a', setAtMs: 3_000 },
        { patientNhs: A, ruleId: 'severe-hypertension', above: 175, below: undefined, clearAt: undefined, setBy: 'dr-b', setAtMs: 2_000 },
      ]);
      // By patient, then rule.
      expect((await store.overrides()).map((o) => [o.patientNhs, o.ruleId])).toEqual([[B, 'hypotension'], [A, 'hypotension'], [A, 'severe-hypertension']]);
      expect(await store.removeOverride(A, 'hypotension')).toBe(true);
      expect(await store.removeOverride(A, 'hypotension')).toBe(false);
      expect((await store.overrides(A)).map((o) => o.ruleId)).toEqual(['severe-hypertension']);
    }));

    it("keeps each patient's settings, the latest with who and when", withStore(async (store) => {
      expect(await store.settings(A)).toBeUndefined();
      await store.setSettings({ patientNhs: A, spo2Scale: 2, setBy: 'dr-a', setAtMs: 1_000 });
      await store.setSettings({ patientNhs: A, spo2Scale: 1, setBy: 'dr-b', setAtMs: 2_000 });
      await store.setSettings({ patientNhs: B, spo2Scale: 2, setBy: 'dr-c', setAtMs: 3_000 });
      expect(await store.settings(A)).toEqual({ patientNhs: A, spo2Scale: 1, setBy: 'dr-b', setAtMs: 2_000 });
      expect((await store.allSettings()).sort((x, y) => (x.patientNhs < y.patientNhs ? -1 : 1))).toEqual([
        { patientNhs: B, spo2Scale: 2, setBy: 'dr-c', setAtMs: 3_000 },
        { patientNhs: A, spo2Scale: 1, setBy: 'dr-b', setAtMs: 2_000 },
      ]);
    }));
  });
}
