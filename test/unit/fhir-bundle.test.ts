import type { Bundle, BundleEntry, Device, Observation } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import type { ReadingRow } from '../../src/domain/index.js';
import { entriesNeeded } from '../../src/outputs/fhir/bundle.js';
import { learnIds, readingObservations, transaction, type KnownIds, type PlannedObservation, type ReadingOrigin } from '../../src/outputs/fhir/index.js';
import { shippedProfile } from '../helpers/profiles.js';

const NHS = '9434765919';
const OTHER_NHS = '4010232137';
const TAKEN = Date.UTC(2026, 2, 14, 8, 30);
const DEVICE_URL = 'Device?identifier=urn%3Avitals-gateway%3Adevice-id%7Cgw-ward-7%2Fcuff-0042';

const origin = (over: Partial<ReadingOrigin> = {}): ReadingOrigin => ({
  gatewayId: 'gw-ward-7',
  gatewayVersion: '0.1.0',
  deviceId: 'cuff-0042',
  serial: undefined,
  profile: shippedProfile('bp-upper-arm'),
  payloadSha256: '0'.repeat(64),
  ...over,
});

const UNITS: Record<string, string> = { systolic: 'mm[Hg]', diastolic: 'mm[Hg]', pulse: '/min' };

/** The Observations of one bp-upper-arm reading. */
function planned(values: Record<string, number>, nhs = NHS, o: Partial<ReadingOrigin> = {}, takenAtMs = TAKEN): PlannedObservation[] {
  const rows: ReadingRow[] = Object.entries(values).map(([metric, value]) => ({
    idempotencyKey: `k|${takenAtMs}`,
    deviceId: o.deviceId ?? 'cuff-0042',
    patientNhs: nhs,
    profileId: 'bp-upper-arm',
    metric,
    value,
    unit: UNITS[metric] ?? '',
    sourceUnit: undefined,
    deviceTakenAtMs: takenAtMs,
    takenAtMs,
    receivedAtMs: takenAtMs + 1_000,
    clockOffsetMs: undefined,
    messageId: undefined,
  }));
  return readingObservations(origin(o), rows);
}

const empty = (): KnownIds => ({ patients: new Map(), devices: new Map() });
const entries = (b: Bundle): BundleEntry[] => b.entry ?? [];
const resourceTypes = (b: Bundle) => entries(b).map((e) => `${e.request?.method} ${e.resource?.resourceType}`);
const observations = (b: Bundle) => entries(b).filter((e) => e.resource?.resourceType === 'Observation').map((e) => e.resource as Observation);

/** A transaction-response as a server writes it: one entry per request entry, in order. */
function answer(b: Bundle, ids: Record<string, string>): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'transaction-response',
    entry: entries(b).map((e, i) => {
      const type = e.resource?.resourceType as string;
      return { response: { status: '201 Created', location: `${type}/${ids[type] ?? `o${i}`}/_history/1` } };
    }),
  };
}

