import type { AlertChange } from '../../store/reading-store.js';

/** The JSON a clinician receives for one change of an alert (README "Alerts"). */
export function alertMessage(change: AlertChange): Record<string, unknown> {
  const a = change.alert;
  return {
    alertId: a.id,
    state: a.state,
    severity: a.severity,
    rule: a.ruleId,
    message: a.message,
    patient: a.patientNhs,
    device: a.deviceId ?? null,
    value: a.value ?? null,
    openedAt: new Date(a.openedAtMs).toISOString(),
    changedAt: new Date(a.updatedAtMs).toISOString(),
    escalationLevel: a.escalationLevel ?? 0,
    by: change.by,
    note: change.note ?? null,
  };
}
