import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { patientPseudonym, readingFromRows } from '../../src/domain/index.js';
import { influxPlanner, pseudonymizer, readingPoint, toLine } from '../../src/outputs/influx/index.js';
import { row } from '../contracts/reading-store.contract.js';
import { shippedProfile } from '../helpers/profiles.js';

describe('readingPoint', () => {
  it('makes one point per reading: measurement per metric family, values as fields, bounded tags, reading time', () => {
    const rows = [row({ metric: 'systolic', value: 128, takenAtMs: 5_000 }), row({ metric: 'diastolic', value: 82, takenAtMs: 5_000 }), row({ metric: 'pulse', value: 71, takenAtMs: 5_000 })];
    expect(readingPoint(shippedProfile('bp-upper-arm'), readingFromRows(rows), 'pk')).toEqual({
      measurement: 'blood_pressure',
      tags: { device: 'd1', profile: 'bp-upper-arm', patient: 'pk' },
      fields: { systolic: 128, diastolic: 82, pulse: 71 },
      timeMs: 5_000,
    });
    expect(readingPoint(shippedProfile('wrist-wearable'), readingFromRows([row({ metric: 'heartRate', value: 61 })]), 'pk').measurement).toBe('wearable');
  });

  it('never puts the NHS number in a tag', () => {
    const point = readingPoint(shippedProfile('thermometer'), readingFromRows([row({ metric: 'bodyTemperature', value: 37 })]), patientPseudonym(Buffer.alloc(32, 1), '9434765919'));
    expect(JSON.stringify(point)).not.toContain('9434765919');
  });
});

describe('toLine', () => {
  it('writes line protocol with sorted, escaped tags and fields and a millisecond time', () => {
    const line = toLine({ measurement: 'blood_pressure', tags: { profile: 'bp', device: 'd 1', patient: 'p,k' }, fields: { systolic: 128, diastolic: 82.5 }, timeMs: 1_773_477_000_123 });
    expect(line).toBe('blood_pressure,device=d\\ 1,patient=p\\,k,profile=bp diastolic=82.5,systolic=128 1773477000123');
  });
});

describe('influxPlanner', () => {
  it('plans exactly the line the client\'s Point makes, for every device again and again', () => {
    const key = Buffer.alloc(32, 7);
    const plan = influxPlanner(key);
    const pseudonym = pseudonymizer(key);
    for (const [profileId, values] of [
      ['bp-upper-arm', { systolic: 128, diastolic: 82.5, pulse: 71 }],
      ['wrist-wearable', { spo2: 97, heartRate: 64, steps: 12 }],
      ['bp-upper-arm', { systolic: 131, diastolic: 84 }],
    ] as const) {
      const profile = shippedProfile(profileId);
      const rows = Object.entries(values).map(([metric, value]) => row({ metric, value, takenAtMs: 1_773_477_000_123, deviceId: `dev ${profileId}` }));
      expect(plan({ deviceId: rows[0]!.deviceId, patientNhs: rows[0]!.patientNhs, profile }, readingFromRows(rows), Buffer.alloc(0))).toEqual([{ sink: 'influx', payload: toLine(readingPoint(profile, readingFromRows(rows), pseudonym(rows[0]!.patientNhs))) }]);
    }
  });

  it('sorts each reading\'s fields whatever metrics it brings and in whatever order, reading after reading', () => {
    const key = Buffer.alloc(32, 9);
    const pseudonym = pseudonymizer(key);
    const profiles = ['bp-upper-arm', 'wrist-wearable'].map(shippedProfile);
    const reading = fc.record({
      profile: fc.constantFrom(...profiles),
      metrics: fc.shuffledSubarray(['systolic', 'diastolic', 'pulse', 'spo2', 'heartRate', 'steps', 'a1', 'Z'], { minLength: 1 }),
      value: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(reading, { minLength: 1, maxLength: 30 }), (readings) => {
        const plan = influxPlanner(key);
        for (const { profile, metrics, value } of readings) {
          const rows = metrics.map((metric, i) => row({ metric, value: value + i, takenAtMs: 1_000 + i, profileId: profile.id }));
          const [entry] = plan({ deviceId: rows[0]!.deviceId, patientNhs: rows[0]!.patientNhs, profile }, readingFromRows(rows), Buffer.alloc(0));
          expect(entry?.payload).toBe(toLine(readingPoint(profile, readingFromRows(rows), pseudonym(rows[0]!.patientNhs))));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('patientPseudonym', () => {
  it('is stable for one key, differs across keys and patients, and is 128 bits', () => {
    const k1 = Buffer.alloc(32, 1);
    const k2 = Buffer.alloc(32, 2);
    const p = patientPseudonym(k1, '9434765919');
    expect(p).toBe(patientPseudonym(k1, '9434765919'));
    expect(p).not.toBe(patientPseudonym(k2, '9434765919'));
    expect(p).not.toBe(patientPseudonym(k1, '4010232137'));
    expect(Buffer.from(p, 'base64url')).toHaveLength(16);
  });
});
