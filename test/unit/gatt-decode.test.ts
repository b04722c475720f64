import { describe, expect, it } from 'vitest';
import { IssueCode } from '../../src/domain/index.js';
import { DECODERS, decoderFor, characteristicId } from '../../src/ingest/ble/gatt/index.js';
import * as encode from '../../simulators/ble/encode.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
const decode = (id: keyof typeof DECODERS, hex: string | Uint8Array) => DECODERS[id](typeof hex === 'string' ? bytes(hex) : hex);
const ok = (id: keyof typeof DECODERS, hex: string | Uint8Array): unknown => {
  const r = decode(id, hex);
  if (!r.ok) throw new Error(`${id} rejected: ${JSON.stringify(r.error)}`);
  return r.value;
};
const issues = (id: keyof typeof DECODERS, hex: string | Uint8Array) => {
  const r = decode(id, hex);
  if (r.ok) throw new Error(`${id} accepted: ${JSON.stringify(r.value)}`);
  return r.error.map((i) => [i.code, i.path]);
};
const TIME = 'ea 07 03 0e 08 1e 00'; // 2026-03-14 08:30:00 [GATT Date Time: year u16 LE, month, day, hours, minutes, seconds]

/** Every combination of `n` flag bits. */
const combinations = (n: number): boolean[][] => Array.from({ length: 1 << n }, (_, f) => Array.from({ length: n }, (_, b) => (f & (1 << b)) !== 0));

