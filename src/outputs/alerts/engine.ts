import { GatewayError, refreshed, type Clock, type Reading } from '../../domain/index.js';
import type { Logger } from '../../observability/index.js';
import type { CommitPlan, CommitPlanner, DeviceContext, PlannedWork } from '../../pipeline/index.js';
import type { AlertChange, AlertRecord, BreachStart, CommitBatch } from '../../store/reading-store.js';
import { alertDeliveries, type Recipient } from './delivery.js';
import { describeNews2, hasNews2Input, isNews2Input, NEWS2_METRICS, type News2Watch } from './news2-watch.js';
import { checkEscalations, checkSilence, patientCondition, syncWithStore } from './conditions.js';
import { HBPM, keyOf, NEWS2, NO_DATA, type AlertEngineMetrics, type CareRecord } from './rules.js';
import type { Activity, OwnAlertStore, SharedAlertStore } from './ports.js';
import { AlertTx, CommittedConditions } from './state.js';
import { applyThresholdRules, type RuleOverride } from './thresholds.js';

/** How long per-patient overrides are cached. */
const OVERRIDES_TTL_MS = 5_000;

/**
 * Work the engine does in the next commit that does not come from a reading (silence, escalation,
 * …), and what it reads: the patients whose NEWS2 it scores again, whether it checks for silence.
 */
interface Job {
  readonly run: (tx: AlertTx, nowMs: number) => void;
  readonly news2Patients?: readonly string[];
  readonly silence?: boolean;
}

/**
 * A plan whose commit is not settled yet (the writer takes the next commit while it writes one): the
 * next plan is made on its transaction, and fails with it.
 */
interface Unsettled {
  readonly tx: AlertTx;
  /** The idempotency keys of its readings. */
  readonly keys: ReadonlySet<string>;
  readonly jobs: readonly Job[];
}

/** A shared store, with what the plan that checks silence read of it. */
interface SharedSource {
  readonly store: SharedAlertStore;
  activity: readonly Activity[];
  corrected: readonly { id: number; patientNhs: string }[];
}

/** What the engine needs from the rest of the gateway. */
export interface AlertEngineDeps {
  readonly store: OwnAlertStore | SharedAlertStore;
  /** Asks for a commit, which the engine plans like any other: for changes no reading causes. */
  readonly requestCommit: () => Promise<unknown>;
  /** Told once changes (and their deliveries) are durable: the senders can go at once. */
  readonly committed: () => void;
  readonly clock: Clock;
  readonly metrics: AlertEngineMetrics;
  readonly log: Logger;
}

/**
 * The alert rules, planned inside the commit of what causes them. Each commit's new readings go through
 * the profiles' threshold rules in time order (a breach opens one alert, none again while it is open;
 * a value back past the rule's `clearAt` resolves it), live NEWS2 and "data again" for a silent
 * device; the alert changes, their audit entries and their deliveries are written in the same
 * transaction as the readings. The engine's view of what is open changes only once that transaction is
 * durable: if it fails, nothing of it is remembered, the reading is not acknowledged, and its
 * redelivery is evaluated afresh. Readings already stored (a redelivery) change nothing. Changes no
 * reading causes (silence, escalation, home BP averages, corrections, the command line) are planned
 * the same way, in a commit the engine asks for.
 */
export class AlertEngine implements CommitPlanner {
  private readonly conditions = new CommittedConditions();
  /** Plans made and not yet settled, in the order made (they settle in that order). */
  private readonly unsettled: Unsettled[] = [];
  private jobs: Job[] = [];
  private requested: Promise<unknown> = Promise.resolve();
  private activity: (() => readonly Activity[]) | undefined;
  /** The store it reads: its own, or shared, with the devices' activity read for the plan that checks silence. */
  private readonly source: { readonly own: OwnAlertStore } | { readonly shared: SharedSource };
  /** Clinicians' per-patient thresholds by `<patient>|<rule>`, re-read every few seconds (the CLI sets them from another process). */
  private overrides: (() => ReadonlyMap<string, RuleOverride>) | undefined;
  private news2: News2Watch | undefined;
  private escalation: { afterMs: number; contacts: readonly string[]; current: (alertId: string) => AlertRecord | undefined } | undefined;
  private corrections: { since: number; correctedSince: (id: number) => readonly { id: number; patientNhs: string }[] } | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;
  private careRecord: CareRecord | undefined;

