import { createHash } from 'node:crypto';
import type { Device, Extension, Observation, ObservationComponent, Quantity } from '@medplum/fhirtypes';
import type { ReadingRow } from '../../domain/index.js';
import type { DeviceProfile, ForwardSpec, MetricSpec } from '../../profiles/index.js';
import { BP_COMPONENTS, categoryConcept, CODES, INTERPRETATION, UCUM } from './codes.js';

/** Systems of the gateway's own identifiers and provenance tags (documented in the README). */
export const VG = {
  observationId: 'urn:ietf:rfc:3986',
  deviceId: 'urn:vitals-gateway:device-id',
  gateway: 'urn:vitals-gateway:gateway',
  profile: 'urn:vitals-gateway:profile',
  decoder: 'urn:vitals-gateway:decoder',
  payloadSha256: 'urn:vitals-gateway:payload-sha256',
  deviceTime: 'urn:vitals-gateway:device-time',
  alertRule: 'urn:vitals-gateway:alert-rule',
} as const;

/** The device and message a reading came from. */
export interface ReadingOrigin {
  readonly gatewayId: string;
  readonly gatewayVersion: string;
  readonly deviceId: string;
  readonly serial: string | undefined;
  readonly profile: DeviceProfile;
  /** SHA-256 (hex) of the raw message payload that carried the reading, when known. */
  readonly payloadSha256: string | undefined;
}

/** One Observation for the record, with what the bundle needs to link it. */
export interface PlannedObservation {
  /** Identifier value (system {@link VG.observationId}). */
  readonly id: string;
  readonly nhs: string;
  /** The monitor that measured it; absent for a value derived across devices (a home BP average). */
  readonly device?: Device;
  /** Without `subject` and `device`: the transaction links them. */
  readonly observation: Observation;
  /** A correction: replaces the Observation with this identifier (conditional update) rather than creating it. */
  readonly replace?: boolean;
}

/**
 * The Observations one reading (its rows: one per metric, sharing device and time) becomes, as the
 * profile's `fhir.forward` declares. Pure: the same reading always yields the same resources, so a
 * retry, a replay or an export rebuilds them identically.
 */
export function readingObservations(origin: ReadingOrigin, rows: readonly ReadingRow[]): PlannedObservation[] {
  const first = rows[0];
  const forward = origin.profile.fhir?.forward;
  if (first === undefined || forward === undefined) return [];
  const byMetric = new Map(rows.map((r) => [r.metric, r]));
  const device = deviceResource(origin);
  const planned: PlannedObservation[] = [];
  for (const spec of forward) {
    if (spec.summary !== undefined) continue; // summarised over windows (derived.ts), not per reading
    const built = observation(origin, spec, byMetric, first, device);
    if (built !== undefined) planned.push(built);
  }
  return planned;
}

/**
 * The Observations of a corrected reading, replacing those first sent [FHIR R4 observation-status]:
 * each keeps its identity (computed from the reading as first stored) and takes the corrected
 * content and status. An amendment replaces only the Observations whose values changed.
 */
export function correctedObservations(origin: ReadingOrigin, rows: readonly ReadingRow[], original: readonly ReadingRow[], status: 'amended' | 'entered-in-error'): PlannedObservation[] {
  const planned = readingObservations(origin, rows);
  const originals = readingObservations(origin, original);
  const values = (p: PlannedObservation | undefined) => JSON.stringify([p?.observation.valueQuantity, p?.observation.component]);
  return planned.flatMap((p, i) => {
    if (status === 'amended' && values(p) === values(originals[i])) return [];
    const id = originals[i]?.id ?? p.id;
    return [{ ...p, id, observation: { ...p.observation, identifier: [{ system: VG.observationId, value: id }], status }, replace: true }];
  });
}