describe('0x2A35 Blood Pressure Measurement', () => {
  it('decodes the minimal form: flags 0, mmHg, three SFLOAT pressures', () => {
    expect(ok('2A35', '00 7800 5000 a5f3')).toEqual({ unit: 'mmHg', systolic: 120, diastolic: 80, meanArterialPressure: 93.3 });
  });

  it('decodes every optional field in order: time stamp, pulse rate, user id, measurement status', () => {
    expect(ok('2A35', `1e 7800 5000 5d00 ${TIME} 4800 01 2400`)).toEqual({
      unit: 'mmHg',
      systolic: 120,
      diastolic: 80,
      meanArterialPressure: 93,
      timestamp: '2026-03-14T08:30:00',
      pulseRate: 72,
      userId: 1,
      measurementStatus: { raw: 0x24, bodyMovementDetected: false, cuffFitTooLoose: false, irregularPulseDetected: true, pulseRateRange: 'withinRange', improperMeasurementPosition: true },
    });
  });

  it('reads kPa as kPa (bit 0): conversion happens in the pipeline', () => {
    expect(ok('2A35', '01 a0f0 aaf0 c5f0')).toEqual({ unit: 'kPa', systolic: 16, diastolic: 17, meanArterialPressure: 19.7 });
  });

  it.each([
    [0x0000, 'withinRange'],
    [0x0008, 'exceedsUpperLimit'],
    [0x0010, 'belowLowerLimit'],
    [0x0018, 'reserved'],
  ])('status bits 3–4 of 0x%s: pulse rate %s', (raw, range) => {
    expect(ok('2A35', encode.bloodPressure({ systolic: 120, diastolic: 80, meanArterialPressure: 93, measurementStatus: raw }))).toMatchObject({ measurementStatus: { pulseRateRange: range } });
  });

  it('a special pulse rate (flagged optional) is null; user id 255 (unknown) stays numeric', () => {
    expect(ok('2A35', '0c 7800 5000 5d00 ff07 ff')).toMatchObject({ pulseRate: null, userId: 255 });
  });

  it('ignores reserved flag bits 5–7', () => {
    expect(ok('2A35', 'e0 7800 5000 5d00')).toEqual(ok('2A35', '00 7800 5000 5d00'));
  });

  it.each(combinations(5))('round-trips flags unit=%s time=%s pulse=%s user=%s status=%s', (kPa, time, pulse, user, status) => {
    const input = {
      unit: kPa ? ('kPa' as const) : ('mmHg' as const),
      systolic: kPa ? 18.1 : 136,
      diastolic: kPa ? 11.2 : 84,
      meanArterialPressure: kPa ? 13.5 : 101.3,
      ...(time ? { timestamp: '2026-11-20T07:05:09' } : {}),
      ...(pulse ? { pulseRate: 66 } : {}),
      ...(user ? { userId: 3 } : {}),
      ...(status ? { measurementStatus: 0x01 } : {}),
    };
    const decoded = ok('2A35', encode.bloodPressure(input)) as Record<string, unknown>;
    expect({ ...decoded, ...(status ? { measurementStatus: (decoded['measurementStatus'] as { raw: number }).raw } : {}) }).toEqual(input);
  });

  it.each([
    ['systolic', '00 ff07 5000 5d00'],
    ['diastolic', '00 7800 0008 5d00'],
    ['meanArterialPressure', '00 7800 5000 fe07'],
    ['systolic', '00 0208 5000 5d00'],
    ['systolic', '00 0108 5000 5d00'],
  ])('rejects a special value in the mandatory %s as invalid-value', (field, hex) => {
    expect(issues('2A35', hex)).toEqual([[IssueCode.InvalidValue, field]]);
  });

  it.each([
    ['', 'flags'],
    ['00', 'systolic'],
    ['00 7800 50', 'diastolic'],
    ['00 7800 5000', 'meanArterialPressure'],
    ['02 7800 5000 5d00 ea07 03', 'timestamp.day'],
    ['04 7800 5000 5d00', 'pulseRate'],
    ['08 7800 5000 5d00', 'userId'],
    ['10 7800 5000 5d00 24', 'measurementStatus'],
  ])('rejects %s as truncated at %s (the flags promise a field that is not there)', (hex, path) => {
    expect(issues('2A35', hex)).toEqual([[IssueCode.Truncated, path]]);
  });

  it('rejects bytes after the last declared field', () => {
    expect(issues('2A35', '00 7800 5000 5d00 48')).toEqual([[IssueCode.TrailingBytes, '']]);
  });

  it.each([
    ['timestamp.month', 'ea07 0d 0e 08 1e 00'],
    ['timestamp.day', 'ea07 03 20 08 1e 00'],
    ['timestamp.hours', 'ea07 03 0e 18 1e 00'],
    ['timestamp.minutes', 'ea07 03 0e 08 3c 00'],
    ['timestamp.seconds', 'ea07 03 0e 08 1e 3c'],
    ['timestamp.year', '0100 03 0e 08 1e 00'],
  ])('rejects an out-of-range date part (%s)', (path, time) => {
    expect(issues('2A35', `02 7800 5000 5d00 ${time}`)).toEqual([[IssueCode.InvalidValue, path]]);
  });

  it('keeps a date the device does not know (year, month, day 0) as zeros', () => {
    expect(ok('2A35', '02 7800 5000 5d00 0000 00 00 08 1e 00')).toMatchObject({ timestamp: '0000-00-00T08:30:00' });
  });
});

describe('0x2A36 Intermediate Cuff Pressure', () => {
  it('takes the cuff pressure from the systolic slot; the unused slots may be NaN', () => {
    expect(ok('2A36', '04 5a00 ff07 ff07 4600')).toEqual({ unit: 'mmHg', cuffPressure: 90, pulseRate: 70 });
    expect(ok('2A36', encode.intermediateCuffPressure({ cuffPressure: 15.3, unit: 'kPa', userId: 2 }))).toEqual({ unit: 'kPa', cuffPressure: 15.3, userId: 2 });
  });

  it('rejects a special cuff pressure, a short value and trailing bytes', () => {
    expect(issues('2A36', '00 ff07 ff07 ff07')).toEqual([[IssueCode.InvalidValue, 'cuffPressure']]);
    expect(issues('2A36', '00 5a00 ff07')).toEqual([[IssueCode.Truncated, 'meanArterialPressure (unused)']]);
    expect(issues('2A36', '00 5a00 ff07 ff07 00')).toEqual([[IssueCode.TrailingBytes, '']]);
  });
});

