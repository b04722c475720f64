import { evaluateThreshold, type ThresholdState } from '../../clinical/index.js';
import { refreshed, type Clock, type ReadingRow } from '../../domain/index.js';
import type { Logger } from '../../observability/index.js';
import type { DeviceContext } from '../../pipeline/index.js';
import type { AlertRuleSpec, DeviceProfile } from '../../profiles/index.js';
import type { DeviceActivity } from '../../store/device-store.js';
import type { PatientOverride } from '../../store/patient-store.js';
import type { AlertChange, AlertRecord, BreachStart, CommitBatch } from '../../store/reading-store.js';
import { AlertCommits } from './commits.js';
import { alertDeliveries, type Recipient } from './delivery.js';
import { describeNews2, type News2Watch } from './news2-watch.js';
import { breachesNow, describe, HBPM, keyOf, NEWS2, newAlert, NO_DATA, RANK, rulesByMetric, type AlertEngineMetrics, type CareRecord } from './rules.js';

/** A clinician's thresholds for one patient and rule. */
export type RuleOverride = Omit<PatientOverride, 'setAtMs'>;

/** How long per-patient overrides are cached. */
const OVERRIDES_TTL_MS = 5_000;

/**
 * Threshold rules of the device profiles over each newly stored value, in time order. A breach
 * opens one alert (none again while it is open: repeats are suppressed); a value back past the
 * rule's `clearAt` resolves it (hysteresis, so values around a threshold do not flap). Changes
 * are committed with their audit entry and their deliveries to the patient's clinicians (outbox
 * entries: MQTT topic, webhook), which the senders then ship. Only values stored for the first time are evaluated, so a redelivered or replayed
 * reading never alerts twice; open alerts are reloaded from the store at start.
 */
export class AlertEngine {
  private readonly states = new Map<string, { state: ThresholdState; alert?: AlertRecord | undefined }>();
  private readonly commits: AlertCommits;
  private activity: (() => readonly (DeviceActivity & { profile: DeviceProfile })[]) | undefined;
  /** Clinicians' per-patient thresholds by `<patient>|<rule>`, re-read every few seconds (the CLI sets them from another process). */
  private overrides: (() => ReadonlyMap<string, RuleOverride>) | undefined;
  private news2: News2Watch | undefined;
  private escalation: { afterMs: number; contacts: readonly string[]; current: (alertId: string) => AlertRecord | undefined } | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;
  private careRecord: CareRecord | undefined;

  constructor(
    private readonly unresolved: () => readonly AlertRecord[],
    private readonly recipientsOf: (change: AlertChange) => readonly Recipient[],
    submit: (batch: CommitBatch) => Promise<unknown>,
    /** Told once changes (and their deliveries) are committed: the senders can go at once. */
    private readonly committed: () => void,
    private readonly clock: Clock,
    private readonly metrics: AlertEngineMetrics,
    private readonly log: Logger,
  ) {
    const outboxOf = (changes: readonly AlertChange[]) => [...alertDeliveries(changes, this.recipientsOf), ...(this.careRecord?.entries(changes) ?? [])];
    this.commits = new AlertCommits(submit, outboxOf, (changes) => this.told(changes), log);
  }

  /** Takes in the open alerts, and the running breaches of duration rules (their count goes on). */
  start(breaches: readonly BreachStart[] = []): void {
    for (const b of breaches) if (b.sinceMs !== undefined) this.states.set(b.key, { state: { open: false, breachSinceMs: b.sinceMs } });
    for (const alert of this.unresolved()) this.states.set(alert.key, { state: { open: true }, alert });
  }

  /** Scores NEWS2 from the latest values of each patient: a single 3 or a total of 5 or more alerts. */
  useNews2(watch: News2Watch): void {
    this.news2 = watch;
  }

  /** Per-patient thresholds set by clinicians: they replace the profile rule's for that patient. */
  useOverrides(source: () => readonly RuleOverride[]): void {
    this.overrides = refreshed(() => new Map(source().map((o) => [`${o.patientNhs}|${o.ruleId}`, o])), this.clock, OVERRIDES_TTL_MS);
  }

  private ruleFor(patientNhs: string, rule: AlertRuleSpec): AlertRuleSpec {
    const o = this.overrides?.().get(`${patientNhs}|${rule.id}`);
    return o === undefined ? rule : { ...rule, above: o.above, below: o.below, clearAt: o.clearAt, message: `${rule.message ?? rule.id} (this patient's threshold, set by ${o.setBy})` };
  }

  /** With the FHIR output on: an alert names the Observation that raised it, and its changes go to the care record too. */
  useCareRecord(careRecord: CareRecord): void {
    this.careRecord = careRecord;
  }

  /** Checks for silent devices every `intervalMs` (and now, with {@link checkSilenceNow}). */
  watchSilence(activity: () => readonly (DeviceActivity & { profile: DeviceProfile })[], intervalMs: number): void {
    this.activity = activity;
    this.silenceTimer ??= setInterval(() => this.checkSilenceNow(), intervalMs).unref();
  }