  constructor(private readonly deps: AlertEngineDeps) {
    const { store } = deps;
    if (store.shared === true) {
      const shared: SharedSource = { store, activity: [], corrected: [] };
      this.source = { shared };
      this.activity = () => shared.activity;
    } else this.source = { own: store };
  }

  /**
   * On its own store: takes in the open alerts and running breaches before it returns. On a store
   * several gateways share, nothing is kept between commits (each plan reads what it needs). Either
   * way, patients with an open NEWS2 alert are scored again.
   */
  start(): Promise<void> {
    const { source } = this;
    if ('shared' in source) return this.startShared(source.shared);
    this.takeIn(source.own.unresolved(), source.own.breaches());
    return Promise.resolve();
  }

  private async startShared(shared: SharedSource): Promise<void> {
    const { store } = shared;
    // Corrections made from now on, anywhere, have their patients' NEWS2 scored again at each check.
    this.corrections = { since: await store.latestCorrectionId(), correctedSince: () => shared.corrected };
    const { alerts } = await store.conditionsOf(undefined, { breaches: false });
    const news2Patients = alerts.filter((a) => a.ruleId === NEWS2).map((a) => a.patientNhs);
    if (news2Patients.length > 0 && this.news2 !== undefined) this.trigger(this.rescore(news2Patients));
  }

  private takeIn(unresolved: readonly AlertRecord[], breaches: readonly BreachStart[]): void {
    for (const b of breaches) if (b.sinceMs !== undefined) this.conditions.set(b.key, { state: { open: false, breachSinceMs: b.sinceMs } });
    const news2Patients: string[] = [];
    for (const alert of unresolved) {
      this.conditions.set(alert.key, { state: { open: true }, alert });
      if (alert.ruleId === NEWS2) news2Patients.push(alert.patientNhs);
    }
    // A correction committed just before a crash may not have been scored yet.
    if (news2Patients.length > 0 && this.news2 !== undefined) this.trigger(this.rescore(news2Patients));
  }

  /** Scores NEWS2 from the latest values of each patient: a single 3 or a total of 5 or more alerts. */
  useNews2(watch: News2Watch): void {
    this.news2 = watch;
  }

  /** Per-patient thresholds set by clinicians: they replace the profile rule's for that patient. */
  useOverrides(source: () => readonly RuleOverride[]): void {
    this.overrides = refreshed(() => new Map(source().map((o) => [`${o.patientNhs}|${o.ruleId}`, o])), this.deps.clock, OVERRIDES_TTL_MS);
  }

  /** With the FHIR output on: an alert names the Observation that raised it, and its changes go to the care record too. */
  useCareRecord(careRecord: CareRecord): void {
    this.careRecord = careRecord;
  }

  /** Escalation of open, unacknowledged alerts: checked with silence, every `alerts.silenceCheckMs`. */
  useEscalation(escalation: { afterMs: number; contacts: readonly string[] }, current: (alertId: string) => AlertRecord | undefined): void {
    this.escalation = { ...escalation, current };
  }

  /** Corrections made elsewhere (the command line): their patients' NEWS2 is scored again at each check. */
  useCorrections(latestId: number, correctedSince: (id: number) => readonly { id: number; patientNhs: string }[]): void {
    this.corrections = { since: latestId, correctedSince };
  }

  /**
   * Checks for silent devices every `intervalMs` (and now, with {@link checkSilenceNow}); on a
   * shared store, the devices' activity is read before each such check.
   */
  watchSilence(activity: (() => readonly Activity[]) | undefined, intervalMs: number): void {
    if (activity !== undefined) this.activity = activity;
    this.silenceTimer ??= setInterval(() => this.checkSilenceNow(), intervalMs).unref();
  }