describe('0x2A37 Heart Rate Measurement', () => {
  it.each([
    ['00 48', { heartRate: 72, sensorContact: 'notSupported' }],
    ['02 48', { heartRate: 72, sensorContact: 'notSupported' }], // bit 1 alone means nothing while bit 2 (supported) is clear
    ['04 48', { heartRate: 72, sensorContact: 'notDetected' }],
    ['06 48', { heartRate: 72, sensorContact: 'detected' }],
    ['01 2c01', { heartRate: 300, sensorContact: 'notSupported' }],
    ['08 48 e803', { heartRate: 72, sensorContact: 'notSupported', energyExpended: 1000 }],
    ['10 48 0004 0002', { heartRate: 72, sensorContact: 'notSupported', rrIntervals: [1, 0.5] }],
    ['1f 4800 2c01 3303', { heartRate: 72, sensorContact: 'detected', energyExpended: 300, rrIntervals: [819 / 1024] }],
  ])('%s', (hex, expected) => {
    expect(ok('2A37', hex)).toEqual(expected);
  });

  it.each(combinations(4))('round-trips flags u16=%s contact-supported=%s energy=%s rr=%s', (wide, supported, energy, rr) => {
    const input = { heartRate: 61, wide, sensorContact: supported ? ('detected' as const) : ('notSupported' as const), ...(energy ? { energyExpended: 12 } : {}), ...(rr ? { rrIntervals: [0.75, 1.25, 0.5] } : {}) };
    const { wide: _, ...expected } = input;
    expect(ok('2A37', encode.heartRate(input))).toEqual(expected);
  });

  it.each([
    ['', 'flags'],
    ['00', 'heartRate'],
    ['01 48', 'heartRate'],
    ['08 48 e8', 'energyExpended'],
    ['10 48', 'rrIntervals[0]'],
    ['10 48 0004 00', 'rrIntervals[1]'],
  ])('rejects %s as truncated at %s', (hex, path) => {
    expect(issues('2A37', hex)).toEqual([[IssueCode.Truncated, path]]);
  });

  it('rejects bytes after the value when no RR-intervals are declared', () => {
    expect(issues('2A37', '00 48 00')).toEqual([[IssueCode.TrailingBytes, '']]);
  });
});

describe('0x2A18 Glucose Measurement', () => {
  it('decodes sequence number and base time alone; context follows is always present', () => {
    expect(ok('2A18', `00 0100 ${TIME}`)).toEqual({ sequenceNumber: 1, baseTime: '2026-03-14T08:30:00', contextInformationFollows: false });
  });

  it('decodes every field: time offset, concentration in mol/L with type and location, annunciation, context', () => {
    // 5.6 mmol/L = 0.0056 mol/L = 56e-4; type 2 capillary plasma, location 1 finger; battery low + time fault.
    expect(ok('2A18', `1f 2a00 ${TIME} f6ff 38c0 12 0108`)).toEqual({
      sequenceNumber: 42,
      baseTime: '2026-03-14T08:30:00',
      timeOffset: -10,
      glucoseConcentration: 0.0056,
      unit: 'mol/L',
      type: 'capillaryPlasma',
      sampleLocation: 'finger',
      sensorStatusAnnunciation: { raw: 0x0801, flags: ['deviceBatteryLow', 'timeFault'] },
      contextInformationFollows: true,
    });
  });

  it('reads kg/L (bit 2 clear): 101 mg/dL is 101e-5 kg/L', () => {
    expect(ok('2A18', `02 0700 ${TIME} 65b0 f1`)).toMatchObject({ glucoseConcentration: 0.00101, unit: 'kg/L', type: 'capillaryWholeBlood', sampleLocation: 'notAvailable' });
  });

  it('a special concentration is null; reserved type and location codes say so', () => {
    expect(ok('2A18', `02 0700 ${TIME} ff07 5b`)).toMatchObject({ glucoseConcentration: null, type: 'reserved', sampleLocation: 'reserved' });
  });

  it.each(combinations(5))('round-trips flags offset=%s concentration=%s mol=%s status=%s context=%s', (offset, conc, mol, status, context) => {
    const input = {
      sequenceNumber: 513,
      baseTime: '2026-11-01T23:59:59',
      ...(offset ? { timeOffset: 60 } : {}),
      ...(conc ? { glucoseConcentration: mol ? 0.0072 : 0.00128, unit: mol ? ('mol/L' as const) : ('kg/L' as const), type: 'venousPlasma', sampleLocation: 'earlobe' } : {}),
      ...(status ? { sensorStatusAnnunciation: 0x0004 } : {}),
      contextInformationFollows: context,
    };
    const decoded = ok('2A18', encode.glucose({ ...input, ...(mol && !conc ? { unit: 'mol/L' as const } : {}) })) as Record<string, unknown>;
    const annunciation = decoded['sensorStatusAnnunciation'] as { raw: number; flags: string[] } | undefined;
    if (status) expect(annunciation).toEqual({ raw: 4, flags: ['sampleSizeInsufficient'] });
    expect({ ...decoded, ...(annunciation !== undefined ? { sensorStatusAnnunciation: annunciation.raw } : {}) }).toEqual(input);
  });

  it.each([
    ['00 01', 'sequenceNumber'],
    ['00 0100 ea07 03 0e 08 1e', 'baseTime.seconds'],
    [`01 0100 ${TIME} f6`, 'timeOffset'],
    [`02 0100 ${TIME} 38c0`, 'typeSampleLocation'],
    [`08 0100 ${TIME}`, 'sensorStatusAnnunciation'],
  ])('rejects %s as truncated at %s', (hex, path) => {
    expect(issues('2A18', hex)).toEqual([[IssueCode.Truncated, path]]);
  });

  it('rejects trailing bytes', () => {
    expect(issues('2A18', `00 0100 ${TIME} 00`)).toEqual([[IssueCode.TrailingBytes, '']]);
  });
});