  checkSilenceNow(): void {
    this.syncWithStore();
    if (this.activity !== undefined) this.checkSilence(this.activity());
    this.checkEscalationsNow();
  }

  /**
   * Takes in what was changed by hand since (the command line is another process): an alert
   * resolved by hand is forgotten, so the condition, if it persists or returns, raises a new one;
   * an acknowledgement or snooze is kept for the next change the rules make.
   */
  private syncWithStore(): void {
    const current = this.escalation?.current;
    // Changes of its own not yet committed would read as stale: next time.
    if (current === undefined || this.commits.pending > 0) return;
    for (const [key, entry] of this.states) {
      const mine = entry.alert;
      if (mine === undefined) continue;
      const stored = current(mine.id);
      if (stored === undefined) continue;
      if (stored.state === 'resolved') this.states.delete(key);
      else if (stored.state !== mine.state || stored.snoozedUntilMs !== mine.snoozedUntilMs) this.states.set(key, { ...entry, alert: stored });
    }
  }

  /** Escalation of open, unacknowledged alerts: checked with silence, every `alerts.silenceCheckMs`. */
  useEscalation(escalation: { afterMs: number; contacts: readonly string[] }, current: (alertId: string) => AlertRecord | undefined): void {
    this.escalation = { ...escalation, current };
  }

  /**
   * An alert still `open` (not acknowledged) `afterMs` after it opened goes to the next contact,
   * and one further each `afterMs`; a snooze defers that until it ends. Its stored state is read
   * first: it may have been acknowledged or snoozed from the command line.
   */
  checkEscalationsNow(): void {
    const e = this.escalation;
    if (e === undefined || e.contacts.length === 0) return;
    const now = this.clock.now();
    const changes: AlertChange[] = [];
    for (const [key, entry] of this.states) {
      if (entry.alert === undefined) continue;
      const stored = e.current(entry.alert.id) ?? entry.alert;
      const level = stored.escalationLevel ?? 0;
      if (stored.state !== 'open' || level >= e.contacts.length) continue;
      // A snooze defers escalation until it ends.
      if (now < Math.max(stored.openedAtMs + e.afterMs * (level + 1), stored.snoozedUntilMs ?? 0)) continue;
      const alert = { ...stored, escalationLevel: level + 1, updatedAtMs: now };
      this.states.set(key, { ...entry, alert });
      changes.push({ alert, by: 'escalation', note: `not acknowledged: escalated to ${String(e.contacts[level])}` });
    }
    this.commits.add(changes);
  }

  stop(): Promise<void> {
    clearInterval(this.silenceTimer);
    this.silenceTimer = undefined;
    return this.commits.settled();
  }

  /** Evaluates newly stored values; the work is chained, so alerts are committed and delivered in order. */
  readonly observe = (device: DeviceContext, rows: readonly ReadingRow[]): void => {
    const changes = this.evaluate(device, rows);
    this.commits.add(changes);
  };

  /** Resolves once every change so far is committed (its deliveries queued). */
  settled(): Promise<void> {
    return this.commits.settled();
  }

  /**
   * Devices silent past their profile's `staleAfterMinutes` (no reading taken since; a device that
   * never sent one counts from its registration) get a "no data" alert; it resolves when data returns.
   */
  checkSilence(devices: readonly (DeviceActivity & { profile: DeviceProfile })[]): void {
    const now = this.clock.now();
    const changes: AlertChange[] = [];
    for (const d of devices) {
      const staleMs = d.profile.staleAfterMinutes === undefined ? undefined : d.profile.staleAfterMinutes * 60_000;
      const since = d.lastReadingAtMs ?? d.createdAtMs;
      const key = keyOf(d.patientNhs, d.deviceId, NO_DATA);
      if (staleMs === undefined || now - since <= staleMs || this.states.get(key)?.state.open === true) continue;
      const minutes = Math.round((now - since) / 60_000);
      const alert = newAlert(d.patientNhs, d.deviceId, NO_DATA, 'warning', `No data from ${d.deviceId} for ${minutes} minutes (expected within ${String(d.profile.staleAfterMinutes)})`, undefined, now);
      this.states.set(key, { state: { open: true }, alert });
      changes.push({ alert, by: 'rules', note: undefined });
    }
    this.commits.add(changes);
  }