describe('transaction', () => {
  it('is a FHIR transaction: the Patient and the Device first, then the Observations', () => {
    const { bundle } = transaction(planned({ systolic: 128, diastolic: 82, pulse: 71 }), empty());
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'transaction' });
    expect(resourceTypes(bundle)).toEqual(['POST Patient', 'PUT Device', 'POST Observation', 'POST Observation']);
  });

  it('creates the Patient conditionally on the NHS number', () => {
    const [patient] = entries(transaction(planned({ systolic: 128, diastolic: 82 }), empty()).bundle);
    expect(patient?.resource).toEqual({ resourceType: 'Patient', identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: NHS }] });
    expect(patient?.request).toEqual({ method: 'POST', url: 'Patient', ifNoneExist: `identifier=https://fhir.nhs.uk/Id/nhs-number|${NHS}` });
    expect(patient?.fullUrl).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
  });

  it('updates the Device conditionally on its gateway identifier, percent-encoded in the URL', () => {
    const items = planned({ systolic: 128, diastolic: 82 });
    const device = entries(transaction(items, empty()).bundle)[1];
    expect(device?.request).toEqual({ method: 'PUT', url: DEVICE_URL });
    expect(device?.resource).toEqual(items[0]?.device);
    expect(device?.fullUrl).toMatch(/^urn:uuid:/);
  });

  it('creates each Observation conditionally on its identifier and links it to the Patient and Device by full URL', () => {
    const items = planned({ systolic: 128, diastolic: 82, pulse: 71 });
    const [patient, device, ...rest] = entries(transaction(items, empty()).bundle);
    expect(rest.map((e) => e.request)).toEqual(items.map((p) => ({ method: 'POST', url: 'Observation', ifNoneExist: `identifier=urn:ietf:rfc:3986|${p.id}` })));
    for (const e of rest) {
      expect((e.resource as Observation).subject).toEqual({ reference: patient?.fullUrl });
      expect((e.resource as Observation).device).toEqual({ reference: device?.fullUrl });
    }
  });

  it('gives an Observation a full URL other than its identifier (servers rewrite every occurrence of a full URL)', () => {
    const items = planned({ systolic: 128, diastolic: 82, pulse: 71 });
    const obs = entries(transaction(items, empty()).bundle).slice(2);
    for (const [i, e] of obs.entries()) {
      expect(e.fullUrl).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
      expect(e.fullUrl).not.toBe(items[i]?.id);
      expect((e.resource as Observation).identifier?.[0]?.value).toBe(items[i]?.id);
    }
    expect(new Set(entries(transaction(items, empty()).bundle).map((e) => e.fullUrl)).size).toBe(4);
  });

  it('does not change the planned Observation it links', () => {
    const items = planned({ systolic: 128, diastolic: 82 });
    transaction(items, empty());
    expect(items[0]?.observation.subject).toBeUndefined();
  });

  it('sends one Patient for the Observations of one patient, and one per patient', () => {
    const two = [...planned({ systolic: 128, diastolic: 82, pulse: 71 }), ...planned({ systolic: 131, diastolic: 84 }, NHS, {}, TAKEN + 3_600_000)];
    expect(resourceTypes(transaction(two, empty()).bundle).filter((t) => t === 'POST Patient')).toHaveLength(1);
    expect(entriesNeeded(two, empty())).toBe(5);
    const other = [...planned({ systolic: 128, diastolic: 82 }), ...planned({ systolic: 140, diastolic: 90 }, OTHER_NHS, { deviceId: 'cuff-0043' })];
    const { bundle } = transaction(other, empty());
    expect(resourceTypes(bundle)).toEqual(['POST Patient', 'PUT Device', 'POST Observation', 'POST Patient', 'PUT Device', 'POST Observation']);
    const [first, second] = observations(bundle);
    expect(first?.subject).not.toEqual(second?.subject);
  });
});