  /** Silent devices, changes made on the command line, corrections made there, and escalations: in the next commit. */
  checkSilenceNow(): void {
    this.trigger({
      silence: true,
      run: (tx, now) => {
        if (this.escalation !== undefined) syncWithStore(tx, this.escalation.current);
        this.rescoreCorrected(tx, now);
        if (this.activity !== undefined) checkSilence(tx, this.activity(), now);
        if (this.escalation !== undefined) checkEscalations(tx, now, this.escalation);
      },
    });
  }

  /** Escalations only (and what was changed on the command line): in the next commit. */
  checkEscalationsNow(): void {
    this.trigger({
      run: (tx, now) => {
        if (this.escalation !== undefined) syncWithStore(tx, this.escalation.current);
        if (this.escalation !== undefined) checkEscalations(tx, now, this.escalation);
      },
    });
  }

  /** A home BP average [NICE NG136] for a patient, from the derivation job: in the next commit. */
  homeBpAverage(patientNhs: string, average: { classification: 'normal' | 'stage-1' | 'stage-2'; systolic: number; diastolic: number }): void {
    this.trigger({ run: (tx, now) => {
      const stage = average.classification === 'stage-2' ? 'stage 2 hypertension (≥150/95)' : 'stage 1 hypertension (≥135/85)';
      const message = `Home BP average ${average.systolic}/${average.diastolic} mmHg: ${average.classification === 'normal' ? 'below stage 1' : stage} [NICE NG136]`;
      // [NICE NG136] stage 1 or 2 is a diagnosis to confirm, not an emergency: info or warning.
      const severity = average.classification === 'stage-2' ? 'warning' : 'info';
      patientCondition(tx, patientNhs, HBPM, average.classification !== 'normal', severity, message, average.systolic, now);
    } });
  }

  /** Resolves once every commit the engine asked for so far is settled. */
  async settled(): Promise<void> {
    await this.requested;
  }

  async stop(): Promise<void> {
    clearInterval(this.silenceTimer);
    this.silenceTimer = undefined;
    await this.requested;
  }

  /**
   * Plans what a commit's readings cause. A reading whose key came earlier in the same commit is a
   * duplicate (the store keeps the first); readings whose evaluation changed something are checked
   * against the store, and if any is stored already the commit is evaluated again without it (until
   * every reading that matters is known new). On a shared store, what the plan needs is read first.
   */
  plan(works: readonly PlannedWork[]): CommitPlan | undefined | Promise<CommitPlan | undefined> {
    const { source } = this;
    // Work no reading causes reads the store (which lacks what is being written), and so does every plan on a shared one.
    if (this.unsettled.length > 0 && !this.pipelines()) throw unsettledError('work of its own');
    const jobs = this.jobs;
    this.jobs = [];
    if ('shared' in source) return this.planShared(works, jobs, source.shared);
    const planned = this.planOn(works, jobs, (keys) => source.own.existing(keys));
    return planned === undefined ? undefined : this.commitPlan(planned, jobs, (change) => source.own.recipientsOf(change));
  }

  /**
   * Whether the next plan can be made while a commit is being written: on its own store, with no work
   * of its own waiting (silence, escalation, corrections and home BP averages read the store).
   */
  pipelines(): boolean {
    return 'own' in this.source && this.jobs.length === 0;
  }

  /** A conflict with another gateway sharing the store: the commit is planned again on what it now holds. */
  conflict(error: unknown): boolean {
    return 'shared' in this.source && error instanceof GatewayError && error.code === 'GW_ALERT_CONFLICT';
  }