/** The identifier of the Observation carrying `metric` of this reading, if its profile forwards one. */
export function observationOfMetric(origin: Omit<ReadingOrigin, 'gatewayVersion' | 'payloadSha256'>, rows: readonly ReadingRow[], metric: string): string | undefined {
  const first = rows[0];
  const spec = origin.profile.fhir?.forward.find((f) => f.summary === undefined && (f.metric === metric || f.systolic === metric || f.diastolic === metric));
  if (first === undefined || spec === undefined) return undefined;
  const full = { ...origin, gatewayVersion: '', payloadSha256: undefined };
  return observation(full, spec, new Map(rows.map((r) => [r.metric, r])), first, deviceResource(full))?.id;
}

function observation(origin: ReadingOrigin, spec: ForwardSpec, rows: ReadonlyMap<string, ReadingRow>, first: ReadingRow, device: Device): PlannedObservation | undefined {
  const coding = CODES[spec.observation];
  const metrics = origin.profile.metrics;
  let values: Pick<Observation, 'valueQuantity' | 'component' | 'interpretation'>;
  let hashed: string;
  if (spec.observation === 'blood-pressure') {
    // [FHIR R4 bp profile] the panel has no value of its own: systolic and diastolic components.
    const sys = rows.get(spec.systolic as string);
    const dia = rows.get(spec.diastolic as string);
    if (sys === undefined || dia === undefined) return undefined;
    const component: ObservationComponent[] = [
      { code: BP_COMPONENTS.systolic, valueQuantity: quantity(sys.value, 'mmHg', sys.unit), ...interpretationOf(sys.value, metrics[sys.metric]) },
      { code: BP_COMPONENTS.diastolic, valueQuantity: quantity(dia.value, 'mmHg', dia.unit), ...interpretationOf(dia.value, metrics[dia.metric]) },
    ];
    const worst = mostSevere([interpretationCode(sys.value, metrics[sys.metric]), interpretationCode(dia.value, metrics[dia.metric])]);
    values = { component, ...(worst !== undefined ? { interpretation: [interpretationConcept(worst)] } : {}) };
    hashed = `${sys.value}/${dia.value}`;
  } else {
    const row = rows.get(spec.metric as string);
    if (row === undefined) return undefined;
    values = { valueQuantity: quantity(row.value, coding.unitDisplay, row.unit), ...interpretationOf(row.value, metrics[row.metric]) };
    hashed = String(row.value);
  }
  const loinc = coding.code.coding?.[0]?.code as string;
  // [HL7 PHD IG, Observation identifier] a hash of device identity, code, time and value: the same
  // measurement uploaded again, by any path, has the same identifier. The device's own clock is
  // hashed (not the corrected time), so a changed clock correction cannot make a second identity.
  const id = `urn:uuid:${hashUuid(`${deviceIdentity(origin)}|${loinc}|${first.deviceTakenAtMs}|${hashed}`)}`;
  const extension: Extension[] =
    first.clockOffsetMs !== undefined && first.deviceTakenAtMs !== first.takenAtMs
      ? // [HL7 PHD IG, time] effective[x] carries the corrected time; the device's own stays on record.
        [{ url: VG.deviceTime, valueDateTime: new Date(first.deviceTakenAtMs).toISOString() }]
      : [];
  const observation: Observation = {
    resourceType: 'Observation',
    meta: {
      ...(coding.profile !== undefined ? { profile: [coding.profile] } : {}),
      tag: provenanceTags(origin, origin.profile, origin.profile.payload.format === 'vendor' ? 'vendor-json' : 'canonical-json', origin.payloadSha256),
    },
    ...(extension.length > 0 ? { extension } : {}),
    identifier: [{ system: VG.observationId, value: id }],
    status: 'final',
    category: [categoryConcept(coding.category)],
    code: coding.code,
    effectiveDateTime: new Date(first.takenAtMs).toISOString(),
    issued: new Date(first.receivedAtMs).toISOString(),
    ...values,
  };
  return { id, nhs: first.patientNhs, device, observation };
}

