import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledProfilesDir } from '../../src/config/index.js';
import { checkProfile, DeviceProfileSchema, loadProfiles, OBSERVATION_UNITS, type DeviceProfile, type ForwardSpec } from '../../src/profiles/index.js';
import { useCleanups } from '../helpers/cleanup.js';
import { tempDir } from '../helpers/gateway.js';
import { shippedProfile } from '../helpers/profiles.js';

const defer = useCleanups();

/** A shipped profile forwarding `forward` instead of what it ships with. */
const forwarding = (id: string, ...forward: ForwardSpec[]): DeviceProfile => ({ ...shippedProfile(id), fhir: { forward } });

describe('checkProfile: fhir.forward', () => {
  it('accepts blood pressure from systolic and diastolic, and heart rate from a /min metric', () => {
    expect(checkProfile(forwarding('bp-upper-arm', { observation: 'blood-pressure', systolic: 'systolic', diastolic: 'diastolic' }, { observation: 'heart-rate', metric: 'pulse' }))).toEqual([]);
  });

  it('needs both pressures for blood pressure', () => {
    expect(checkProfile(forwarding('bp-upper-arm', { observation: 'blood-pressure', systolic: 'systolic' }))).toEqual(['fhir.forward.0.diastolic: required for blood-pressure']);
    expect(checkProfile(forwarding('bp-upper-arm', { observation: 'blood-pressure' }))).toEqual([
      'fhir.forward.0.systolic: required for blood-pressure',
      'fhir.forward.0.diastolic: required for blood-pressure',
    ]);
  });

  it('needs a metric for every other kind', () => {
    expect(checkProfile(forwarding('thermometer', { observation: 'body-temperature' }))).toEqual(['fhir.forward.0.metric: required for body-temperature']);
  });

  it('names a metric the profile does not declare', () => {
    expect(checkProfile(forwarding('bp-upper-arm', { observation: 'blood-pressure', systolic: 'systolic', diastolic: 'diastolic' }, { observation: 'heart-rate', metric: 'heartRate' }))).toEqual([
      'fhir.forward.1.metric: "heartRate" is not a metric of this profile',
    ]);
  });

  it('refuses a metric stored in another unit than the Observation carries', () => {
    expect(checkProfile(forwarding('pulse-oximeter', { observation: 'heart-rate', metric: 'perfusionIndex' }))).toEqual([
      'fhir.forward.0.metric: heart-rate is forwarded in /min, but "perfusionIndex" is stored in %',
    ]);
    expect(checkProfile(forwarding('bp-upper-arm', { observation: 'blood-pressure', systolic: 'systolic', diastolic: 'pulse' }))).toEqual([
      'fhir.forward.0.diastolic: blood-pressure is forwarded in mm[Hg], but "pulse" is stored in /min',
    ]);
  });

  it('refuses fields the kind does not use', () => {
    expect(checkProfile(forwarding('bp-upper-arm', { observation: 'blood-pressure', systolic: 'systolic', diastolic: 'diastolic', metric: 'systolic' }))).toEqual([
      'fhir.forward.0.metric: not used by blood-pressure',
    ]);
    expect(checkProfile(forwarding('bp-upper-arm', { observation: 'heart-rate', metric: 'pulse', systolic: 'systolic' }))).toEqual(['fhir.forward.0.systolic: not used by heart-rate']);
  });

  it('reports every problem of every forward at once', () => {
    const problems = checkProfile(forwarding('pulse-oximeter', { observation: 'oxygen-saturation', metric: 'pulse' }, { observation: 'heart-rate', metric: 'bpm' }));
    expect(problems).toEqual(['fhir.forward.0.metric: oxygen-saturation is forwarded in %, but "pulse" is stored in /min', 'fhir.forward.1.metric: "bpm" is not a metric of this profile']);
  });
});

describe('checkProfile: reference ranges', () => {
  it('needs critical low ≤ normal low ≤ normal high ≤ critical high', () => {
    const base = shippedProfile('thermometer');
    const spec = base.metrics['bodyTemperature']!;
    const withRanges = (normal: object, critical: object): DeviceProfile => ({ ...base, metrics: { bodyTemperature: { ...spec, normal, critical } } });
    expect(checkProfile(withRanges({ low: 36.1, high: 38 }, { low: 35.1, high: 39 }))).toEqual([]);
    expect(checkProfile(withRanges({ low: 38, high: 36 }, { low: 37, high: 50 }))).toEqual(['metrics.bodyTemperature.normal: low must not exceed high']);
    expect(checkProfile(withRanges({ low: 36 }, { low: 37 }))).toEqual(['metrics.bodyTemperature.critical.low: must not exceed normal.low']);
    expect(checkProfile(withRanges({ high: 38 }, { high: 37 }))).toEqual(['metrics.bodyTemperature.critical.high: must not be below normal.high']);
  });
});

describe('profile schema: fhir', () => {
  const raw = { ...shippedProfile('thermometer') };

  it('refuses an Observation kind the FHIR output cannot code, an empty forward list and unknown keys', () => {
    expect(DeviceProfileSchema.safeParse({ ...raw, fhir: { forward: [{ observation: 'bmi', metric: 'bodyTemperature' }] } }).success).toBe(false);
    expect(DeviceProfileSchema.safeParse({ ...raw, fhir: { forward: [] } }).success).toBe(false);
    expect(DeviceProfileSchema.safeParse({ ...raw, fhir: { forward: [{ observation: 'body-temperature', metric: 'bodyTemperature', code: '8310-5' }] } }).success).toBe(false);
  });

  it('accepts a profile without fhir: it forwards nothing', () => {
    const { fhir: _fhir, ...quiet } = raw;
    expect(DeviceProfileSchema.safeParse(quiet).success).toBe(true);
  });
});

describe('loadProfiles with fhir.forward', () => {
  it('loads every shipped profile, each forwarding metrics in the unit its Observation carries', () => {
    const catalog = loadProfiles(bundledProfilesDir());
    expect(catalog.size).toBe(readdirSync(bundledProfilesDir()).filter((f) => f.endsWith('.json')).length);
    for (const profile of catalog.values()) {
      expect(checkProfile(profile)).toEqual([]);
      for (const f of profile.fhir?.forward ?? []) {
        for (const metric of [f.metric, f.systolic, f.diastolic].filter((m) => m !== undefined)) {
          expect(profile.metrics[metric]?.unit, `${profile.id} ${f.observation}`).toBe(OBSERVATION_UNITS[f.observation]);
        }
      }
    }
  });

  it('fails start-up naming the file and the field of a bad forward', () => {
    const tmp = tempDir();
    defer(tmp.remove);
    writeFileSync(join(tmp.dir, 'cuff.json'), JSON.stringify(forwarding('bp-upper-arm', { observation: 'blood-pressure', systolic: 'systolic' })));
    expect(() => loadProfiles(tmp.dir)).toThrow(`${join(tmp.dir, 'cuff.json')}: fhir.forward.0.diastolic: required for blood-pressure`);
  });
});
