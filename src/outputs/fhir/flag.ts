import type { Flag } from '@medplum/fhirtypes';
import type { ReadingRow } from '../../domain/index.js';
import type { DeviceContext } from '../../pipeline/index.js';
import type { AlertChange, AlertRecord, OutboxEntry } from '../../store/reading-store.js';
import { FHIR_SINK } from './output.js';
import { observationOfMetric, VG } from './observation.js';

/** [FHIR R4 extension-flag-priority] priority of the alert, codes of IHE PCD TF2 Table B.8-4. */
export const FLAG_PRIORITY = 'http://hl7.org/fhir/StructureDefinition/flag-priority';
/** [FHIR R4 extension-flag-detail] the resource the flag is about: the Observation that raised it. */
export const FLAG_DETAIL = 'http://hl7.org/fhir/StructureDefinition/flag-detail';
const PRIORITY_CODES = 'http://hl7.org/fhir/flag-priority-code';
/** [FHIR R4 codesystem-flag-category] */
const FLAG_CATEGORY = 'http://terminology.hl7.org/CodeSystem/flag-category';

const PRIORITY: Readonly<Record<AlertRecord['severity'], { code: string; display: string }>> = {
  info: { code: 'PL', display: 'Low priority' },
  warning: { code: 'PM', display: 'Medium priority' },
  critical: { code: 'PH', display: 'High priority' },
};

/** An alert as a FHIR Flag, with what the transaction needs to link it. */
export interface PlannedFlag {
  readonly kind: 'flag';
  /** Identifier value (system {@link VG.observationId}): the alert's id as a URN. */
  readonly id: string;
  readonly nhs: string;
  /** Identifier value of the Device (system {@link VG.deviceId}) that raised it, if one did. */
  readonly deviceKey?: string;
  /** Without `subject` and `author`: the transaction links them. */
  readonly flag: Omit<Flag, 'subject'>;
}

/**
 * Alerts in the care record as FHIR Flags [FHIR R4 flag.html: "a prospective warning of potential
 * issues"]: one Flag per alert, identified by the alert's id, `active` from when it opens and
 * `inactive` with the end of its period once it resolves. Acknowledgement, snooze and escalation
 * stay in the gateway's audit trail (a Flag has no such states). A threshold alert names the
 * Observation that raised it, by identifier (`flag-detail`); that Observation's interpretation says why.
 */
export function alertsInCareRecord(gatewayId: string): {
  observationOf: (device: DeviceContext, rows: readonly ReadingRow[], metric: string) => string | undefined;
  entries: (changes: readonly AlertChange[]) => OutboxEntry[];
} {
  return {
    observationOf: (device, rows, metric) => observationOfMetric({ gatewayId, deviceId: device.deviceId, serial: device.serial, profile: device.profile }, rows, metric),
    entries: (changes) =>
      changes.flatMap((change) => {
        const planned = alertFlag(gatewayId, change);
        return planned === undefined ? [] : [{ sink: FHIR_SINK, payload: JSON.stringify(planned), firstReading: 0, readingCount: 0 }];
      }),
  };
}

/**
 * The Flag of a change the rules made (an alert opened, worsened or resolved) or of a resolution by
 * hand; nothing for acknowledgement, snooze or escalation. A worsened alert's Flag is sent again
 * with its new priority and text: the same identifier, so the server updates it.
 */
export function alertFlag(gatewayId: string, change: AlertChange): PlannedFlag | undefined {
  const a = change.alert;
  if (change.by !== 'rules' && a.state !== 'resolved') return undefined;
  const observationId = a.observationId;
  const priority = PRIORITY[a.severity];
  const id = `urn:uuid:${a.id}`;
  const flag: Omit<Flag, 'subject'> = {
    resourceType: 'Flag',
    meta: { tag: [{ system: VG.alertRule, code: a.ruleId }] },
    extension: [
      { url: FLAG_PRIORITY, valueCodeableConcept: { coding: [{ system: PRIORITY_CODES, ...priority }] } },
      ...(observationId !== undefined ? [{ url: FLAG_DETAIL, valueReference: { type: 'Observation' as const, identifier: { system: VG.observationId, value: observationId } } }] : []),
    ],
    identifier: [{ system: VG.observationId, value: id }],
    status: a.state === 'resolved' ? 'inactive' : 'active',
    category: [{ coding: [{ system: FLAG_CATEGORY, code: 'clinical', display: 'Clinical' }] }],
    code: { coding: [{ system: VG.alertRule, code: a.ruleId }], text: a.message },
    period: { start: new Date(a.openedAtMs).toISOString(), ...(a.state === 'resolved' ? { end: new Date(a.updatedAtMs).toISOString() } : {}) },
  };
  return { kind: 'flag', id, nhs: a.patientNhs, ...(a.deviceId !== undefined ? { deviceKey: `${gatewayId}/${a.deviceId}` } : {}), flag };
}
