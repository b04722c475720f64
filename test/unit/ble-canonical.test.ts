import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/domain/index.js';
import { canonicalValues } from '../../src/ingest/ble/gatt/index.js';
import { addToWall, currentTime, measuredAt } from '../../src/ingest/ble/time.js';
import { loadProfiles } from '../../src/profiles/index.js';
import { tempDir } from '../helpers/gateway.js';
import { shippedProfile } from '../helpers/profiles.js';

describe('BLE decoded values → canonical values', () => {
  it('maps fields to the profile\'s metrics with the UCUM unit their flags say', () => {
    const bp = { unit: 'kPa', systolic: 16, diastolic: 10.7, meanArterialPressure: 12.5, pulseRate: 72 };
    expect(canonicalValues('2A35', bp, { systolic: 'systolic', diastolic: 'diastolic', pulseRate: 'pulse' })).toEqual({
      values: { systolic: 16, diastolic: 10.7, pulse: 72 },
      units: { systolic: 'kPa', diastolic: 'kPa', pulse: '/min' },
    });
    expect(canonicalValues('2A1C', { temperature: 98.6, unit: 'F' }, { temperature: 'bodyTemperature' })).toEqual({ values: { bodyTemperature: 98.6 }, units: { bodyTemperature: '[degF]' } });
    expect(canonicalValues('2A9D', { unit: 'lb', weight: 154.7 }, { weight: 'bodyWeight' }).units).toEqual({ bodyWeight: '[lb_av]' });
  });

  it('scales glucose exactly: kg/L to mg/dL (×10^5), mol/L to mmol/L (×10^3) [GATT 2A18 flags bit 2]', () => {
    expect(canonicalValues('2A18', { glucoseConcentration: 0.00101, unit: 'kg/L' }, { glucoseConcentration: 'bloodGlucose' })).toEqual({ values: { bloodGlucose: 101 }, units: { bloodGlucose: 'mg/dL' } });
    expect(canonicalValues('2A18', { glucoseConcentration: 0.0056, unit: 'mol/L' }, { glucoseConcentration: 'bloodGlucose' })).toEqual({ values: { bloodGlucose: 5.6 }, units: { bloodGlucose: 'mmol/L' } });
  });

  it('gives no value for a field absent or null (a special value): the pipeline then decides', () => {
    expect(canonicalValues('2A35', { unit: 'mmHg', systolic: 120, diastolic: 80, meanArterialPressure: 93, pulseRate: null }, { systolic: 'systolic', pulseRate: 'pulse' }).values).toEqual({ systolic: 120 });
    expect(canonicalValues('2A18', { sequenceNumber: 1, baseTime: '2026-01-01T00:00:00', contextInformationFollows: false }, { glucoseConcentration: 'bloodGlucose' }).values).toEqual({});
  });
});

describe('BLE profiles', () => {
  const load = (ble: unknown): string => {
    const tmp = tempDir();
    try {
      writeFileSync(join(tmp.dir, 'cuff.json'), JSON.stringify({ ...shippedProfile('ble-bp-cuff'), ble }));
      loadProfiles(tmp.dir);
      return '';
    } catch (e) {
      if (e instanceof GatewayError) return e.message;
      throw e;
    } finally {
      tmp.remove();
    }
  };

  it('ship one per device type, each mapping a characteristic the bridge decodes', () => {
    for (const id of ['ble-bp-cuff', 'ble-hr-strap', 'ble-glucose-meter', 'ble-scale', 'ble-thermometer', 'ble-pulse-oximeter']) expect(shippedProfile(id).ble?.measurements.length).toBeGreaterThan(0);
    expect(shippedProfile('ble-glucose-meter').ble).toMatchObject({ service: '1808', storedRecords: true });
  });

  it('refuse a field the characteristic does not have, a metric the profile lacks, and a unit with no conversion', () => {
    expect(load({ service: '1810', measurements: [{ characteristic: '2A35', metrics: { systole: 'systolic' } }] })).toMatch(/ble\.measurements\.0\.metrics\.systole: 2A35 has no numeric field "systole"/);
    expect(load({ service: '1810', measurements: [{ characteristic: '2A35', metrics: { systolic: 'sys' } }] })).toMatch(/"sys" is not a metric of this profile/);
    expect(load({ service: '1810', measurements: [{ characteristic: '2A35', metrics: { pulseRate: 'systolic' } }] })).toMatch(/arrives in \/min, which is neither mm\[Hg\]/);
    expect(load({ service: '18100', measurements: [{ characteristic: '2A35', metrics: { systolic: 'systolic' } }] })).toMatch(/ble\.service/);
  });
});

describe('BLE device time', () => {
  it('moves a wall-clock time, across days and years', () => {
    expect(addToWall('2026-12-31T23:59:30', 45_000)).toBe('2027-01-01T00:00:15');
    expect(addToWall('2026-03-01T00:10:00', -20 * 60_000)).toBe('2026-02-28T23:50:00');
  });

  it('takes a measurement\'s time stamp, or a glucose record\'s base time plus its offset; none when the date is unknown', () => {
    expect(measuredAt({ timestamp: '2026-03-14T08:30:00' })).toBe('2026-03-14T08:30:00');
    expect(measuredAt({ baseTime: '2026-03-14T08:30:00', timeOffset: -90 })).toBe('2026-03-14T07:00:00');
    expect(measuredAt({ timestamp: '0000-00-00T08:30:00' })).toBeUndefined();
    expect(measuredAt({ heartRate: 70 })).toBeUndefined();
  });

  it('reads Current Time (Exact Time 256) [GATT 2A2B]', () => {
    expect(currentTime(Uint8Array.from([0xea, 0x07, 11, 25, 19, 5, 7, 3, 0, 0]))).toBe('2026-11-25T19:05:07');
    expect(currentTime(Uint8Array.from([0, 0, 0, 0, 19, 5, 7, 3, 0, 0]))).toBeUndefined();
    expect(currentTime(Uint8Array.from([0xea, 0x07]))).toBeUndefined();
  });
});
