import { describe, expect, it } from 'vitest';
import type { ReadingRow } from '../../src/domain/index.js';
import { deviceResource, hashUuid, interpretationCode, readingObservations, type ReadingOrigin } from '../../src/outputs/fhir/index.js';
import type { DeviceProfile } from '../../src/profiles/index.js';
import { shippedProfile } from '../helpers/profiles.js';

const NHS = '9434765919';
/** 14 March 2026, 08:30 UTC: a morning home reading. */
const TAKEN = Date.UTC(2026, 2, 14, 8, 30);
const PAYLOAD_SHA = 'c0ffee'.padEnd(64, '0');
const UCUM = 'http://unitsofmeasure.org';
const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';

const bp = shippedProfile('bp-upper-arm');

const origin = (over: Partial<ReadingOrigin> = {}): ReadingOrigin => ({
  gatewayId: 'gw-ward-7',
  gatewayVersion: '0.1.0',
  deviceId: 'cuff-0042',
  serial: undefined,
  profile: bp,
  payloadSha256: PAYLOAD_SHA,
  ...over,
});

/** The rows of one reading: one per metric, same device and time, units from the profile. */
function reading(values: Record<string, number>, over: Partial<Omit<ReadingRow, 'metric' | 'value' | 'unit'>> = {}, profile: DeviceProfile = bp): ReadingRow[] {
  return Object.entries(values).map(([metric, value]) => ({
    idempotencyKey: 'cuff-0042|m-17',
    deviceId: 'cuff-0042',
    patientNhs: NHS,
    profileId: profile.id,
    metric,
    value,
    unit: profile.metrics[metric]?.unit ?? 'unknown',
    sourceUnit: undefined,
    deviceTakenAtMs: TAKEN,
    takenAtMs: TAKEN,
    receivedAtMs: TAKEN + 2_500,
    clockOffsetMs: undefined,
    messageId: 'm-17',
    ...over,
  }));
}

/** The profile without any reference ranges. */
function withoutRanges(profile: DeviceProfile): DeviceProfile {
  const metrics = Object.fromEntries(Object.entries(profile.metrics).map(([name, { normal: _n, critical: _c, ...rest }]) => [name, rest]));
  return { ...profile, metrics };
}

const codes = (concept: { coding?: { code?: string }[] } | undefined) => concept?.coding?.map((c) => c.code);
const interpretation = (o: { interpretation?: { coding?: { code?: string }[] }[] }) => o.interpretation?.[0]?.coding?.[0]?.code;