describe('0x2A9D Weight Measurement', () => {
  it.each([
    ['00 b036', { unit: 'kg', weight: 70 }], // 14000 × 0.005
    ['00 0100', { unit: 'kg', weight: 0.005 }],
    ['01 6e3c', { unit: 'lb', weight: 154.7 }], // 15470 × 0.01
    [`0e b036 ${TIME} 02 e600 d206`, { unit: 'kg', weight: 70, timestamp: '2026-03-14T08:30:00', userId: 2, bmi: 23, height: 1.746, heightUnit: 'm' }],
    ['09 6e3c f000 b802', { unit: 'lb', weight: 154.7, bmi: 24, height: 69.6, heightUnit: 'in' }],
  ])('%s', (hex, expected) => {
    expect(ok('2A9D', hex)).toEqual(expected);
  });

  it.each(combinations(4))('round-trips flags imperial=%s time=%s user=%s bmi=%s', (imperial, time, user, body) => {
    const input = {
      unit: imperial ? ('lb' as const) : ('kg' as const),
      weight: imperial ? 180.25 : 81.735,
      ...(time ? { timestamp: '2026-02-28T06:00:00' } : {}),
      ...(user ? { userId: 0 } : {}),
      ...(body ? { bmi: 26.1, height: imperial ? 70.5 : 1.79 } : {}),
    };
    expect(ok('2A9D', encode.weight(input))).toEqual({ ...input, ...(body ? { heightUnit: imperial ? 'in' : 'm' } : {}) });
  });

  it('rejects 0xFFFF (measurement unsuccessful), a short value and trailing bytes', () => {
    expect(issues('2A9D', '00 ffff')).toEqual([[IssueCode.InvalidValue, 'weight']]);
    expect(issues('2A9D', '00 b0')).toEqual([[IssueCode.Truncated, 'weight']]);
    expect(issues('2A9D', '08 b036 e600')).toEqual([[IssueCode.Truncated, 'height']]);
    expect(issues('2A9D', '00 b036 00')).toEqual([[IssueCode.TrailingBytes, '']]);
  });
});

