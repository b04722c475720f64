/**
 * What an alert is about, independent of the engine's state: the rule ids of patient-level alerts,
 * the key of the condition, a newly opened alert, how a threshold breach reads, and where alerts go
 * besides clinicians.
 */
import { randomUUID } from 'node:crypto';
import type { ReadingRow, ReadingValue } from '../../domain/index.js';
import type { DeviceContext } from '../../pipeline/index.js';
import type { AlertRuleSpec, DeviceProfile } from '../../profiles/index.js';
import type { AlertChange, AlertRecord, OutboxEntry } from '../../store/reading-store.js';

/** Where alerts meet the care record (the FHIR output). */
export interface CareRecord {
  /** The identifier of the Observation carrying `metric` of this reading, if one is sent. */
  observationOf(device: DeviceContext, rows: readonly ReadingRow[], metric: string): string | undefined;
  /** Outbox entries recording these changes in the care record. */
  entries(changes: readonly AlertChange[]): OutboxEntry[];
}

export interface AlertEngineMetrics {
  alertChanged(state: AlertRecord['state'], severity: AlertRecord['severity']): void;
}

/** The rule id of home BP average alerts (one per patient). */
export const HBPM = 'hbpm';

/** The rule id of NEWS2 alerts (one per patient). */
export const NEWS2 = 'news2';

/** The rule id of "no data" alerts. */
export const NO_DATA = 'no-data';

/** The condition an alert is about: one rule on one device of one patient. */
export const keyOf = (nhs: string, deviceId: string, ruleId: string): string => `${nhs}|${deviceId}|${ruleId}`;

/** A newly opened alert on one rule for a patient (and device). */
export function newAlert(patientNhs: string, deviceId: string | undefined, ruleId: string, severity: AlertRecord['severity'], message: string, value: number | undefined, now: number): AlertRecord {
  return { id: randomUUID(), key: keyOf(patientNhs, deviceId ?? '', ruleId), patientNhs, deviceId, ruleId, severity, state: 'open', message, value, openedAtMs: now, updatedAtMs: now };
}

export const RANK: Readonly<Record<AlertRecord['severity'], number>> = { info: 0, warning: 1, critical: 2 };

export const breachesNow = (rule: AlertRuleSpec, value: number): boolean => (rule.above !== undefined ? value > rule.above : rule.below !== undefined && value < rule.below);

export function describe(rule: AlertRuleSpec, s: ReadingValue): string {
  const condition = rule.above !== undefined ? `above ${rule.above}` : `below ${String(rule.below)}`;
  return rule.message ?? `${s.metric} ${s.value} ${s.unit} is ${condition}${rule.durationMinutes !== undefined ? ` for ${rule.durationMinutes} minutes` : ''}`;
}

const byProfile = new WeakMap<DeviceProfile, ReadonlyMap<string, readonly AlertRuleSpec[]>>();

/** A profile's alert rules by metric, built once per profile: evaluating runs for every stored reading. */
export function rulesByMetric(profile: DeviceProfile): ReadonlyMap<string, readonly AlertRuleSpec[]> {
  let byMetric = byProfile.get(profile);
  if (byMetric === undefined) {
    const m = new Map<string, AlertRuleSpec[]>();
    for (const rule of profile.alerts) m.set(rule.metric, [...(m.get(rule.metric) ?? []), rule]);
    byProfile.set(profile, (byMetric = m));
  }
  return byMetric;
}
