import type { Device, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReadingRow } from '../../src/domain/index.js';
import { FhirValidator, readingObservations, transaction, type ReadingOrigin } from '../../src/outputs/fhir/index.js';
import { shippedProfile } from '../helpers/profiles.js';

const TAKEN = Date.UTC(2026, 2, 14, 8, 30);

const origin: ReadingOrigin = {
  gatewayId: 'gw-ward-7',
  gatewayVersion: '0.1.0',
  deviceId: 'nw-cuff',
  serial: 'NW-1001',
  profile: shippedProfile('northwind-bp3'),
  payloadSha256: 'ab'.repeat(32),
};

const rows: ReadingRow[] = (
  [
    ['systolic', 152, 'mm[Hg]'],
    ['diastolic', 96, 'mm[Hg]'],
    ['pulse', 88, '/min'],
  ] as const
).map(([metric, value, unit]) => ({
  idempotencyKey: 'nw-cuff|seq-7',
  deviceId: 'nw-cuff',
  patientNhs: '9434765919',
  profileId: 'northwind-bp3',
  metric,
  value,
  unit,
  sourceUnit: 'kPa',
  deviceTakenAtMs: TAKEN,
  takenAtMs: TAKEN + 4_000,
  receivedAtMs: TAKEN + 5_000,
  clockOffsetMs: 4_000,
  messageId: 'seq-7',
}));

/** The resources of a real transaction: Patient, Device, BP panel, heart rate (linked by urn:uuid). */
const entries = (transaction(readingObservations(origin, rows), { patients: new Map(), devices: new Map() }).bundle.entry ?? []).map((e) => e.resource as Resource);
const patient = entries[0] as Patient;
const device = entries[1] as Device;
const panel = entries[2] as Observation;
const heartRate = entries[3] as Observation;

/** A copy of the panel with `change` applied. */
const edited = (change: (o: Record<string, unknown>) => void, from: Observation = panel): Observation => {
  const copy = structuredClone(from) as unknown as Record<string, unknown>;
  change(copy);
  return copy as unknown as Observation;
};

describe('FhirValidator', () => {
  let validator: FhirValidator;
  beforeAll(() => {
    validator = new FhirValidator();
    validator.warm(); // compiles the schemas once (about 1.5 s)
  });
  const paths = (r: Resource) => validator.validate(r).map((p) => p.path);

  it('accepts what the gateway builds: BP panel and heart rate with subject and device, Patient, Device', () => {
    expect(panel.subject?.reference).toMatch(/^urn:uuid:/);
    expect(panel.device?.reference).toMatch(/^urn:uuid:/);
    expect(panel.extension).toHaveLength(1); // the device-time extension is valid too
    for (const resource of [panel, heartRate, patient, device]) expect(validator.validate(resource)).toEqual([]);
  });

  it('reports a status outside the code set', () => {
    expect(paths(edited((o) => void (o['status'] = 'done')))).toEqual(['/status']);
  });

  it('reports a property FHIR does not define, naming it', () => {
    const problems = validator.validate(edited((o) => void (o['valueText'] = 'high')));
    expect(problems).toEqual([{ path: '/', message: expect.stringContaining('(valueText)') }]);
  });

  it.each(['2026-13-14T08:30:00Z', '14/03/2026', '2026-03-14T08:30:00'])('reports the dateTime %s (bad, or a time without a zone)', (value) => {
    expect(paths(edited((o) => void (o['effectiveDateTime'] = value)))).toEqual(['/effectiveDateTime']);
  });

  it('reports a missing subject, status or effective time', () => {
    expect(paths(edited((o) => delete o['subject']))).toEqual(['/subject']);
    expect(paths(edited((o) => delete o['status']))).toEqual(['/status']);
    expect(paths(edited((o) => delete o['effectiveDateTime']))).toEqual(['/effective']);
  });

  it('accepts a subject identified by NHS number, and reports any other identifier system', () => {
    const bySystem = (system: string) => edited((o) => void (o['subject'] = { identifier: { system, value: '9434765919' } }));
    expect(paths(bySystem('https://fhir.nhs.uk/Id/nhs-number'))).toEqual([]);
    expect(paths(bySystem('https://example.org/mrn'))).toEqual(['/subject/identifier/system']);
  });

  it('reports a vital-signs profile without the vital-signs category', () => {
    expect(paths(edited((o) => delete o['category']))).toEqual(['/category']);
    const laboratory = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }];
    expect(paths(edited((o) => void (o['category'] = laboratory), heartRate))).toEqual(['/category']);
  });

  it('reports a BP panel without its diastolic component', () => {
    const problems = validator.validate(edited((o) => void (o['component'] = panel.component?.slice(0, 1))));
    expect(problems.map((p) => p.path)).toEqual(['/component', '/component/diastolic']);
    expect(problems[0]?.message).toContain('8462-4');
  });

  it('reports a vital sign without a value', () => {
    expect(paths(edited((o) => delete o['valueQuantity'], heartRate))).toEqual(['/value']);
  });

  it('reports quantities that are not UCUM coded', () => {
    const notUcum = edited((o) => void (o['valueQuantity'] = { value: 88, unit: 'bpm', system: 'http://example.org/units', code: 'bpm' }), heartRate);
    expect(paths(notUcum)).toEqual(['/valueQuantity']);
    const noCode = edited((o) => void (o['valueQuantity'] = { value: 88, unit: 'beats/minute' }), heartRate);
    expect(paths(noCode)).toEqual(['/valueQuantity']);
    const mmHg = edited((o) => {
      const component = o['component'] as { valueQuantity: { code: string } }[];
      component[0]!.valueQuantity.code = 'mmHg';
    });
    expect(paths(mmHg)).toEqual(['/component/systolic']);
  });

  it('reports an unknown resource type rather than throwing', () => {
    expect(paths({ resourceType: 'Nonsense' } as unknown as Resource)).toEqual(['resourceType']);
  });
});