describe('0x2A1C Temperature Measurement', () => {
  it.each([
    ['00 6e0100ff', { temperature: 36.6, unit: 'C' }], // 366e-1
    ['01 da0300ff', { temperature: 98.6, unit: 'F' }],
    [`06 720e00fe ${TIME} 06`, { temperature: 36.98, unit: 'C', timestamp: '2026-03-14T08:30:00', temperatureType: 'mouth' }],
    ['04 6e0100ff 0a', { temperature: 36.6, unit: 'C', temperatureType: 'reserved' }],
  ])('%s', (hex, expected) => {
    expect(ok('2A1C', hex)).toEqual(expected);
  });

  it.each(combinations(3))('round-trips flags fahrenheit=%s time=%s type=%s', (f, time, type) => {
    const input = { temperature: f ? 100.4 : 38, unit: f ? ('F' as const) : ('C' as const), ...(time ? { timestamp: '2026-12-31T23:00:00' } : {}), ...(type ? { temperatureType: 'tympanum' } : {}) };
    expect(ok('2A1C', encode.temperature(input))).toEqual(input);
  });

  it('rejects a special temperature, a short FLOAT and trailing bytes', () => {
    expect(issues('2A1C', '00 ffff7f00')).toEqual([[IssueCode.InvalidValue, 'temperature']]);
    expect(issues('2A1C', '00 6e0100')).toEqual([[IssueCode.Truncated, 'temperature']]);
    expect(issues('2A1C', '04 6e0100ff')).toEqual([[IssueCode.Truncated, 'temperatureType']]);
    expect(issues('2A1C', '00 6e0100ff 00')).toEqual([[IssueCode.TrailingBytes, '']]);
  });
});

describe('0x2A5E PLX Spot-Check Measurement', () => {
  it('decodes SpO2 and pulse rate; device clock not set is always present', () => {
    expect(ok('2A5E', '00 6100 4800')).toEqual({ spo2: 97, pulseRate: 72, deviceClockNotSet: false });
  });

  it('decodes every optional field in order', () => {
    expect(ok('2A5E', `1f 6100 4800 ${TIME} 2000 220000 2df0`)).toEqual({
      spo2: 97,
      pulseRate: 72,
      timestamp: '2026-03-14T08:30:00',
      measurementStatus: { raw: 0x20, flags: ['measurementOngoing'] },
      deviceAndSensorStatus: { raw: 0x22, flags: ['equipmentMalfunctionDetected', 'lowPerfusionDetected'] },
      pulseAmplitudeIndex: 4.5,
      deviceClockNotSet: true,
    });
  });

  it.each(combinations(5))('round-trips flags time=%s status=%s sensor=%s pai=%s clock-not-set=%s', (time, status, sensor, pai, clock) => {
    const input = {
      spo2: 94,
      pulseRate: 101,
      ...(time ? { timestamp: '2026-05-05T05:05:05' } : {}),
      ...(status ? { measurementStatus: 0x8000 } : {}),
      ...(sensor ? { deviceAndSensorStatus: 0x8000 } : {}),
      ...(pai ? { pulseAmplitudeIndex: 1.2 } : {}),
      deviceClockNotSet: clock,
    };
    const d = ok('2A5E', encode.plxSpotCheck(input)) as Record<string, { raw: number } | unknown>;
    const raw = (k: string) => (d[k] !== undefined ? { [k]: (d[k] as { raw: number }).raw } : {});
    expect({ ...d, ...raw('measurementStatus'), ...raw('deviceAndSensorStatus') }).toEqual(input);
    if (status) expect(d['measurementStatus']).toEqual({ raw: 0x8000, flags: ['invalidMeasurementDetected'] });
    if (sensor) expect(d['deviceAndSensorStatus']).toEqual({ raw: 0x8000, flags: ['sensorDisconnected'] });
  });

  it('rejects special SpO2 or pulse rate; a special pulse amplitude index is null', () => {
    expect(issues('2A5E', '00 ff07 4800')).toEqual([[IssueCode.InvalidValue, 'spo2']]);
    expect(issues('2A5E', '00 6100 0008')).toEqual([[IssueCode.InvalidValue, 'pulseRate']]);
    expect(ok('2A5E', '08 6100 4800 ff07')).toMatchObject({ pulseAmplitudeIndex: null });
  });

  it('rejects a short value and trailing bytes', () => {
    expect(issues('2A5E', '04 6100 4800 2200')).toEqual([[IssueCode.Truncated, 'deviceAndSensorStatus']]);
    expect(issues('2A5E', '00 6100 4800 00')).toEqual([[IssueCode.TrailingBytes, '']]);
  });
});

