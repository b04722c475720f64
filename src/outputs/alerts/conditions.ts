/**
 * Changes to alert conditions that do not come from a device's threshold rules: a patient-level
 * condition (NEWS2, home BP average), silent devices, escalation, and taking in what was changed on
 * the command line. Each works on the transaction of the commit it goes into.
 */
import type { DeviceProfile } from '../../profiles/index.js';
import type { DeviceActivity } from '../../store/device-store.js';
import type { AlertRecord } from '../../store/reading-store.js';
import { keyOf, newAlert, NO_DATA, RANK } from './rules.js';
import type { AlertTx } from './state.js';

/** A condition of the patient as a whole (no device): opens its alert when it holds, resolves it when it no longer does. */
export function patientCondition(tx: AlertTx, patientNhs: string, ruleId: string, holds: boolean, severity: AlertRecord['severity'], message: string, value: number, now: number): void {
  const key = keyOf(patientNhs, '', ruleId);
  const open = tx.get(key)?.alert;
  if (holds && open === undefined) {
    const alert = newAlert(patientNhs, undefined, ruleId, severity, message, value, now);
    tx.set(key, { state: { open: true }, alert });
    tx.changes.push({ alert, by: 'rules', note: undefined });
  } else if (holds && open !== undefined && RANK[severity] > RANK[open.severity]) {
    // Worse while open (e.g. NEWS2 from urgent to emergency response): everyone hears of it, and
    // an acknowledged alert is open again until someone acknowledges the worse condition.
    const alert: AlertRecord = { ...open, severity, message, value, state: 'open', updatedAtMs: now };
    tx.set(key, { state: { open: true }, alert });
    tx.changes.push({ alert, by: 'rules', note: `worsened from ${open.severity} to ${severity}` });
  } else if (!holds && open !== undefined) {
    tx.set(key, undefined);
    tx.changes.push({ alert: { ...open, state: 'resolved', value, updatedAtMs: now }, by: 'rules', note: message });
  }
}

/**
 * Devices silent past their profile's `staleAfterMinutes` (no reading taken since; a device that
 * never sent one counts from its registration) get a "no data" alert; it resolves when data returns.
 */
export function checkSilence(tx: AlertTx, devices: readonly (DeviceActivity & { profile: DeviceProfile })[], now: number): void {
  for (const d of devices) {
    const staleMs = d.profile.staleAfterMinutes === undefined ? undefined : d.profile.staleAfterMinutes * 60_000;
    const since = d.lastReadingAtMs ?? d.createdAtMs;
    const key = keyOf(d.patientNhs, d.deviceId, NO_DATA);
    if (staleMs === undefined || now - since <= staleMs || tx.get(key)?.state.open === true) continue;
    const minutes = Math.round((now - since) / 60_000);
    const alert = newAlert(d.patientNhs, d.deviceId, NO_DATA, 'warning', `No data from ${d.deviceId} for ${minutes} minutes (expected within ${String(d.profile.staleAfterMinutes)})`, undefined, now);
    tx.set(key, { state: { open: true }, alert });
    tx.changes.push({ alert, by: 'rules', note: undefined });
  }
}

/**
 * Takes in what was changed by hand (the command line is another process): an alert resolved by
 * hand is forgotten, so the condition, if it persists or returns, raises a new one; an
 * acknowledgement or snooze is kept for the next change the rules make.
 */
export function syncWithStore(tx: AlertTx, current: (alertId: string) => AlertRecord | undefined): void {
  for (const [key, entry] of [...tx.entries()]) {
    const mine = entry.alert;
    if (mine === undefined) continue;
    const stored = current(mine.id);
    if (stored === undefined) continue;
    if (stored.state === 'resolved') tx.set(key, undefined);
    else if (stored.state !== mine.state || stored.snoozedUntilMs !== mine.snoozedUntilMs) tx.set(key, { ...entry, alert: stored });
  }
}

/**
 * An alert still `open` (not acknowledged) `afterMs` after it opened goes to the next contact,
 * and one further each `afterMs`; a snooze defers that until it ends.
 */
export function checkEscalations(tx: AlertTx, now: number, e: { afterMs: number; contacts: readonly string[]; current: (alertId: string) => AlertRecord | undefined }): void {
if (e.contacts.length === 0) return;
  for (const [key, entry] of [...tx.entries()]) {
    if (entry.alert === undefined) continue;
    const stored = e.current(entry.alert.id) ?? entry.alert;
    const level = stored.escalationLevel ?? 0;
    if (stored.state !== 'open' || level >= e.contacts.length) continue;
    if (now < Math.max(stored.openedAtMs + e.afterMs * (level + 1), stored.snoozedUntilMs ?? 0)) continue;
    const alert = { ...stored, escalationLevel: level + 1, updatedAtMs: now };
    tx.set(key, { ...entry, alert });
    tx.changes.push({ alert, by: 'escalation', note: `not acknowledged: escalated to ${String(e.contacts[level])}` });
  }
}