  private async planShared(works: readonly PlannedWork[], jobs: readonly Job[], shared: SharedSource): Promise<CommitPlan | undefined> {
    const { store } = shared;
    try {
      const checking = jobs.some((j) => j.silence === true);
      shared.corrected = checking && this.corrections !== undefined ? await store.correctionsSince(this.corrections.since) : [];
      const patients = new Set(works.flatMap((w) => (w.device === undefined || w.work.readings.length === 0 ? [] : [w.device.patientNhs])));
      const news2Patients = new Set([...patients, ...jobs.flatMap((j) => j.news2Patients ?? []), ...shared.corrected.map((c) => c.patientNhs)]);
      // Other work (silence, escalation, home BP) may touch any patient: every open alert is read.
      const everyone = jobs.length > 0;
      const breaches = everyone || works.some((w) => w.device?.profile.alerts.some((a) => a.durationMinutes !== undefined) === true);
      const now = this.deps.clock.now();
      const [conditions, latest, activity] = await Promise.all([
        everyone || patients.size > 0 ? store.conditionsOf(everyone ? undefined : [...patients], { breaches }) : undefined,
        this.news2 === undefined || news2Patients.size === 0 ? [] : store.latestValues([...news2Patients], Object.keys(NEWS2_METRICS), now - this.news2.windowMs),
        checking ? store.activity() : undefined,
      ]);
      if (conditions !== undefined) this.conditions.replace(everyone ? undefined : patients, conditions.alerts, conditions.breaches);
      if (activity !== undefined) shared.activity = activity;
      // Which readings are stored already is asked only of readings that changed something (usually none),
      // and the commit evaluated again once they are known.
      const stored = new Map<string, boolean>();
      for (;;) {
        this.news2?.forget(news2Patients);
        for (const nhs of news2Patients) this.news2?.take(nhs, latest.filter((v) => v.patientNhs === nhs));
        const unknown: string[] = [];
        const planned = this.planOn(works, jobs, (keys) => {
          unknown.push(...keys.filter((k) => !stored.has(k)));
          return new Set(keys.filter((k) => stored.get(k) === true));
        });
        if (unknown.length > 0) {
          const found = await store.existingKeys([...new Set(unknown)]);
          for (const k of unknown) stored.set(k, found.has(k));
          continue;
        }
        return planned === undefined ? undefined : await this.sharedPlan(planned, jobs, store);
      }
    } catch (error) {
      this.jobs.unshift(...jobs);
      throw error;
    }
  }

  /** Each change of an alert read from the store is made only if no one changed it since; its recipients read now. */
  private async sharedPlan(planned: Planned, jobs: readonly Job[], store: SharedAlertStore): Promise<CommitPlan> {
    const read = new Map<string, number>();
    for (const [, c] of this.conditions.entries()) if (c.alert !== undefined) read.set(c.alert.id, c.alert.updatedAtMs);
    const changes = planned.tx.changes.map((c) => {
      const at = read.get(c.alert.id);
      read.delete(c.alert.id); // a second change of the same alert in this commit follows the first
      return at === undefined ? c : { ...c, ifUpdatedAtMs: at };
    });
    planned.tx.changes.splice(0, planned.tx.changes.length, ...changes);
    const recipients = new Map(await Promise.all(changes.map(async (c) => [c, await store.recipientsOf(c)] as const)));
    return this.commitPlan(planned, jobs, (c) => recipients.get(c) ?? []);
  }

  /**
   * The evaluation of a commit's readings and jobs; undefined when it holds neither. A reading that
   * changed something and may be a duplicate (stored, or in a commit being written) is known new or
   * not only once every earlier commit is settled: the plan is then refused, to be made again.
   */
  private planOn(works: readonly PlannedWork[], jobs: readonly Job[], existing: (keys: readonly string[]) => ReadonlySet<string>): Planned | undefined {
    const seen = new Set<string>();
    const fresh: { device: DeviceContext | undefined; readings: readonly Reading[] }[] = [];
    const corrected = new Set<string>();
    for (const { device, work } of works) {
      fresh.push({ device, readings: device === undefined ? NO_READINGS : firstReadings(work.readings, seen) });
      if (device !== undefined && (work.corrections?.length ?? 0) > 0) corrected.add(device.patientNhs);
    }
    const excluded = new Set<string>();
    const checked = new Set<string>();
    let tx = this.evaluate(fresh, excluded, jobs);
    for (;;) {
      const unchecked = [...tx.relevantKeys].filter((k) => !checked.has(k));
      if (unchecked.length === 0) break;
      for (const k of unchecked) checked.add(k);
      const stored = existing(unchecked);
      if (this.unsettled.length > 0 && (stored.size > 0 || unchecked.some((k) => this.unsettled.some((u) => u.keys.has(k))))) {
        // Scored again from the store, which holds the earlier commit's values only once it is written.
        this.news2?.forget(tx.news2Patients);
        throw unsettledError('a reading that may be a duplicate');
      }
      if (stored.size === 0) break;
      for (const k of stored) excluded.add(k);
      this.news2?.forget(tx.news2Patients); // scored again from the store, which holds the duplicates' values
      tx = this.evaluate(fresh, excluded, jobs);
    }
    // A plan of readings is kept until its commit settles even when it changes nothing: the next plan,
    // made beside it, must know its readings' keys, and its NEWS2 values are forgotten if it fails.
    if (tx.changes.length === 0 && tx.breaches.length === 0 && corrected.size === 0 && jobs.length === 0 && seen.size === 0) return undefined;
    return { tx, corrected, keys: seen };
  }