describe('0x2A5F PLX Continuous Measurement', () => {
  it('decodes the normal pair alone, and every optional field in order', () => {
    expect(ok('2A5F', '00 6200 3c00')).toEqual({ spo2: 98, pulseRate: 60 });
    expect(ok('2A5F', '1f 6200 3c00 6100 3d00 ff07 ff07 8000 000000 0c00')).toEqual({
      spo2: 98,
      pulseRate: 60,
      spo2Fast: 97,
      pulseRateFast: 61,
      spo2Slow: null,
      pulseRateSlow: null,
      measurementStatus: { raw: 0x80, flags: ['validatedData'] }, // bit 7
      deviceAndSensorStatus: { raw: 0, flags: [] },
      pulseAmplitudeIndex: 12,
    });
  });

  it.each(combinations(5))('round-trips flags fast=%s slow=%s status=%s sensor=%s pai=%s', (fast, slow, status, sensor, pai) => {
    const input = {
      spo2: 95,
      pulseRate: 88,
      ...(fast ? { fast: { spo2: 96, pulseRate: 90 } } : {}),
      ...(slow ? { slow: { spo2: 94, pulseRate: 86 } } : {}),
      ...(status ? { measurementStatus: 0x0040 } : {}),
      ...(sensor ? { deviceAndSensorStatus: 0x000001 } : {}),
      ...(pai ? { pulseAmplitudeIndex: 0.8 } : {}),
    };
    const d = ok('2A5F', encode.plxContinuous(input)) as Record<string, unknown>;
    expect(d).toEqual({
      spo2: 95,
      pulseRate: 88,
      ...(fast ? { spo2Fast: 96, pulseRateFast: 90 } : {}),
      ...(slow ? { spo2Slow: 94, pulseRateSlow: 86 } : {}),
      ...(status ? { measurementStatus: { raw: 0x40, flags: ['earlyEstimatedData'] } } : {}),
      ...(sensor ? { deviceAndSensorStatus: { raw: 1, flags: ['extendedDisplayUpdateOngoing'] } } : {}),
      ...(pai ? { pulseAmplitudeIndex: 0.8 } : {}),
    });
  });

  it('rejects a special normal SpO2, a short value and trailing bytes', () => {
    expect(issues('2A5F', '00 0008 3c00')).toEqual([[IssueCode.InvalidValue, 'spo2']]);
    expect(issues('2A5F', '01 6200 3c00 6100')).toEqual([[IssueCode.Truncated, 'pulseRateFast']]);
    expect(issues('2A5F', '00 6200 3c00 00')).toEqual([[IssueCode.TrailingBytes, '']]);
  });
});

describe('characteristic ids', () => {
  it('accepts the 16-bit id in any case, with 0x, or in the 128-bit form BlueZ reports', () => {
    for (const form of ['2A35', '2a35', '0x2A35', '00002a35-0000-1000-8000-00805f9b34fb']) expect(characteristicId(form)).toBe('2A35');
    expect(characteristicId('12345678-0000-1000-8000-00805f9b34fb')).toBeUndefined();
    expect(decoderFor('00002a37-0000-1000-8000-00805f9b34fb')).toBe(DECODERS['2A37']);
    expect(decoderFor('sfloat')?.(bytes('a5f3'))).toEqual({ ok: true, value: { value: 93.3, mantissa: 933, exponent: -1 } });
    expect(decoderFor('FLOAT')?.(bytes('6e0100ff'))).toEqual({ ok: true, value: { value: 36.6, mantissa: 366, exponent: -1 } });
    expect(decoderFor('2A99')).toBeUndefined();
  });
});