describe('readingObservations: blood pressure monitor', () => {
  const [panel, heartRate] = readingObservations(origin(), reading({ systolic: 128, diastolic: 82, pulse: 71 }));

  it('makes a BP panel and a heart rate, in the order the profile forwards them, for the reading\'s patient and device', () => {
    expect(codes(panel?.observation.code)).toEqual(['85354-9', '75367002']);
    expect(codes(heartRate?.observation.code)).toEqual(['8867-4', '364075005']);
    expect(panel?.nhs).toBe(NHS);
    expect(panel?.device).toEqual(deviceResource(origin()));
    expect(panel?.observation.subject).toBeUndefined(); // the transaction links it
  });

  it('gives the panel no value of its own, only systolic (8480-6) and diastolic (8462-4) components in UCUM mm[Hg]', () => {
    const o = panel!.observation;
    expect(o.valueQuantity).toBeUndefined();
    expect(o.component?.map((c) => codes(c.code)?.[0])).toEqual(['8480-6', '8462-4']);
    expect(o.component?.map((c) => c.valueQuantity)).toEqual([
      { value: 128, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' },
      { value: 82, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' },
    ]);
    expect(o.meta?.profile).toEqual(['http://hl7.org/fhir/StructureDefinition/bp']);
  });

  it('gives the heart rate from the pulse metric as a /min quantity', () => {
    expect(heartRate?.observation.valueQuantity).toEqual({ value: 71, unit: 'beats/minute', system: UCUM, code: '/min' });
    expect(heartRate?.observation.meta?.profile).toEqual(['http://hl7.org/fhir/StructureDefinition/heartrate']);
  });

  it('is final, vital-signs, effective at the reading time and issued when received', () => {
    expect(panel?.observation).toMatchObject({
      resourceType: 'Observation',
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
      effectiveDateTime: '2026-03-14T08:30:00.000Z',
      issued: '2026-03-14T08:30:02.500Z',
    });
  });

  it('leaves out the panel when either pressure is missing, and keeps the heart rate', () => {
    const planned = readingObservations(origin(), reading({ systolic: 128, pulse: 71 }));
    expect(planned.map((p) => codes(p.observation.code)?.[0])).toEqual(['8867-4']);
  });

  it('makes nothing for a profile that forwards nothing, or for no rows', () => {
    const wearable = shippedProfile('wrist-wearable');
    expect(readingObservations(origin({ profile: wearable }), reading({ heartRate: 64 }, {}, wearable))).toEqual([]);
    expect(readingObservations(origin(), [])).toEqual([]);
  });
});

describe('flag', () => {
  // bp-upper-arm: systolic normal 91–134, critical high 179; pulse normal 51–90, critical 41–130
  // (the NEWS2 pulse bands [NEWS2 chart 1]). The normal range is inclusive; outside it is flagged.
  it.each([
    [90, 'L'],
    [91, 'N'],
    [134, 'N'],
    [134.5, 'H'],
    [135, 'H'],
    [179, 'H'],
    [180, 'HH'],
  ] as const)('flags systolic %d as %s', (value, expected) => {
    expect(interpretationCode(value, bp.metrics['systolic'])).toBe(expected);
  });

  it.each([
    [40, 'LL'],
    [40.9, 'LL'],
    [41, 'L'],
    [50, 'L'],
    [51, 'N'],
    [90, 'N'],
    [91, 'H'],
    [130, 'H'],
    [131, 'HH'],
  ] as const)('flags pulse %d as %s', (value, expected) => {
    expect(interpretationCode(value, bp.metrics['pulse'])).toBe(expected);
  });

  it('flags against whichever edges are declared: only a critical low, only a normal high', () => {
    const limits = { min: 0, max: 100 };
    const base = { unit: '%', alternativeUnits: [], limits, required: false, decimals: 0 };
    expect(interpretationCode(9, { ...base, critical: { low: 10 } })).toBe('LL');
    expect(interpretationCode(10, { ...base, critical: { low: 10 } })).toBe('N');
    expect(interpretationCode(1_000, { ...base, critical: { low: 10 } })).toBe('N');
    expect(interpretationCode(84, { ...base, normal: { high: 84 } })).toBe('N');
    expect(interpretationCode(85, { ...base, normal: { high: 84 } })).toBe('H');
    expect(interpretationCode(-1, { ...base, normal: { high: 84 } })).toBe('N');
  });

  it('gives no flag for a metric without ranges, or an unknown metric', () => {
    expect(interpretationCode(64, shippedProfile('wrist-wearable').metrics['heartRate'])).toBeUndefined();
    expect(interpretationCode(64, undefined)).toBeUndefined();
  });
});

describe('readingObservations: interpretation', () => {
  const observe = (values: Record<string, number>, profile = bp) => readingObservations(origin({ profile }), reading(values, {}, profile));

  it('interprets each component and the heart rate with v3-ObservationInterpretation codes', () => {
    const [panel, heartRate] = observe({ systolic: 150, diastolic: 84, pulse: 40 });
    expect(panel?.observation.component?.map(interpretation)).toEqual(['H', 'N']);
    expect(heartRate?.observation.interpretation).toEqual([{ coding: [{ system: INTERPRETATION, code: 'LL', display: 'Critical low' }] }]);
  });

  it.each([
    [{ systolic: 128, diastolic: 82 }, 'N'],
    [{ systolic: 85, diastolic: 60 }, 'L'],
    [{ systolic: 140, diastolic: 82 }, 'H'],
    [{ systolic: 128, diastolic: 90 }, 'H'],
    [{ systolic: 150, diastolic: 125 }, 'HH'],
    [{ systolic: 185, diastolic: 84 }, 'HH'],
    // One low and one high of equal severity: abnormal.
    [{ systolic: 85, diastolic: 90 }, 'A'],
  ])('interprets the panel %o as its most severe component, %s', (values, expected) => {
    const [panel] = observe({ ...values, pulse: 70 });
    expect(interpretation(panel!.observation)).toBe(expected);
  });

  it('interprets nothing when the metrics declare no ranges', () => {
    const bare = withoutRanges(bp);
    const [panel, heartRate] = observe({ systolic: 200, diastolic: 130, pulse: 150 }, bare);
    expect(panel?.observation).not.toHaveProperty('interpretation');
    expect(panel?.observation.component?.map((c) => 'interpretation' in c)).toEqual([false, false]);
    expect(heartRate?.observation).not.toHaveProperty('interpretation');
  });
});

describe('readingObservations: identifier', () => {
  const idOf = (values: Record<string, number>, over: Partial<ReadingRow> = {}, o: Partial<ReadingOrigin> = {}) => readingObservations(origin(o), reading(values, over))[0]?.id;
  const id = idOf({ systolic: 128, diastolic: 82 });

  it('is a urn:uuid carried as the Observation identifier', () => {
    expect(id).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    const [panel] = readingObservations(origin(), reading({ systolic: 128, diastolic: 82 }));
    expect(panel?.observation.identifier).toEqual([{ system: 'urn:ietf:rfc:3986', value: id }]);
  });

  it('is the same for the same device, device time and value, however it arrived', () => {
    expect(idOf({ systolic: 128, diastolic: 82 }, { messageId: 'm-99', idempotencyKey: 'other', receivedAtMs: TAKEN + 86_400_000 })).toBe(id);
    expect(idOf({ systolic: 128, diastolic: 82 }, {}, { payloadSha256: 'f'.repeat(64), gatewayVersion: '0.2.0' })).toBe(id);
  });

  it('hashes the device\'s own clock, not the corrected time', () => {
    expect(idOf({ systolic: 128, diastolic: 82 }, { takenAtMs: TAKEN + 4_000, clockOffsetMs: 4_000 })).toBe(id);
    expect(idOf({ systolic: 128, diastolic: 82 }, { takenAtMs: TAKEN - 60_000, clockOffsetMs: -60_000 })).toBe(id);
  });

  it('differs when a value, the device time or the device differs', () => {
    const others = [
      idOf({ systolic: 129, diastolic: 82 }),
      idOf({ systolic: 128, diastolic: 83 }),
      idOf({ systolic: 128, diastolic: 82 }, { deviceTakenAtMs: TAKEN + 1, takenAtMs: TAKEN + 1 }),
      idOf({ systolic: 128, diastolic: 82 }, {}, { deviceId: 'cuff-0043' }),
      idOf({ systolic: 128, diastolic: 82 }, {}, { gatewayId: 'gw-ward-8' }),
    ];
    expect(new Set([id, ...others]).size).toBe(6);
  });

  it('differs between the panel and the heart rate of one reading', () => {
    const [panel, heartRate] = readingObservations(origin(), reading({ systolic: 71, diastolic: 50, pulse: 71 }));
    expect(panel?.id).not.toBe(heartRate?.id);
  });

  it('identifies a device by its serial when it has one, whichever gateway it reached', () => {
    const northwind = shippedProfile('northwind-bp3');
    const via = (gatewayId: string, deviceId: string, serial: string) => readingObservations(origin({ gatewayId, deviceId, serial, profile: northwind }), reading({ systolic: 128, diastolic: 82 }, {}, northwind))[0]?.id;
    expect(via('gw-ward-7', 'cuff-0042', 'NW-1001')).toBe(via('gw-home-3', 'nw-cuff', 'NW-1001'));
    expect(via('gw-ward-7', 'cuff-0042', 'NW-1001')).not.toBe(via('gw-ward-7', 'cuff-0042', 'NW-1002'));
  });
});

describe('readingObservations: time and provenance', () => {
  const DEVICE_TIME = 'urn:vitals-gateway:device-time';

  it('keeps the device\'s own time in an extension when a clock correction changed the time', () => {
    const [panel] = readingObservations(origin(), reading({ systolic: 128, diastolic: 82 }, { takenAtMs: TAKEN + 4_000, clockOffsetMs: 4_000 }));
    expect(panel?.observation.effectiveDateTime).toBe('2026-03-14T08:30:04.000Z');
    expect(panel?.observation.extension).toEqual([{ url: DEVICE_TIME, valueDateTime: '2026-03-14T08:30:00.000Z' }]);
  });

  it('has no device-time extension without a correction, or when the correction changed nothing', () => {
    for (const over of [{}, { clockOffsetMs: 0 }]) {
      const [panel] = readingObservations(origin(), reading({ systolic: 128, diastolic: 82 }, over));
      expect(panel?.observation).not.toHaveProperty('extension');
    }
  });

  it('tags the gateway, the profile and its version, the decoder and the payload hash', () => {
    const [panel] = readingObservations(origin(), reading({ systolic: 128, diastolic: 82 }));
    expect(panel?.observation.meta?.tag).toEqual([
      { system: 'urn:vitals-gateway:gateway', code: 'gw-ward-7@0.1.0' },
      { system: 'urn:vitals-gateway:profile', code: 'bp-upper-arm@1.0.0' },
      { system: 'urn:vitals-gateway:decoder', code: 'canonical-json' },
      { system: 'urn:vitals-gateway:payload-sha256', code: PAYLOAD_SHA },
    ]);
  });

  it('tags a vendor-shaped profile\'s readings as decoded from vendor JSON', () => {
    const northwind = shippedProfile('northwind-bp3');
    const [panel] = readingObservations(origin({ profile: northwind }), reading({ systolic: 128, diastolic: 82 }, {}, northwind));
    expect(panel?.observation.meta?.tag).toContainEqual({ system: 'urn:vitals-gateway:decoder', code: 'vendor-json' });
    expect(panel?.observation.meta?.tag).toContainEqual({ system: 'urn:vitals-gateway:profile', code: 'northwind-bp3@1.0.0' });
  });
});

describe('deviceResource', () => {
  it('describes the monitor: gateway device id, serial, manufacturer, model and name', () => {
    const northwind = shippedProfile('northwind-bp3');
    expect(deviceResource(origin({ profile: northwind, serial: 'NW-1001' }))).toEqual({
      resourceType: 'Device',
      identifier: [{ system: 'urn:vitals-gateway:device-id', value: 'gw-ward-7/cuff-0042' }],
      status: 'active',
      manufacturer: 'Northwind Medical',
      modelNumber: 'BP3',
      serialNumber: 'NW-1001',
      deviceName: [{ name: northwind.name, type: 'model-name' }],
    });
  });

  it('leaves out what the profile and the registration do not say', () => {
    const device = deviceResource(origin());
    expect(Object.keys(device).sort()).toEqual(['deviceName', 'identifier', 'resourceType', 'status']);
  });
});

describe('hashUuid', () => {
  const V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('is an RFC 9562 version 8 UUID (version nibble 8, variant 10xx) for any text', () => {
    for (let i = 0; i < 200; i++) expect(hashUuid(`reading|${i}`)).toMatch(V8);
    expect(hashUuid('')).toMatch(V8);
  });

  it('is deterministic and differs for different text', () => {
    expect(hashUuid('patient|9434765919')).toBe(hashUuid('patient|9434765919'));
    expect(hashUuid('patient|9434765919')).not.toBe(hashUuid('patient|4010232137'));
  });
});
