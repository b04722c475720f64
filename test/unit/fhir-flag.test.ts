import type { Flag, Resource } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReadingRow } from '../../src/domain/index.js';
import { alertFlag, alertsInCareRecord, FhirValidator, readingObservations, transaction, type PlannedFlag } from '../../src/outputs/fhir/index.js';
import type { AlertChange, AlertRecord } from '../../src/store/reading-store.js';
import { shippedProfile } from '../helpers/profiles.js';

const T = Date.UTC(2026, 10, 20, 8, 30);
const NHS = '9434765919';
const open: AlertRecord = {
  id: '0f8c2a7e-1d3b-4c55-9a6e-2b7d4e8f9a10',
  key: `${NHS}|cuff-1|severe-hypertension`,
  patientNhs: NHS,
  deviceId: 'cuff-1',
  ruleId: 'severe-hypertension',
  severity: 'critical',
  state: 'open',
  message: 'Severe hypertension: systolic ≥180 mmHg (NICE NG136)',
  value: 186,
  openedAtMs: T,
  updatedAtMs: T,
  observationId: 'urn:uuid:11111111-2222-8333-9444-555555555555',
};
const change = (alert: Partial<AlertRecord>, by = 'rules'): AlertChange => ({ alert: { ...open, ...alert }, by, note: undefined });
const flagOf = (c: AlertChange): Omit<Flag, 'subject'> | undefined => alertFlag('gw', c)?.flag;