/**
 * Vectors from public BLE libraries' own tests, each re-derived by hand from the spec layout:
 * NordicSemiconductor/Android-BLE-Common-Library (NCL), NordicSemiconductor/Android-nRF-Toolbox
 * (NTB), StanfordSpezi/SpeziBluetooth (SPZ), RonanB96/bluetooth-sig-python (BSP, its spec-conformant
 * weight cases only). Values as those tests assert them, in this decoder's shapes.
 */
describe('vectors from public BLE libraries\' tests', () => {
  it('2A35 (NCL BloodPressureMeasurementDataCallbackTest: full, some, minimal)', () => {
    expect(ok('2A35', '1E 8A 00 58 00 78 00 00 00 04 11 14 29 3B 3C 00 01 27 00')).toEqual({
      unit: 'mmHg',
      systolic: 138,
      diastolic: 88,
      meanArterialPressure: 120,
      timestamp: '0000-04-17T20:41:59',
      pulseRate: 60,
      userId: 1,
      measurementStatus: { raw: 0x27, bodyMovementDetected: true, cuffFitTooLoose: true, irregularPulseDetected: true, pulseRateRange: 'withinRange', improperMeasurementPosition: true },
    });
    expect(ok('2A35', '15 BD F0 0B 00 9F F0 3C 00 12 00')).toMatchObject({ unit: 'kPa', systolic: 18.9, diastolic: 11, meanArterialPressure: 15.9, pulseRate: 60, measurementStatus: { cuffFitTooLoose: true, pulseRateRange: 'belowLowerLimit' } });
    expect(ok('2A35', '00 BD F0 0B 00 9F F0')).toEqual({ unit: 'mmHg', systolic: 18.9, diastolic: 11, meanArterialPressure: 15.9 });
    expect(issues('2A35', '01 02 03 04 05 06')).toEqual([[IssueCode.Truncated, 'meanArterialPressure']]);
    expect(issues('2A35', '03 02 03 04 05 06 07')).toEqual([[IssueCode.Truncated, 'timestamp.year']]);
  });

  it('2A37 (NCL HeartRateMeasurementDataCallbackTest)', () => {
    expect(ok('2A37', '00 55')).toEqual({ heartRate: 85, sensorContact: 'notSupported' });
    expect(ok('2A37', '04 FF')).toEqual({ heartRate: 255, sensorContact: 'notDetected' });
    expect(ok('2A37', '1E 55 32 00 21 00')).toEqual({ heartRate: 85, sensorContact: 'detected', energyExpended: 50, rrIntervals: [33 / 1024] });
    expect(ok('2A37', '1F 01 01 32 01 01 00 02 01 FF FF')).toEqual({ heartRate: 257, sensorContact: 'detected', energyExpended: 306, rrIntervals: [1 / 1024, 258 / 1024, 65535 / 1024] });
    expect(issues('2A37', '17 01 01')).toEqual([[IssueCode.Truncated, 'rrIntervals[0]']]);
  });

  it('2A18 (NCL GlucoseMeasurementDataCallbackTest; NTB GlucoseMeasurementParserTest)', () => {
    expect(ok('2A18', '1B 01 00 E3 07 02 1B 0B 0A 1E FB FF 1E 00 12 05 01')).toEqual({
      sequenceNumber: 1,
      baseTime: '2019-02-27T11:10:30',
      timeOffset: -5,
      glucoseConcentration: 30,
      unit: 'kg/L',
      type: 'capillaryPlasma',
      sampleLocation: 'finger',
      sensorStatusAnnunciation: { raw: 0x105, flags: ['deviceBatteryLow', 'sampleSizeInsufficient', 'temperatureTooLow'] },
      contextInformationFollows: true,
    });
    expect(issues('2A18', '1B 00 00 E2 07 04 1A 0B 09 1E 1E 00 12 05 01')).toEqual([[IssueCode.Truncated, 'sensorStatusAnnunciation']]);
    expect(ok('2A18', '00 01 00 E4 07 05 15 0A 1E 2D')).toEqual({ sequenceNumber: 1, baseTime: '2020-05-21T10:30:45', contextInformationFollows: false });
    expect(ok('2A18', '1F 02 00 E4 07 05 15 0A 1E 2D 00 00 51 00 14 06 00')).toMatchObject({ sequenceNumber: 2, timeOffset: 0, glucoseConcentration: 81, unit: 'mol/L', type: 'venousPlasma', sampleLocation: 'finger', sensorStatusAnnunciation: { raw: 6 }, contextInformationFollows: true });
    expect(issues('2A18', '0F 03 00 E4 07 05 15 0A 1E 2D 05 00 CD CC')).toEqual([[IssueCode.Truncated, 'typeSampleLocation']]);
  });

  it('2A9D (BSP test_weight_measurement cases 1–3)', () => {
    expect(ok('2A9D', '00 B0 36')).toEqual({ unit: 'kg', weight: 70 });
    expect(ok('2A9D', '01 54 3D')).toEqual({ unit: 'lb', weight: 157 });
    expect(ok('2A9D', '02 B0 36 E7 07 0C 19 0E 1E 2D')).toEqual({ unit: 'kg', weight: 70, timestamp: '2023-12-25T14:30:45' });
  });

  it('2A1C (NCL TemperatureMeasurementDataCallbackTest; NTB HTSDataParserTest)', () => {
    expect(ok('2A1C', '06 B0 0E 00 FE DC 07 0C 05 0B 32 1B 04')).toEqual({ temperature: 37.6, unit: 'C', timestamp: '2012-12-05T11:50:27', temperatureType: 'finger' });
    expect(issues('2A1C', '06 B0 0E 00 FE DC 07 0C 05 0B 32 1B')).toEqual([[IssueCode.Truncated, 'temperatureType']]);
    expect(ok('2A1C', '00 C4 09 00 FE')).toEqual({ temperature: 25, unit: 'C' });
    // NTB's "all fields" vector has one byte more than its flags declare: rejected here.
    expect(issues('2A1C', '06 71 0E 00 FE E4 07 05 15 0A 1E 2D 00 FE')).toEqual([[IssueCode.TrailingBytes, '']]);
  });

  it('2A5E and 2A5F (SPZ PLXTests)', () => {
    expect(ok('2A5E', '0F AC F3 BE F5 E8 07 0B 1D 17 08 39 20 40 22 00 00 66 E3')).toEqual({
      spo2: 94,
      pulseRate: 147,
      timestamp: '2024-11-29T23:08:57',
      measurementStatus: { raw: 0x4020, flags: ['measurementOngoing', 'questionableMeasurementDetected'] },
      deviceAndSensorStatus: { raw: 0x22, flags: ['equipmentMalfunctionDetected', 'lowPerfusionDetected'] },
      pulseAmplitudeIndex: 8.7,
      deviceClockNotSet: false,
    });
    expect(ok('2A5F', '00 E8 F3 84 F3')).toEqual({ spo2: 100, pulseRate: 90 });
    expect(ok('2A5F', '00 64 00 5A 00')).toEqual({ spo2: 100, pulseRate: 90 });
    expect(ok('2A5F', '1C 5F 00 5A 00 20 00 00 00 00 57 F0')).toEqual({ spo2: 95, pulseRate: 90, measurementStatus: { raw: 0x20, flags: ['measurementOngoing'] }, deviceAndSensorStatus: { raw: 0, flags: [] }, pulseAmplitudeIndex: 8.7 });
    expect(ok('2A5F', '1F DE F3 CA F3 CA F3 5A F5 D4 F3 B2 F2 20 01 00 00 00 7A E3')).toEqual({
      spo2: 99,
      pulseRate: 97,
      spo2Fast: 97,
      pulseRateFast: 137,
      spo2Slow: 98,
      pulseRateSlow: 69,
      measurementStatus: { raw: 0x120, flags: ['measurementOngoing', 'fullyQualifiedData'] },
      deviceAndSensorStatus: { raw: 0, flags: [] },
      pulseAmplitudeIndex: 8.9,
    });
  });
});
