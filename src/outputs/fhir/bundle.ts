import type { Bundle, BundleEntry, Device, Patient, Reference, Resource } from '@medplum/fhirtypes';
import { NHS_NUMBER } from './codes.js';
import type { PlannedFlag } from './flag.js';
import { hashUuid, VG, type PlannedObservation } from './observation.js';

/** What the FHIR outbox carries: an Observation of a reading, or the Flag of an alert. */
export type PlannedResource = PlannedObservation | PlannedFlag;

const isFlag = (item: PlannedResource): item is PlannedFlag => 'kind' in item && item.kind === 'flag';

/** Server ids learned from earlier transactions: later Bundles reference them directly. */
export interface KnownIds {
  /** NHS number → Patient id. */
  readonly patients: Map<string, string>;
  /** Device identifier value → its server id and the content last sent (sent again when it changes). */
  readonly devices: Map<string, { id: string; content: string }>;
}

/** A transaction and what to learn from its answer. */
export interface Transaction {
  readonly bundle: Bundle;
  /** Entry index → what it creates, for {@link learnIds}. */
  readonly creates: ReadonlyMap<number, { type: 'Patient' | 'Device'; key: string; content: string }>;
}

/** [FHIR R4 search.html#escaping] `\`, `|`, `,` and `$` in a token are escaped with a backslash. */
const token = (system: string, value: string): string => `${system}|${value.replace(/[\\|,$]/g, '\\$&')}`;
/** The `ifNoneExist` search, as a query string (as the FHIR examples write it, not percent-encoded). */
const conditional = (system: string, value: string): string => `identifier=${token(system, value)}`;
/** A conditional URL: the search percent-encoded. */
const conditionalUrl = (type: string, system: string, value: string): string => `${type}?identifier=${encodeURIComponent(token(system, value))}`;

/**
 * One FHIR transaction for a batch of Observations [FHIR R4 http.html#transaction]: Patients and
 * Devices not yet known travel with them — the Patient as a conditional create by NHS number, the
 * Device as a conditional update (the gateway keeps it current) — referenced by `urn:uuid` full
 * URLs that the server resolves. Each Observation is a conditional create on its identifier, so a
 * resend after a timeout, a replay or the same reading arriving twice changes nothing.
 */
export function transaction(items: readonly PlannedResource[], known: KnownIds): Transaction {
  const entry: BundleEntry[] = [];
  const creates = new Map<number, { type: 'Patient' | 'Device'; key: string; content: string }>();
  const patientRefs = new Map<string, Reference<Patient>>();
  const deviceRefs = new Map<string, Reference<Device>>();
  const patientRef = (nhs: string): Reference<Patient> => {
    let ref: Reference<Patient> | undefined = patientRefs.get(nhs) ?? (known.patients.has(nhs) ? { reference: `Patient/${known.patients.get(nhs) as string}` } : undefined);
    if (ref === undefined) {
      const fullUrl = `urn:uuid:${hashUuid(`patient|${nhs}`)}`;
      const patient: Patient = { resourceType: 'Patient', identifier: [{ system: NHS_NUMBER, value: nhs }] };
      creates.set(entry.length, { type: 'Patient', key: nhs, content: '' });
      entry.push({ fullUrl, resource: patient, request: { method: 'POST', url: 'Patient', ifNoneExist: conditional(NHS_NUMBER, nhs) } });
      ref = { reference: fullUrl };
    }
    patientRefs.set(nhs, ref);
    return ref;
  };
  const deviceRef = (device: Device): Reference<Device> => {
    const key = device.identifier?.[0]?.value as string;
    const content = JSON.stringify(device);
    const cached = known.devices.get(key);
    let ref: Reference<Device> | undefined = deviceRefs.get(key) ?? (cached?.content === content ? { reference: `Device/${cached.id}` } : undefined);
    if (ref === undefined) {
      const fullUrl = `urn:uuid:${hashUuid(`device|${key}`)}`;
      creates.set(entry.length, { type: 'Device', key, content });
      entry.push({ fullUrl, resource: device, request: { method: 'PUT', url: conditionalUrl('Device', VG.deviceId, key) } });
      ref = { reference: fullUrl };
    }
    deviceRefs.set(key, ref);
    return ref;
  };
  for (const item of items) {
    if (isFlag(item)) {
      // The monitor that raised it, by its identifier (a logical reference) and by server id once known.
      const key = item.deviceKey;
      const reference = key === undefined ? undefined : (deviceRefs.get(key)?.reference ?? (known.devices.has(key) ? `Device/${known.devices.get(key)?.id as string}` : undefined));
      const author = key === undefined ? {} : { author: { ...(reference !== undefined ? { reference } : {}), type: 'Device' as const, identifier: { system: VG.deviceId, value: key } } };
      entry.push({
        fullUrl: `urn:uuid:${hashUuid(`entry|${item.id}`)}`,
        resource: { ...item.flag, subject: patientRef(item.nhs), ...author },
        // Opening and resolving send the whole Flag: the last state sent wins, and a resend changes nothing.
        request: { method: 'PUT', url: conditionalUrl('Flag', VG.observationId, item.id) },
      });
      continue;
    }
    const observation = { ...item.observation, subject: patientRef(item.nhs), ...(item.device !== undefined ? { device: deviceRef(item.device) } : {}) };
    entry.push({
      // Not the identifier itself: servers rewrite every occurrence of a full URL in the Bundle.
      fullUrl: `urn:uuid:${hashUuid(`entry|${item.id}`)}`,
      resource: observation,
      // A correction replaces the Observation found by its identifier (or creates it, if the original never arrived).
      request:
        item.replace === true
          ? { method: 'PUT', url: conditionalUrl('Observation', VG.observationId, item.id) }
          : { method: 'POST', url: 'Observation', ifNoneExist: conditional(VG.observationId, item.id) },
    });
  }
  return { bundle: { resourceType: 'Bundle', type: 'transaction', entry }, creates };
}

/** How many entries a transaction for these items needs (Observations plus the Patients and Devices not yet known). */
export function entriesNeeded(items: readonly PlannedResource[], known: KnownIds): number {
  return transaction(items, known).bundle.entry?.length ?? 0;
}

/** Records the server ids of the Patients and Devices a transaction created or found. */
export function learnIds(tx: Transaction, response: Bundle, known: KnownIds): void {
  for (const [index, create] of tx.creates) {
    const location = response.entry?.[index]?.response?.location ?? '';
    const id = /^(?:.*\/)?(?:Patient|Device)\/([^/]+)/.exec(location)?.[1] ?? (response.entry?.[index]?.resource as Resource | undefined)?.id;
    if (id === undefined) continue;
    if (create.type === 'Patient') known.patients.set(create.key, id);
    else known.devices.set(create.key, { id, content: create.content });
  }
}
