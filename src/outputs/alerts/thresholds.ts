import { evaluateThreshold } from '../../clinical/index.js';
import { rowsOf, type Reading, type ReadingValue } from '../../domain/index.js';
import type { DeviceContext } from '../../pipeline/index.js';
import type { AlertRuleSpec } from '../../profiles/index.js';
import type { PatientOverride } from '../../store/patient-store.js';
import { breachesNow, describe, keyOf, newAlert, rulesByMetric, type CareRecord } from './rules.js';
import type { AlertTx } from './state.js';

/** A clinician's thresholds for one patient and rule. */
export type RuleOverride = Omit<PatientOverride, 'setAtMs'>;

/**
 * The threshold rules of a device's profile over its new readings, in time order (a batch may come
 * in any order): each value against the rules on its metric, with the patient's own thresholds
 * where a clinician set them. Opens, resolves and breach starts go into `tx`.
 */
export function applyThresholdRules(
  tx: AlertTx,
  device: DeviceContext,
  readings: readonly Reading[],
  now: number,
  overrides: ReadonlyMap<string, RuleOverride>,
  careRecord: CareRecord | undefined,
): void {
  const byMetric = rulesByMetric(device.profile);
  if (byMetric.size === 0) return;
  const ordered = readings.every((r, i) => i === 0 || (readings[i - 1] as Reading).takenAtMs <= r.takenAtMs) ? readings : [...readings].sort((a, b) => a.takenAtMs - b.takenAtMs);
  for (const reading of ordered) {
    for (const s of reading.values) {
      const rules = byMetric.get(s.metric);
      if (rules !== undefined) applyToValue(tx, device, reading, s, rules, now, overrides, careRecord);
    }
  }
}

/** One value of a reading against the threshold rules on its metric. */
function applyToValue(
  tx: AlertTx,
  device: DeviceContext,
  reading: Reading,
  s: ReadingValue,
  rules: readonly AlertRuleSpec[],
  now: number,
  overrides: ReadonlyMap<string, RuleOverride>,
  careRecord: CareRecord | undefined,
): void {
  const takenAtMs = reading.takenAtMs;
  for (const profileRule of rules) {
    const rule = ruleFor(device.patientNhs, profileRule, overrides);
    const key = conditionKey(device, rule.id);
    const current = tx.get(key);
    if (current === undefined && !breachesNow(rule, s.value)) continue; // the common case: nothing to remember
    // Taken before the reading that opened the alert (a backlog, another worker's share, arriving
    // late): it says nothing of the patient now, so it never resolves it (the safer choice).
    if (current?.alert?.sampleAtMs !== undefined && takenAtMs < current.alert.sampleAtMs) continue;
    const { state, transition } = evaluateThreshold(rule, current?.state ?? { open: false }, s.value, takenAtMs);
    let alert = current?.alert;
    if (transition === 'open') {
      const observationId = careRecord?.observationOf(device, rowsOf(reading), s.metric);
      alert = { ...newAlert(device.patientNhs, device.deviceId, rule.id, rule.severity, describe(rule, s), s.value, now), observationId, sampleAtMs: takenAtMs };
      tx.changes.push({ alert, by: 'rules', note: undefined });
    } else if (transition === 'resolve' && alert !== undefined) {
      tx.changes.push({ alert: { ...alert, state: 'resolved', value: s.value, updatedAtMs: now, sampleAtMs: takenAtMs }, by: 'rules', note: `back to ${s.value} ${s.unit}` });
      alert = undefined;
    }
    tx.set(key, { state, alert });
    const breachChanged = state.breachSinceMs !== current?.state.breachSinceMs;
    if (breachChanged) tx.breaches.push({ key, sinceMs: state.breachSinceMs });
    if (transition !== undefined || breachChanged) tx.relevantKeys.add(reading.idempotencyKey);
  }
}

/** The profile's rule, or the patient's own thresholds for it. */
function ruleFor(patientNhs: string, rule: AlertRuleSpec, overrides: ReadonlyMap<string, RuleOverride>): AlertRuleSpec {
  if (overrides.size === 0) return rule;
  const o = overrides.get(`${patientNhs}|${rule.id}`);
  return o === undefined ? rule : { ...rule, above: o.above, below: o.below, clearAt: o.clearAt, message: `${rule.message ?? rule.id} (this patient's threshold, set by ${o.setBy})` };
}

/** Each device's condition keys by rule, made once per connection rather than once per value. */
const conditionKeys = new WeakMap<DeviceContext, Map<string, string>>();

function conditionKey(device: DeviceContext, ruleId: string): string {
  let keys = conditionKeys.get(device);
  if (keys === undefined) conditionKeys.set(device, (keys = new Map()));
  let key = keys.get(ruleId);
  if (key === undefined) keys.set(ruleId, (key = keyOf(device.patientNhs, device.deviceId, ruleId)));
  return key;
}
