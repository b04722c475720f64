import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { ProfileCatalog } from '../../profiles/index.js';
import type { DerivedRecord, StoredReading } from '../../store/reading-store.js';
import { transaction } from './bundle.js';
import { NHS_NUMBER } from './codes.js';
import { correctedObservations, readingObservations, VG, type PlannedObservation } from './observation.js';

export interface ExportSource {
  readonly gatewayId: string;
  readonly gatewayVersion: string;
  readonly profiles: ProfileCatalog;
  readonly serialOf: (deviceId: string) => string | undefined;
}

/**
 * Every Observation the gateway holds for a patient, rebuilt from the stored readings (the same
 * resources, identifiers and provenance the FHIR output sends: retracted readings as
 * `entered-in-error`, amended ones as `amended`) and the derived Observations it kept.
 */
export function patientObservations(source: ExportSource, readings: readonly StoredReading[], derived: readonly DerivedRecord[]): PlannedObservation[] {
  const groups = new Map<string, StoredReading[]>();
  for (const r of readings) {
    const key = `${r.deviceId}|${r.deviceTakenAtMs}|${r.messageId ?? ''}|${r.receivedAtMs}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [r]);
    else group.push(r);
  }
  const planned: PlannedObservation[] = [];
  for (const rows of groups.values()) {
    const first = rows[0] as StoredReading;
    const profile = source.profiles.get(first.profileId);
    if (profile === undefined) continue;
    const origin = { gatewayId: source.gatewayId, gatewayVersion: source.gatewayVersion, deviceId: first.deviceId, serial: source.serialOf(first.deviceId), profile, payloadSha256: rows.find((r) => r.payloadSha256 !== undefined)?.payloadSha256 };
    const original = rows.map((r) => (r.firstValue === undefined ? r : { ...r, value: r.firstValue }));
    if (first.status === 'final') planned.push(...readingObservations(origin, rows));
    else {
      // Observations a correction left unchanged stay as first built.
      const corrected = correctedObservations(origin, rows, original, first.status);
      const replaced = new Set(corrected.map((p) => p.id));
      planned.push(...readingObservations(origin, original).filter((p) => !replaced.has(p.id)), ...corrected);
    }
  }
  for (const d of derived) if (d.observation !== undefined) planned.push(JSON.parse(d.observation) as PlannedObservation);
  return planned.sort((a, b) => effective(a) - effective(b));
}

const effective = (p: PlannedObservation): number => Date.parse(p.observation.effectiveDateTime ?? p.observation.effectivePeriod?.start ?? '') || 0;

/**
 * As a FHIR transaction Bundle of conditional creates (Patient, Devices, Observations linked by
 * `urn:uuid`): loading it into any FHIR R4 server, once or again, gives the same record.
 */
export function exportBundle(planned: readonly PlannedObservation[]): Bundle {
  return transaction(planned.map((p) => ({ ...p, replace: false })), { patients: new Map(), devices: new Map() }).bundle;
}

/** As NDJSON [FHIR Bulk Data]: the Patient, each Device, then each Observation, one per line, linked by identifier. */
export function exportNdjson(planned: readonly PlannedObservation[]): string {
  const lines: Resource[] = [];
  const seen = new Set<string>();
  for (const p of planned) {
    if (!seen.has(`patient|${p.nhs}`)) {
      seen.add(`patient|${p.nhs}`);
      lines.push({ resourceType: 'Patient', identifier: [{ system: NHS_NUMBER, value: p.nhs }] });
    }
    const device = p.device?.identifier?.[0];
    if (p.device !== undefined && device?.value !== undefined && !seen.has(`device|${device.value}`)) {
      seen.add(`device|${device.value}`);
      lines.push(p.device);
    }
  }
  for (const p of planned) {
    const device = p.device?.identifier?.[0]?.value;
    lines.push({
      ...p.observation,
      subject: { identifier: { system: NHS_NUMBER, value: p.nhs } },
      ...(device !== undefined ? { device: { identifier: { system: VG.deviceId, value: device } } } : {}),
    });
  }
  return lines.map((r) => JSON.stringify(r)).join('\n') + (lines.length > 0 ? '\n' : '');
}