  private commitPlan({ tx, corrected, keys }: Planned, jobs: readonly Job[], recipients: (change: AlertChange) => readonly Recipient[]): CommitPlan {
    const outbox = tx.changes.length === 0 ? [] : [...alertDeliveries(tx.changes, recipients), ...(this.careRecord?.entries(tx.changes) ?? [])];
    const work: CommitBatch = { readings: [], deadLetters: [], health: [], alerts: tx.changes, breaches: tx.breaches, outbox };
    const entry: Unsettled = { tx, keys, jobs };
    this.unsettled.push(entry);
    return { work, settle: (committed) => this.settle(entry, committed, corrected) };
  }

  /**
   * A plan's commit is settled (plans settle in the order made). Committed: its changes are taken in,
   * and the plan made on it reads the committed view. Failed: so does every plan made after it
   * (made on it, their commits refused): none of them is remembered. A plan already failed that way
   * changes nothing when its own refusal comes.
   */
  private settle(entry: Unsettled, committed: boolean, corrected: ReadonlySet<string>): void {
    const at = this.unsettled.indexOf(entry);
    if (at < 0) return;
    if (!committed) {
      const failed = this.unsettled.splice(at);
      for (const f of failed) this.news2?.forget(f.tx.news2Patients);
      this.jobs.unshift(...failed.flatMap((f) => f.jobs));
      return;
    }
    this.unsettled.splice(at, 1);
    this.committed(entry.tx, corrected);
    for (const u of this.unsettled) if (u.tx.madeOn(entry.tx)) u.tx.onCommitted();
  }

  private evaluate(fresh: readonly { device: DeviceContext | undefined; readings: readonly Reading[] }[], excluded: ReadonlySet<string>, jobs: readonly Job[]): AlertTx {
    const tx = new AlertTx(this.conditions, this.unsettled.at(-1)?.tx);
    const now = this.deps.clock.now();
    // Jobs first: they were asked for before these readings were planned (e.g. taking in an alert resolved by hand).
    for (const job of jobs) job.run(tx, now);
    const overrides = this.overrides?.() ?? NO_OVERRIDES; // read once a commit
    for (const { device, readings } of fresh) {
      if (device === undefined || readings.length === 0) continue;
      const kept = excluded.size === 0 ? readings : readings.filter((r) => !excluded.has(r.idempotencyKey));
      if (kept.length > 0) this.evaluateReadings(tx, device, kept, now, overrides);
    }
    return tx;
  }

  private committed(tx: AlertTx, corrected: ReadonlySet<string>): void {
    tx.apply();
    if (tx.correctionsUpTo !== undefined && this.corrections !== undefined) this.corrections.since = tx.correctionsUpTo;
    if (tx.changes.length > 0) {
      for (const change of tx.changes) {
        this.deps.metrics.alertChanged(change.alert.state, change.alert.severity);
        this.deps.log.info({ alertId: change.alert.id, rule: change.alert.ruleId, state: change.alert.state }, 'alert changed');
      }
      this.deps.committed();
    }
    // A retracted or amended reading changes the patient's NEWS2 inputs: scored again from the store.
    if (corrected.size > 0 && this.news2 !== undefined) this.trigger(this.rescore([...corrected]));
  }

  /** Queues work for the next commit and asks for one. */
  private trigger(job: Job): void {
    this.jobs.push(job);
    const commit = this.deps.requestCommit().catch((error: unknown) => {
      this.deps.log.error({ err: error instanceof Error ? error.message : String(error) }, 'alert changes not stored: retried at the next commit');
    });
    const before = this.requested;
    this.requested = Promise.all([before, commit]);
  }