describe('learnIds', () => {
  it('references a Patient and a Device by their server ids in later transactions', () => {
    const known = empty();
    const tx = transaction(planned({ systolic: 128, diastolic: 82, pulse: 71 }), known);
    learnIds(tx, answer(tx.bundle, { Patient: 'pat-abc', Device: 'dev-1' }), known);
    expect(known.patients.get(NHS)).toBe('pat-abc');
    expect(known.devices.get('gw-ward-7/cuff-0042')?.id).toBe('dev-1');

    const later = transaction(planned({ systolic: 131, diastolic: 84, pulse: 68 }, NHS, {}, TAKEN + 60_000), known).bundle;
    expect(resourceTypes(later)).toEqual(['POST Observation', 'POST Observation']);
    for (const o of observations(later)) {
      expect(o.subject).toEqual({ reference: 'Patient/pat-abc' });
      expect(o.device).toEqual({ reference: 'Device/dev-1' });
    }
  });

  it('reads absolute locations, and the resource id when there is no location', () => {
    const known = empty();
    const tx = transaction(planned({ systolic: 128, diastolic: 82 }), known);
    const response: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction-response',
      entry: [
        { response: { status: '200 OK', location: 'https://fhir.example.nhs.uk/R4/Patient/pat-9/_history/4' } },
        { response: { status: '200 OK' }, resource: { resourceType: 'Device', id: 'dev-9' } },
        { response: { status: '201 Created', location: 'Observation/o1/_history/1' } },
      ],
    };
    learnIds(tx, response, known);
    expect(known.patients.get(NHS)).toBe('pat-9');
    expect(known.devices.get('gw-ward-7/cuff-0042')?.id).toBe('dev-9');
  });

  it('learns nothing from an answer without ids, so the next transaction carries them again', () => {
    const known = empty();
    const tx = transaction(planned({ systolic: 128, diastolic: 82 }), known);
    learnIds(tx, { resourceType: 'Bundle', type: 'transaction-response', entry: [] }, known);
    expect(known.patients.size + known.devices.size).toBe(0);
    expect(resourceTypes(transaction(planned({ systolic: 128, diastolic: 82 }), known).bundle)).toEqual(['POST Patient', 'PUT Device', 'POST Observation']);
  });

  it('sends a Device again when its content changed, and not once it is known as it is', () => {
    const known = empty();
    const northwind = { profile: shippedProfile('northwind-bp3') };
    const tx = transaction(planned({ systolic: 128, diastolic: 82 }, NHS, northwind), known);
    learnIds(tx, answer(tx.bundle, { Patient: 'pat-abc', Device: 'dev-1' }), known);

    // The same monitor, now registered with its serial number.
    const changed = planned({ systolic: 130, diastolic: 80 }, NHS, { ...northwind, serial: 'NW-1001' });
    const again = transaction(changed, known);
    expect(resourceTypes(again.bundle)).toEqual(['PUT Device', 'POST Observation']);
    const [deviceEntry, obs] = entries(again.bundle);
    expect(deviceEntry?.request?.url).toBe(DEVICE_URL);
    expect((deviceEntry?.resource as Device).serialNumber).toBe('NW-1001');
    expect((obs?.resource as Observation).device).toEqual({ reference: deviceEntry?.fullUrl });
    expect((obs?.resource as Observation).subject).toEqual({ reference: 'Patient/pat-abc' });

    learnIds(again, answer(again.bundle, { Device: 'dev-1' }), known);
    expect(resourceTypes(transaction(changed, known).bundle)).toEqual(['POST Observation']);
  });
});

describe('transaction: search escaping', () => {
  // [FHIR R4 search.html#escaping] `\`, `|`, `,` and `$` in a token value are escaped with a backslash.
  const odd = 'a|b,c$d\\e';
  const item = (over: Partial<PlannedObservation>): PlannedObservation => ({
    id: 'urn:uuid:00000000-0000-8000-8000-000000000000',
    nhs: NHS,
    device: { resourceType: 'Device', identifier: [{ system: 'urn:vitals-gateway:device-id', value: 'gw-ward-7/cuff-0042' }] },
    observation: { resourceType: 'Observation', status: 'final', code: { text: 'Heart rate' } },
    ...over,
  });

  it('escapes the token of an Observation identifier and of an NHS number in ifNoneExist', () => {
    const [patient, , obs] = entries(transaction([item({ id: odd, nhs: odd })], empty()).bundle);
    expect(obs?.request?.ifNoneExist).toBe('identifier=urn:ietf:rfc:3986|a\\|b\\,c\\$d\\\\e');
    expect(patient?.request?.ifNoneExist).toBe('identifier=https://fhir.nhs.uk/Id/nhs-number|a\\|b\\,c\\$d\\\\e');
  });

  it('escapes a Device identifier, then percent-encodes it in the conditional URL', () => {
    const device: Device = { resourceType: 'Device', identifier: [{ system: 'urn:vitals-gateway:device-id', value: odd }] };
    const [, entry] = entries(transaction([item({ device })], empty()).bundle);
    expect(entry?.request?.url).toBe('Device?identifier=urn%3Avitals-gateway%3Adevice-id%7Ca%5C%7Cb%5C%2Cc%5C%24d%5C%5Ce');
    expect(decodeURIComponent((entry?.request?.url as string).split('=')[1] as string)).toBe('urn:vitals-gateway:device-id|a\\|b\\,c\\$d\\\\e');
  });
});