  private evaluate(device: DeviceContext, rows: readonly ReadingRow[]): AlertChange[] {
    const changes: AlertChange[] = [];
    const now = this.clock.now();
    if (device.profile.staleAfterMinutes !== undefined) {
      // Data returned: a "no data" alert of this device resolves.
      const key = keyOf(device.patientNhs, device.deviceId, NO_DATA);
      const silent = this.states.get(key);
      if (silent?.alert !== undefined && rows.length > 0) {
        changes.push({ alert: { ...silent.alert, state: 'resolved', updatedAtMs: now }, by: 'rules', note: 'data received again' });
        this.states.delete(key);
      }
    }
    this.evaluateNews2(device.patientNhs, rows, now, changes);
    const byMetric = rulesByMetric(device.profile);
    if (byMetric.size === 0) return changes;
    // Samples in time order (a batch may come in any order).
    const ordered = rows.every((r, i) => i === 0 || (rows[i - 1] as ReadingRow).takenAtMs <= r.takenAtMs) ? rows : [...rows].sort((a, b) => a.takenAtMs - b.takenAtMs);
    for (const s of ordered) {
      for (const profileRule of byMetric.get(s.metric) ?? []) {
        const rule = this.ruleFor(device.patientNhs, profileRule);
        const key = keyOf(device.patientNhs, device.deviceId, rule.id);
        const current = this.states.get(key);
        if (current === undefined && !breachesNow(rule, s.value)) continue; // the common case: nothing to remember
        const { state, transition } = evaluateThreshold(rule, current?.state ?? { open: false }, s.value, s.takenAtMs);
        let alert = current?.alert;
        if (transition === 'open') {
          const reading = rows.filter((r) => r.takenAtMs === s.takenAtMs);
          alert = { ...newAlert(device.patientNhs, device.deviceId, rule.id, rule.severity, describe(rule, s), s.value, now), observationId: this.careRecord?.observationOf(device, reading, s.metric) };
          changes.push({ alert, by: 'rules', note: undefined });
        } else if (transition === 'resolve' && alert !== undefined) {
          changes.push({ alert: { ...alert, state: 'resolved', value: s.value, updatedAtMs: now }, by: 'rules', note: `back to ${s.value} ${s.unit}` });
          alert = undefined;
        }
        if (!state.open && state.breachSinceMs === undefined) this.states.delete(key);
        else this.states.set(key, { state, alert });
        if (state.breachSinceMs !== current?.state.breachSinceMs) this.commits.breach({ key, sinceMs: state.breachSinceMs });
      }
    }
    return changes;
  }

  /**
   * A home BP average [NICE NG136]: stage 1 or 2 opens one `hbpm` alert for the patient (info or
   * warning: a diagnosis to confirm, not an emergency); a later normal average resolves it.
   */
  homeBpAverage(patientNhs: string, average: { classification: 'normal' | 'stage-1' | 'stage-2'; systolic: number; diastolic: number }): void {
    const stage = average.classification === 'stage-2' ? 'stage 2 hypertension (≥150/95)' : 'stage 1 hypertension (≥135/85)';
    const message = `Home BP average ${average.systolic}/${average.diastolic} mmHg: ${average.classification === 'normal' ? 'below stage 1' : stage} [NICE NG136]`;
    const severity = average.classification === 'stage-2' ? 'warning' : 'info';
    const changes = this.patientCondition(patientNhs, HBPM, average.classification !== 'normal', severity, message, average.systolic, this.clock.now());
    this.commits.add(changes);
  }

  /** One NEWS2 alert per patient: opened when the response calls for one, resolved when it no longer does. */
  private evaluateNews2(patientNhs: string, rows: readonly ReadingRow[], now: number, changes: AlertChange[]): void {
    const score = this.news2?.update(patientNhs, rows, now);
    if (score === undefined) return;
    const severity = score.response === 'urgent-ward-based' ? 'warning' : 'critical';
    changes.push(...this.patientCondition(patientNhs, NEWS2, score.alerting, severity, describeNews2(score), score.total, now));
  }

  /** A condition of the patient as a whole (no device): opens its alert when it holds, resolves it when it no longer does. */
  private patientCondition(patientNhs: string, ruleId: string, holds: boolean, severity: AlertRecord['severity'], message: string, value: number, now: number): AlertChange[] {
    const key = keyOf(patientNhs, '', ruleId);
    const open = this.states.get(key)?.alert;
    if (holds && open === undefined) {
      const alert = newAlert(patientNhs, undefined, ruleId, severity, message, value, now);
      this.states.set(key, { state: { open: true }, alert });
      return [{ alert, by: 'rules', note: undefined }];
    }
    if (holds && open !== undefined && RANK[severity] > RANK[open.severity]) {
      // Worse while open (e.g. NEWS2 from urgent to emergency response): everyone hears of it, and
      // an acknowledged alert is open again until someone acknowledges the worse condition.
      const alert: AlertRecord = { ...open, severity, message, value, state: 'open', updatedAtMs: now };
      this.states.set(key, { state: { open: true }, alert });
      return [{ alert, by: 'rules', note: `worsened from ${open.severity} to ${severity}` }];
    }
    if (!holds && open !== undefined) {
      this.states.delete(key);
      return [{ alert: { ...open, state: 'resolved', value, updatedAtMs: now }, by: 'rules', note: message }];
    }
    return [];
  }

  /** Changes are durable (their deliveries queued): counted, logged, and the senders told. */
  private told(changes: readonly AlertChange[]): void {
    for (const change of changes) {
      this.metrics.alertChanged(change.alert.state, change.alert.severity);
      this.log.info({ alertId: change.alert.id, rule: change.alert.ruleId, state: change.alert.state }, 'alert changed');
    }
    this.committed();
  }
}