/** The monitor as a FHIR Device, identified by the gateway's device id. */
export function deviceResource(origin: Omit<ReadingOrigin, 'payloadSha256' | 'gatewayVersion'>): Device {
  const { profile } = origin;
  return {
    resourceType: 'Device',
    identifier: [{ system: VG.deviceId, value: `${origin.gatewayId}/${origin.deviceId}` }],
    status: 'active',
    ...(profile.manufacturer !== undefined ? { manufacturer: profile.manufacturer } : {}),
    ...(profile.model !== undefined ? { modelNumber: profile.model } : {}),
    ...(origin.serial !== undefined ? { serialNumber: origin.serial } : {}),
    deviceName: [{ name: profile.name, type: 'model-name' }],
  };
}

/** The provenance tags of an Observation [README "FHIR provenance"]. */
export function provenanceTags(gateway: { gatewayId: string; gatewayVersion: string }, profile: DeviceProfile, decoder: string, payloadSha256?: string): { system: string; code: string }[] {
  return [
    { system: VG.gateway, code: `${gateway.gatewayId}@${gateway.gatewayVersion}` },
    { system: VG.profile, code: `${profile.id}@${profile.version}` },
    { system: VG.decoder, code: decoder },
    ...(payloadSha256 !== undefined ? [{ system: VG.payloadSha256, code: payloadSha256 }] : []),
  ];
}

export const deviceIdentity = (o: Pick<ReadingOrigin, 'serial' | 'profile' | 'gatewayId' | 'deviceId'>): string =>
  o.serial !== undefined ? `serial|${o.profile.manufacturer ?? ''}|${o.profile.model ?? ''}|${o.serial}` : `device|${o.gatewayId}/${o.deviceId}`;

/** A name-based UUID from SHA-256 (RFC 9562 version 8 layout). */
export function hashUuid(text: string): string {
  const h = createHash('sha256').update(text).digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x80;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export const quantity = (value: number, unit: string, code: string): Quantity => ({ value, unit, system: UCUM, code });

type Interpretation = 'N' | 'L' | 'H' | 'LL' | 'HH' | 'A' | 'AA';

/** [v3-ObservationInterpretation] LL/HH outside the critical range, L/H outside the normal range, else N; nothing without a declared range. */
export function interpretationCode(value: number, spec: MetricSpec | undefined): Interpretation | undefined {
  if (spec?.normal === undefined && spec?.critical === undefined) return undefined;
  const { critical, normal } = spec;
  if (critical?.low !== undefined && value < critical.low) return 'LL';
  if (critical?.high !== undefined && value > critical.high) return 'HH';
  if (normal?.low !== undefined && value < normal.low) return 'L';
  if (normal?.high !== undefined && value > normal.high) return 'H';
  return 'N';
}

const SEVERITY: Readonly<Record<Interpretation, number>> = { N: 0, L: 1, H: 1, A: 1, LL: 2, HH: 2, AA: 2 };
const DISPLAY: Readonly<Record<Interpretation, string>> = { N: 'Normal', L: 'Low', H: 'High', A: 'Abnormal', LL: 'Critical low', HH: 'Critical high', AA: 'Critical abnormal' };

/** The most severe flag; one low and one high of equal severity make A (or AA) [v3-ObservationInterpretation]. */
function mostSevere(flags: readonly (Interpretation | undefined)[]): Interpretation | undefined {
  let worst: Interpretation | undefined;
  for (const f of flags) {
    if (f === undefined) continue;
    if (worst === undefined || SEVERITY[f] > SEVERITY[worst]) worst = f;
    else if (SEVERITY[f] === SEVERITY[worst] && f !== worst && SEVERITY[f] > 0) worst = SEVERITY[f] === 2 ? 'AA' : 'A';
  }
  return worst;
}

export const interpretationConcept = (f: Interpretation) => ({ coding: [{ system: INTERPRETATION, code: f, display: DISPLAY[f] }] });

function interpretationOf(value: number, spec: MetricSpec | undefined): Pick<Observation, 'interpretation'> {
  const f = interpretationCode(value, spec);
  return f === undefined ? {} : { interpretation: [interpretationConcept(f)] };
}