describe('alerts as FHIR Flags', () => {
  let validator: FhirValidator;
  beforeAll(() => {
    validator = new FhirValidator();
    validator.warm();
  });

  it('an opened alert is an active Flag: the alert id as identifier, priority from severity [flag-priority], the Observation that raised it [flag-detail]', () => {
    const planned = alertFlag('gw', change({})) as PlannedFlag;
    expect(planned).toMatchObject({ kind: 'flag', id: `urn:uuid:${open.id}`, nhs: NHS, deviceKey: 'gw/cuff-1' });
    expect(planned.flag).toEqual({
      resourceType: 'Flag',
      meta: { tag: [{ system: 'urn:vitals-gateway:alert-rule', code: 'severe-hypertension' }] },
      extension: [
        { url: 'http://hl7.org/fhir/StructureDefinition/flag-priority', valueCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/flag-priority-code', code: 'PH', display: 'High priority' }] } },
        { url: 'http://hl7.org/fhir/StructureDefinition/flag-detail', valueReference: { type: 'Observation', identifier: { system: 'urn:ietf:rfc:3986', value: open.observationId } } },
      ],
      identifier: [{ system: 'urn:ietf:rfc:3986', value: `urn:uuid:${open.id}` }],
      status: 'active',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/flag-category', code: 'clinical', display: 'Clinical' }] }],
      code: { coding: [{ system: 'urn:vitals-gateway:alert-rule', code: 'severe-hypertension' }], text: open.message },
      period: { start: '2026-11-20T08:30:00.000Z' },
    });
  });

  it('maps warning to PM and info to PL; an alert of the patient as a whole (NEWS2) has no author and no detail', () => {
    const priority = (f: Omit<Flag, 'subject'> | undefined) => f?.extension?.[0]?.valueCodeableConcept?.coding?.[0]?.code;
    expect(priority(flagOf(change({ severity: 'warning' })))).toBe('PM');
    expect(priority(flagOf(change({ severity: 'info' })))).toBe('PL');
    const news2 = alertFlag('gw', change({ deviceId: undefined, ruleId: 'news2', observationId: undefined })) as PlannedFlag;
    expect(news2.deviceKey).toBeUndefined();
    expect(news2.flag.extension).toHaveLength(1);
    const entry = transaction([news2], { patients: new Map(), devices: new Map() }).bundle.entry?.[1];
    expect(entry?.resource).not.toHaveProperty('author');
  });

  it('a resolved alert is the same Flag made inactive, its period ended; acknowledgement, snooze and escalation send nothing', () => {
    const resolvedAt = T + 3_600_000;
    expect(flagOf(change({ state: 'resolved', updatedAtMs: resolvedAt }))).toMatchObject({ status: 'inactive', period: { start: '2026-11-20T08:30:00.000Z', end: '2026-11-20T09:30:00.000Z' } });
    expect(alertFlag('gw', change({ state: 'acknowledged', updatedAtMs: T + 60_000 }, 'dr-a'))).toBeUndefined();
    expect(alertFlag('gw', change({ escalationLevel: 1, updatedAtMs: T + 900_000 }, 'escalation'))).toBeUndefined();
    expect(alertFlag('gw', change({ snoozedUntilMs: T + 1_800_000, updatedAtMs: T + 60_000 }, 'dr-a'))).toBeUndefined();
  });

  it('a worsened alert sends its Flag again, same identifier, with the higher priority and the new text', () => {
    const worse = alertFlag('gw', change({ deviceId: undefined, ruleId: 'news2', severity: 'critical', message: 'NEWS2 7 (partial)', updatedAtMs: T + 300_000 })) as PlannedFlag;
    expect(worse.id).toBe(`urn:uuid:${open.id}`);
    expect(worse.flag.status).toBe('active');
    expect(worse.flag.code?.text).toBe('NEWS2 7 (partial)');
    expect(worse.flag.extension?.[0]?.valueCodeableConcept?.coding?.[0]?.code).toBe('PH');
    expect(worse.flag.period).toEqual({ start: new Date(T).toISOString() });
  });

  it('goes in a transaction as a conditional update on its identifier, with subject and author linked, and is valid FHIR R4', () => {
    const planned = alertFlag('gw', change({})) as PlannedFlag;
    const unknown = transaction([planned], { patients: new Map(), devices: new Map() });
    const [patientEntry, flagEntry] = unknown.bundle.entry ?? [];
    expect(flagEntry?.request).toEqual({ method: 'PUT', url: `Flag?identifier=${encodeURIComponent(`urn:ietf:rfc:3986|urn:uuid:${open.id}`)}` });
    expect(flagEntry?.resource).toMatchObject({ subject: { reference: patientEntry?.fullUrl }, author: { type: 'Device', identifier: { system: 'urn:vitals-gateway:device-id', value: 'gw/cuff-1' } } });
    expect((flagEntry?.resource as Flag).author).not.toHaveProperty('reference');
    for (const e of unknown.bundle.entry ?? []) expect(validator.validate(e.resource as Resource)).toEqual([]);
    const known = transaction([planned], { patients: new Map([[NHS, 'p1']]), devices: new Map([['gw/cuff-1', { id: 'd1', content: '' }]]) });
    expect(known.bundle.entry).toHaveLength(1);
    expect(known.bundle.entry?.[0]?.resource).toMatchObject({ subject: { reference: 'Patient/p1' }, author: { reference: 'Device/d1' } });
  });

  it('names the Observation that carries the breaching metric: the BP panel for systolic, the heart-rate Observation for pulse', () => {
    const profile = shippedProfile('bp-upper-arm');
    const rows: ReadingRow[] = (
      [
        ['systolic', 186, 'mm[Hg]'],
        ['diastolic', 96, 'mm[Hg]'],
        ['pulse', 140, '/min'],
      ] as const
    ).map(([metric, value, unit]) => ({ idempotencyKey: 'k', deviceId: 'cuff-1', patientNhs: NHS, profileId: profile.id, metric, value, unit, sourceUnit: unit, deviceTakenAtMs: T, takenAtMs: T, receivedAtMs: T, clockOffsetMs: undefined, messageId: undefined }));
    const device = { deviceId: 'cuff-1', patientNhs: NHS, profile };
    const sent = readingObservations({ gatewayId: 'gw', gatewayVersion: '1', deviceId: 'cuff-1', serial: undefined, profile, payloadSha256: undefined }, rows).map((p) => p.id);
    const { observationOf } = alertsInCareRecord('gw');
    expect(observationOf(device, rows, 'systolic')).toBe(sent[0]);
    expect(observationOf(device, rows, 'diastolic')).toBe(sent[0]);
    expect(observationOf(device, rows, 'pulse')).toBe(sent[1]);
    expect(observationOf(device, rows, 'steps')).toBeUndefined();
    expect(observationOf({ ...device, profile: { ...profile, fhir: undefined } }, rows, 'systolic')).toBeUndefined();
  });
});