  /** One device's new readings: "data again" for a silent device, NEWS2, then each threshold rule in time order. */
  private evaluateReadings(tx: AlertTx, device: DeviceContext, readings: readonly Reading[], now: number, overrides: ReadonlyMap<string, RuleOverride>): void {
    if (device.profile.staleAfterMinutes !== undefined) {
      const key = keyOf(device.patientNhs, device.deviceId, NO_DATA);
      const silent = tx.get(key)?.alert;
      if (silent !== undefined) {
        tx.changes.push({ alert: { ...silent, state: 'resolved', updatedAtMs: now }, by: 'rules', note: 'data received again' });
        tx.set(key, undefined);
        for (const r of readings) tx.relevantKeys.add(r.idempotencyKey);
      }
    }
    this.evaluateNews2(tx, device.patientNhs, readings, now);
    applyThresholdRules(tx, device, readings, now, overrides, this.careRecord);
  }

  /** One NEWS2 alert per patient: opened when the response calls for one, resolved when it no longer does. */
  private evaluateNews2(tx: AlertTx, patientNhs: string, readings: readonly Reading[], now: number): void {
    if (this.news2 === undefined || !hasNews2Input(readings)) return;
    tx.news2Patients.add(patientNhs);
    const score = this.news2.update(patientNhs, readings, now);
    if (score === undefined) return;
    const severity = score.response === 'urgent-ward-based' ? 'warning' : 'critical';
    const before = tx.changes.length;
    patientCondition(tx, patientNhs, NEWS2, score.alerting, severity, describeNews2(score), score.total, now);
    if (tx.changes.length > before) for (const r of readings) if (r.values.some(isNews2Input)) tx.relevantKeys.add(r.idempotencyKey);
  }

  /** Scores these patients' NEWS2 again from the store (after corrections, or at start-up). */
  private rescore(patients: readonly string[]): Job {
    return { news2Patients: patients, run: (tx, now) => this.rescoreNow(tx, patients, now) };
  }

  private rescoreNow(tx: AlertTx, patients: readonly string[], now: number): void {
      if (this.news2 === undefined) return;
      // On a shared store the values were just read for this plan.
      if ('own' in this.source) this.news2.forget(patients);
      for (const nhs of patients) {
        tx.news2Patients.add(nhs);
        const score = this.news2.rescore(nhs, now);
        const severity = score.response === 'urgent-ward-based' ? 'warning' : 'critical';
        patientCondition(tx, nhs, NEWS2, score.alerting, severity, describeNews2(score), score.total, now);
      }
  }

  /** Patients with readings corrected by another process since the last check: NEWS2 scored again. */
  private rescoreCorrected(tx: AlertTx, now: number): void {
    const c = this.corrections;
    if (c === undefined || this.news2 === undefined) return;
    const found = c.correctedSince(c.since);
    if (found.length === 0) return;
    tx.correctionsUpTo = Math.max(...found.map((f) => f.id));
    this.rescoreNow(tx, [...new Set(found.map((f) => f.patientNhs))], now);
  }

}

/**
 * A commit's readings less those whose key came earlier in it (`seen`: keys met so far), which the
 * store refuses as duplicates; the readings themselves when none is dropped.
 */
function firstReadings(readings: readonly Reading[], seen: Set<string>): readonly Reading[] {
  let kept: Reading[] | undefined;
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i] as Reading;
    if (seen.has(r.idempotencyKey)) kept ??= readings.slice(0, i);
    else {
      seen.add(r.idempotencyKey);
      kept?.push(r);
    }
  }
  return kept ?? readings;
}

/** A commit's evaluation: its transaction, the patients with corrections in it, its readings' keys. */
interface Planned {
  readonly tx: AlertTx;
  readonly corrected: ReadonlySet<string>;
  readonly keys: ReadonlySet<string>;
}

function unsettledError(what: string): GatewayError {
  return new GatewayError('GW_COMMIT_UNSETTLED', `${what} is planned once the commit being written is settled`);
}

const NO_OVERRIDES: ReadonlyMap<string, RuleOverride> = new Map();
const NO_READINGS: readonly Reading[] = Object.freeze([]);
