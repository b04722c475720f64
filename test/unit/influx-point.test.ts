import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { patientPseudonym, readingFromRows } from '../../src/domain/index.js';
import type { Reading } from '../../src/domain/index.js';
import { influxLines, influxPlanner, pseudonymizer, readingPoint, toLine } from '../../src/outputs/influx/index.js';
import type { OutputPlanner } from '../../src/pipeline/index.js';
import type { DeviceProfile } from '../../src/profiles/index.js';
import { completeLines } from '../../src/store/line-protocol.js';
import { toReadings } from '../../src/store/reading-encoding.js';
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

/** What the outbox gets for a reading stored now: the planner's entries, completed by the store from the reading. */
function stored(plan: OutputPlanner, profile: DeviceProfile, reading: Reading): string[] {
  const entries = plan({ deviceId: reading.deviceId, patientNhs: reading.patientNhs, profile }, reading, Buffer.alloc(0)).map((e) => ({ ...e, firstReading: 0, readingCount: 1 }));
  return completeLines(entries, toReadings([reading])).map((e) => e.payload);
}

describe('influxPlanner', () => {
  it('plans, with what the store completes, exactly the line the client\'s Point makes, for every device again and again', () => {
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
      const reading = readingFromRows(rows);
      const line = toLine(readingPoint(profile, reading, pseudonym(reading.patientNhs)));
      // The series key: the line less its fields and time (neither holds a space).
      const seriesKey = line.split(' ').slice(0, -2).join(' ');
      expect(plan({ deviceId: reading.deviceId, patientNhs: reading.patientNhs, profile }, reading, Buffer.alloc(0))).toEqual([{ sink: 'influx', payload: seriesKey, completion: 'line-protocol' }]);
      expect(stored(plan, profile, reading)).toEqual([line]);
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
      takenAtMs: fc.integer({ min: 0, max: 4_000_000 }).map((s) => s * 1_000_000 + 123),
    });
    fc.assert(
      fc.property(fc.array(reading, { minLength: 1, maxLength: 30 }), (readings) => {
        const plan = influxPlanner(key);
        for (const { profile, metrics, value, takenAtMs } of readings) {
          const rows = metrics.map((metric, i) => row({ metric, value: value + i, takenAtMs, profileId: profile.id }));
          const r = readingFromRows(rows);
          expect(stored(plan, profile, r)).toEqual([toLine(readingPoint(profile, r, pseudonym(r.patientNhs)))]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('makes a corrected reading\'s line whole (its reading is not in the commit), and none for a retracted one', () => {
    const key = Buffer.alloc(32, 5);
    const plan = influxPlanner(key);
    const profile = shippedProfile('bp-upper-arm');
    const reading = readingFromRows([row({ metric: 'systolic', value: 140, takenAtMs: 9_000 }), row({ metric: 'diastolic', value: 90, takenAtMs: 9_000 })]);
    const device = { deviceId: reading.deviceId, patientNhs: reading.patientNhs, profile };
    expect(plan(device, reading, Buffer.alloc(0), { status: 'amended', original: [] })).toEqual([{ sink: 'influx', payload: influxLines(key)(profile, reading) }]);
    expect(influxLines(key)(profile, reading)).toBe(toLine(readingPoint(profile, reading, pseudonymizer(key)(reading.patientNhs))));
    expect(plan(device, reading, Buffer.alloc(0), { status: 'entered-in-error', original: [] })).toEqual([]);
  });
});

describe('completeLines', () => {
  it('completes only entries asking for it, from their own reading of the commit, and refuses one without a reading', () => {
    const readings = toReadings([
      readingFromRows([row({ metric: 'pulse', value: 60, takenAtMs: 1_000 })]),
      readingFromRows([row({ metric: 'pulse', value: 61, takenAtMs: 2_000.7 })]),
    ]);
    const other = { sink: 'fhir', payload: '{}', firstReading: 0, readingCount: 1 };
    expect(completeLines([other, { sink: 'influx', payload: 's,t=1', firstReading: 1, readingCount: 1, completion: 'line-protocol' }], readings)).toEqual([
      other,
      { sink: 'influx', payload: 's,t=1 pulse=61 2000', firstReading: 1, readingCount: 1 },
    ]);
    const plain = [other];
    expect(completeLines(plain, readings)).toBe(plain);
    expect(() => completeLines([{ sink: 'influx', payload: 's', firstReading: 0, readingCount: 0, completion: 'line-protocol' }], readings)).toThrow(RangeError);
    expect(() => completeLines([{ sink: 'influx', payload: 's', firstReading: 2, readingCount: 1, completion: 'line-protocol' }], readings)).toThrow(RangeError);
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
