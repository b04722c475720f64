import { describe, expect, it } from 'vitest';
import type { CanonicalReading } from '../../src/domain/index.js';
import { validateReading } from '../../src/pipeline/index.js';
import { shippedProfile } from '../helpers/profiles.js';

const now = Date.parse('2026-03-14T09:00:00Z');
const ctx = { deviceId: 'bp-1', patientNhs: '9434765919', receivedAtMs: now, maxFutureSkewMs: 300_000, clockDriftToleranceMs: 60_000 };
const bp = shippedProfile('bp-upper-arm');
const reading = (r: Partial<CanonicalReading>): CanonicalReading => ({
  messageId: undefined,
  takenAt: '2026-03-14T08:30:00+00:00',
  deviceTime: undefined,
  values: { systolic: 128, diastolic: 82, pulse: 71 },
  units: {},
  ...r,
});
const codes = (r: ReturnType<typeof validateReading>) => (r.ok ? [] : r.error.map((i) => `${i.code}@${i.path}`));

describe('validateReading', () => {
  it('turns a valid BP reading into one reading with its values in the profile\'s units', () => {
    const r = validateReading(bp, reading({}), ctx);
    expect(r.ok).toBe(true);
    const accepted = r.ok ? r.value.reading : undefined;
    expect(accepted?.values.map((x) => [x.metric, x.value, x.unit])).toEqual([
      ['systolic', 128, 'mm[Hg]'],
      ['diastolic', 82, 'mm[Hg]'],
      ['pulse', 71, '/min'],
    ]);
    expect(accepted).toMatchObject({ deviceId: 'bp-1', patientNhs: '9434765919', profileId: 'bp-upper-arm', takenAtMs: Date.parse('2026-03-14T08:30:00Z'), receivedAtMs: now });
    // The reading's key: device time, device, then the message id or the values.
    expect(accepted?.idempotencyKey).toMatch(/^\d{15}\|bp-1\|[mv]/);
  });

  it('converts accepted alternative units to the canonical unit and remembers the source unit', () => {
    const r = validateReading(bp, reading({ values: { systolic: 16, diastolic: 10.7 }, units: { systolic: 'kPa', diastolic: 'kPa' } }), ctx);
    expect(r.ok && r.value.reading.values.map((x) => [x.value, x.unit, x.sourceUnit])).toEqual([
      [120, 'mm[Hg]', 'kPa'],
      [80, 'mm[Hg]', 'kPa'],
    ]);
  });

  it('accepts common unit spellings (mmHg, °F, lb)', () => {
    expect(validateReading(bp, reading({ units: { systolic: 'mmHg' } }), ctx).ok).toBe(true);
    const t = validateReading(shippedProfile('thermometer'), reading({ values: { bodyTemperature: 99.5 }, units: { bodyTemperature: '°F' } }), ctx);
    expect(t.ok && t.value.reading.values[0]?.value).toBe(37.5);
    const w = validateReading(shippedProfile('weight-scale'), reading({ values: { bodyWeight: 176.4 }, units: { bodyWeight: 'lb' } }), ctx);
    expect(w.ok && w.value.reading.values[0]?.value).toBe(80.01);
    const g = validateReading(shippedProfile('glucose-meter'), reading({ values: { bloodGlucose: 108 }, units: { bloodGlucose: 'mg/dL' } }), ctx);
    expect(g.ok && g.value.reading.values[0]?.value).toBe(6);
  });

  it('rejects an unknown metric, a wrong unit, a non-number and out-of-range values, all at once', () => {
    const r = validateReading(
      bp,
      reading({ values: { systolic: 400, diastolic: 'high', pulse: 71, glucose: 5 }, units: { pulse: 'Hz' } }),
      ctx,
    );
    expect(codes(r)).toEqual([
      'value-out-of-range@values.systolic',
      'value-not-number@values.diastolic',
      'unit-not-accepted@units.pulse',
      'metric-unknown@values.glucose',
    ]);
  });

  it('takes names of Object\'s own properties as unknown metrics, not as the profile\'s', () => {
    const r = validateReading(bp, reading({ values: { systolic: 128, diastolic: 82, constructor: 1, toString: 2 }, units: { hasOwnProperty: 'kPa' } }), ctx);
    expect(codes(r)).toEqual(['metric-unknown@values.constructor', 'metric-unknown@values.toString', 'payload-invalid@units.hasOwnProperty']);
  });

  it('reports a broken cross-field rule and a bad value of the same reading together', () => {
    expect(codes(validateReading(bp, reading({ values: { systolic: 80, diastolic: 90, pulse: 500 } }), ctx))).toEqual([
      'value-out-of-range@values.pulse',
      'rule-violated@values.systolic',
    ]);
  });

  it('applies the cross-field rule systolic > diastolic', () => {
    expect(codes(validateReading(bp, reading({ values: { systolic: 80, diastolic: 80 } }), ctx))).toEqual(['rule-violated@values.systolic']);
    expect(validateReading(bp, reading({ values: { systolic: 81, diastolic: 80 } }), ctx).ok).toBe(true);
  });

  it('requires the profile\'s required metrics', () => {
    expect(codes(validateReading(bp, reading({ values: { systolic: 120 } }), ctx))).toEqual(['metric-missing@values.diastolic']);
  });

  it('checks limits inclusively at both edges, after conversion', () => {
    expect(validateReading(bp, reading({ values: { systolic: 300, diastolic: 25 } }), ctx).ok).toBe(true);
    expect(codes(validateReading(bp, reading({ values: { systolic: 301, diastolic: 25 } }), ctx))).toEqual(['value-out-of-range@values.systolic']);
    expect(codes(validateReading(bp, reading({ values: { systolic: 120, diastolic: 24 } }), ctx))).toEqual(['value-out-of-range@values.diastolic']);
  });

  it('rejects bad timestamps', () => {
    expect(codes(validateReading(bp, reading({ takenAt: '2026-03-15T09:00:00Z' }), ctx))).toEqual(['timestamp-in-future@takenAt']);
    expect(codes(validateReading(bp, reading({ takenAt: 'soon' }), ctx))).toEqual(['timestamp-invalid@takenAt']);
    expect(codes(validateReading(bp, reading({ takenAt: '2026-03-14T08:30:00' }), ctx))).toEqual(['timestamp-missing-offset@takenAt']);
    expect(codes(validateReading(bp, reading({ takenAt: '2025-01-01T08:30:00Z' }), ctx))).toEqual(['timestamp-too-old@takenAt']);
  });

  it('keys values by message id when given, else by device, metric, time and value', () => {
    const key = (r: CanonicalReading) => {
      const v = validateReading(bp, r, ctx);
      return v.ok ? v.value.reading.idempotencyKey : undefined;
    };
    expect(key(reading({ messageId: 'a' }))).toBe(key(reading({ messageId: 'a', values: { systolic: 130, diastolic: 82 } })));
    expect(key(reading({ messageId: 'a' }))).not.toBe(key(reading({ messageId: 'b' })));
    // a message counter that restarts does not swallow a new measurement
    expect(key(reading({ messageId: 'a' }))).not.toBe(key(reading({ messageId: 'a', takenAt: '2026-03-14T08:45:00+00:00' })));
    expect(key(reading({}))).toBe(key(reading({})));
    expect(key(reading({}))).not.toBe(key(reading({ values: { systolic: 129, diastolic: 82 } })));
    expect(key(reading({}))).not.toBe(key(reading({ takenAt: '2026-03-14T08:31:00+00:00' })));
  });
});
