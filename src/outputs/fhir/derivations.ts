import { addLocalDays, homeBpAverage, localDayStart, statistics, windowOf, type HomeBpAverage } from '../../clinical/index.js';
import type { Clock } from '../../domain/index.js';
import type { Logger } from '../../observability/index.js';
import type { DeviceProfile, ForwardSpec, ProfileCatalog } from '../../profiles/index.js';
import type { CommitBatch, DerivationState, DerivedRecord, OutboxEntry } from '../../store/reading-store.js';
import type { EitherPort } from '../../store/async-port.js';
import type { DerivationInput } from '../../store/sqlite/index.js';
import { averageBpObservation, summaryObservation } from './derived.js';
import { FHIR_SINK } from './output.js';
import type { PlannedObservation } from './observation.js';

/** What derivations read: changes since their watermark, a period's readings, their own records. */
export interface DerivationSource {
  state(name: string): DerivationState;
  readingsAfter(afterId: number, limit: number, metrics: readonly string[]): { inputs: DerivationInput[]; readToId: number; more: boolean };
  correctedAfter(afterId: number, limit: number): (DerivationInput & { correctionId: number })[];
  period(patientNhs: string, metric: string, fromMs: number, toMs: number): DerivationInput[];
  get(key: string): DerivedRecord | undefined;
  latest(prefix: string, atMs: number): DerivedRecord | undefined;
  due(endedBy: number, limit: number): DerivedRecord[];
}

export interface DerivationOptions {
  readonly gatewayId: string;
  readonly gatewayVersion: string;
  /** Local time of summary windows and monitoring days. */
  readonly timeZone: string;
  /** A period is derived this long after it ends, so readings in flight still count (later ones amend it). */
  readonly graceMs: number;
  readonly intervalMs: number;
  /** Queue the Observations for the FHIR server (else they are only kept). */
  readonly send: boolean;
  /**
   * Whether this gateway derives now (asked before each tick): workers sharing one database take
   * turns, one at a time. Always, when not given.
   */
  readonly turn?: (() => Promise<boolean>) | undefined;
}

/** A period to derive: a device's window of one forward, or a patient's home BP monitoring run. */
type Target =
  | { kind: 'summary'; key: string; nhs: string; deviceId: string; forward: number; startMs: number; endMs: number }
  | { kind: 'hbpm'; key: string; nhs: string; deviceId: string; startMs: number; endMs: number };

/** The derivation's name: its watermark's (and, among workers, its lease's). */
export const DERIVATION_NAME = 'fhir';
const NAME = DERIVATION_NAME;
const READ_LIMIT = 2_000;
/** Longest stretch of deriving before the event loop gets a turn. */
const SLICE_MS = 10;
/** A function to await often: it gives the event loop a turn once `ms` have passed since the last. */
function slicer(ms: number): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    if (performance.now() - since < ms) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        since = performance.now();
        resolve();
      }),
    );
  };
}

/** What a derivation needs of a device. */
interface Device {
  readonly serial: string | undefined;
  readonly profileId: string;
}

const withSummary = (f: ForwardSpec): f is ForwardSpec & { summary: NonNullable<ForwardSpec['summary']> } => f.summary !== undefined;

/**
 * Observations derived from many readings: window summaries of continuous streams and NICE NG136
 * home BP averages. Each tick reads what changed since the last (new readings and corrections: both
 * tables' ids only grow), marks the periods they fall in, and derives the periods that have ended —
 * again whenever a late reading or a correction changes one, replacing the Observation (`amended`,
 * or `entered-in-error` when nothing is left). Records, outbox entries and the watermark commit
 * together, so a crash repeats a tick rather than losing or doubling one.
 */
export class Derivations {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** The metrics any derivation reads (summarised ones, the systolic of home BP averages). */
  private readonly metrics: readonly string[];
  private listener: ((patientNhs: string, average: Extract<HomeBpAverage, { enough: true }>) => void) | undefined;

  constructor(
    private readonly options: DerivationOptions,
    private readonly source: EitherPort<DerivationSource>,
    private readonly devices: (deviceId: string) => Device | undefined | Promise<Device | undefined>,
    private readonly profiles: ProfileCatalog,
    private readonly submit: (batch: CommitBatch) => Promise<unknown>,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.metrics = [...new Set([...profiles.values()].flatMap((p) => derivedMetrics(p)))];
  }

  /** Told of each home BP average derived (final or amended), e.g. to alert on its stage. */
  onHomeBpAverage(listener: (patientNhs: string, average: Extract<HomeBpAverage, { enough: true }>) => void): void {
    this.listener = listener;
  }

  /** Whether any loaded profile derives anything (else the gateway need not run this). */
  get needed(): boolean {
    return this.metrics.length > 0;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.options.intervalMs).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Derives what is due; resolves when done (one run at a time). */
  tick(): Promise<void> {
    this.running ??= this.run()
      .catch((error: unknown) => this.log.error({ err: error instanceof Error ? error.message : String(error) }, 'deriving Observations failed: retried next tick'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async run(): Promise<void> {
    if (this.options.turn !== undefined && !(await this.options.turn())) return;
    // Thousands of readings and periods may be due at once: ingest and alerts run between slices.
    const pause = slicer(SLICE_MS);
    const state = await this.source.state(NAME);
    const next = { name: NAME, lastReadingId: state.lastReadingId, lastCorrectionId: state.lastCorrectionId };
    const targets = new Map<string, Target>();
    const runs = new Map<string, Target>(); // home BP runs opened in this tick, by patient
    const days = new Map<string, Target>(); // the run of each patient's day, found once per tick
    // Everything changed since the last tick, read in chunks (ingest runs between them); each
    // period is then derived once, however many of its readings came in.
    for (;;) {
      const { inputs: readings, readToId, more } = await this.source.readingsAfter(next.lastReadingId, READ_LIMIT, this.metrics);
      const corrected = await this.source.correctedAfter(next.lastCorrectionId, READ_LIMIT);
      for (const r of [...readings, ...corrected].sort((a, b) => a.takenAtMs - b.takenAtMs)) {
        for (const t of await this.targetsOf(r, runs, days)) targets.set(t.key, t);
        await pause();
      }
      next.lastReadingId = readToId;
      next.lastCorrectionId = corrected.at(-1)?.correctionId ?? next.lastCorrectionId;
      if (!more && corrected.length < READ_LIMIT) break;
    }
    const now = this.clock.now();
    for (const record of await this.source.due(now - this.options.graceMs, READ_LIMIT)) {
      const t = this.parse(record);
      if (t !== undefined) targets.set(t.key, t);
    }
    const derived: DerivedRecord[] = [];
    const outbox: OutboxEntry[] = [];
    for (const t of targets.values()) {
      await this.derive(t, now, derived, outbox);
      await pause();
    }
    const moved = next.lastReadingId !== state.lastReadingId || next.lastCorrectionId !== state.lastCorrectionId;
    if (derived.length === 0 && !moved) return;
    await this.submit({ readings: [], deadLetters: [], health: [], outbox, derived, derivationState: [next] });
  }

  /** The periods a stored (or corrected) value falls in. */
  private async targetsOf(r: DerivationInput, runs: Map<string, Target>, days: Map<string, Target>): Promise<Target[]> {
    const profile = this.profiles.get(r.profileId);
    const fhir = profile?.fhir;
    if (fhir === undefined) return [];
    const targets: Target[] = [];
    fhir.forward.forEach((f, i) => {
      if (!withSummary(f) || f.metric !== r.metric) return;
      const w = windowOf(r.takenAtMs, f.summary.windowMinutes, this.options.timeZone);
      targets.push({ kind: 'summary', key: `summary|${r.deviceId}|${i}|${w.startMs}`, nhs: r.patientNhs, deviceId: r.deviceId, forward: i, ...w });
    });
    const bp = fhir.forward.find((f) => f.observation === 'blood-pressure' && f.summary === undefined);
    const average = fhir.homeBloodPressureAverage;
    if (average !== undefined && bp?.systolic === r.metric) {
      const day = localDayStart(r.takenAtMs, this.options.timeZone);
      const known = days.get(`${r.patientNhs}|${day}`);
      if (known !== undefined) return [...targets, known];
      // The run this day belongs to: one opened in this tick, else the latest stored one still
      // covering it, else a new run from this day [NICE NG136 1.2.6: a 4–7 day monitoring run].
      const prefix = `hbpm|${r.patientNhs}|`;
      const open = runs.get(r.patientNhs);
      const stored = await this.source.latest(prefix, day);
      const covering = open !== undefined && day >= open.startMs && day < open.endMs ? open : stored !== undefined && day < stored.periodEndMs ? this.parse(stored) : undefined;
      const run = covering ?? { kind: 'hbpm' as const, key: `${prefix}${day}`, nhs: r.patientNhs, deviceId: r.deviceId, startMs: day, endMs: addLocalDays(day, average.runDays, this.options.timeZone) };
      if (covering === undefined) runs.set(r.patientNhs, run);
      days.set(`${r.patientNhs}|${day}`, run);
      targets.push(run);
    }
    return targets;
  }

  /** The target a stored record stands for (its key says which). */
  private parse(record: DerivedRecord): Target | undefined {
    const [kind, subject, a, b] = record.key.split('|');
    const base = { key: record.key, nhs: record.patientNhs, startMs: record.periodStartMs, endMs: record.periodEndMs };
    if (kind === 'summary' && subject !== undefined && b !== undefined) return { kind, ...base, deviceId: subject, forward: Number(a) };
    if (kind === 'hbpm') return { kind, ...base, deviceId: record.content.startsWith('device:') ? (record.content.slice(7).split('|')[0] ?? '') : '' };
    return undefined;
  }

  private async derive(t: Target, now: number, derived: DerivedRecord[], outbox: OutboxEntry[]): Promise<void> {
    const existing = await this.source.get(t.key);
    const base = { key: t.key, patientNhs: t.nhs, periodStartMs: t.startMs, periodEndMs: t.endMs, updatedAtMs: now };
    if (now < t.endMs + this.options.graceMs) {
      // Still open: remembered (so a due tick finds it), derived once it has ended.
      if (existing === undefined) derived.push({ ...base, status: 'preliminary', content: `device:${t.deviceId}`, observation: undefined });
      return;
    }
    const result = t.kind === 'summary' ? await this.summary(t, now) : await this.average(t, now);
    if (result === undefined) return; // the device or profile is gone: keep the record as it is
    const sent = existing !== undefined && (existing.status === 'final' || existing.status === 'amended');
    if (existing !== undefined && existing.status !== 'preliminary' && existing.content === result.content) return;
    if (result.build === undefined) {
      // Too little (or nothing left after corrections): retract what was sent, else note it.
      if (!sent) derived.push({ ...base, status: 'insufficient', content: result.content, observation: undefined });
      else {
        const retracted = this.retracted(existing);
        derived.push({ ...base, status: 'entered-in-error', content: result.content, observation: JSON.stringify(retracted) });
        if (this.options.send && retracted !== undefined) outbox.push(entry(retracted));
      }
      return;
    }
    const planned = result.build(sent ? 'amended' : 'final');
    if (result.average?.enough === true) this.listener?.(t.nhs, result.average);
    derived.push({ ...base, status: planned.observation.status as 'final' | 'amended', content: result.content, observation: JSON.stringify(planned) });
    if (this.options.send) outbox.push(entry(planned));
  }

  private retracted(existing: DerivedRecord | undefined): PlannedObservation | undefined {
    if (existing?.observation === undefined) return undefined;
    const p = JSON.parse(existing.observation) as PlannedObservation;
    return { ...p, observation: { ...p.observation, status: 'entered-in-error' } };
  }

  private async device(deviceId: string): Promise<{ profile: DeviceProfile; serial: string | undefined } | undefined> {
    const d = await this.devices(deviceId);
    const profile = d === undefined ? undefined : this.profiles.get(d.profileId);
    return d === undefined || profile === undefined ? undefined : { profile, serial: d.serial };
  }

  private async summary(t: Extract<Target, { kind: 'summary' }>, now: number) {
    const device = await this.device(t.deviceId);
    const spec = device?.profile.fhir?.forward[t.forward];
    if (device === undefined || spec === undefined || !withSummary(spec) || spec.metric === undefined) return undefined;
    const values = (await this.source.period(t.nhs, spec.metric, t.startMs, t.endMs))
      .filter((r) => r.deviceId === t.deviceId && r.status !== 'entered-in-error')
      .map((r) => r.value);
    const stats = statistics(values, device.profile.metrics[spec.metric]?.decimals ?? 2);
    const content = JSON.stringify(stats ?? null);
    const origin = { gatewayId: this.options.gatewayId, gatewayVersion: this.options.gatewayVersion, deviceId: t.deviceId, serial: device.serial, profile: device.profile, nhs: t.nhs };
    return { content, average: undefined, build: stats === undefined ? undefined : (status: 'final' | 'amended') => summaryObservation(origin, spec, t, stats, status, now) };
  }

  private async average(t: Extract<Target, { kind: 'hbpm' }>, now: number) {
    const device = await this.device(t.deviceId);
    const fhir = device?.profile.fhir;
    const bp = fhir?.forward.find((f) => f.observation === 'blood-pressure' && f.summary === undefined);
    if (device === undefined || bp?.systolic === undefined || bp.diastolic === undefined) return undefined;
    const live = async (metric: string) => (await this.source.period(t.nhs, metric, t.startMs, t.endMs)).filter((r) => r.status !== 'entered-in-error');
    const diastolic = new Map((await live(bp.diastolic)).map((r) => [`${r.deviceId}|${r.takenAtMs}`, r.value]));
    const readings = (await live(bp.systolic)).flatMap((r) => {
      const d = diastolic.get(`${r.deviceId}|${r.takenAtMs}`);
      return d === undefined ? [] : [{ takenAtMs: r.takenAtMs, systolic: r.value, diastolic: d }];
    });
    const average = homeBpAverage(readings, this.options.timeZone, fhir?.homeBloodPressureAverage?.minDays);
    const content = `device:${t.deviceId}|${JSON.stringify(average)}`;
    const gateway = { gatewayId: this.options.gatewayId, gatewayVersion: this.options.gatewayVersion };
    return { content, average, build: !average.enough ? undefined : (status: 'final' | 'amended') => averageBpObservation(gateway, device.profile, t.nhs, t, average, status, now) };
  }
}

function derivedMetrics(p: DeviceProfile): string[] {
  const forward = p.fhir?.forward ?? [];
  const summarised = forward.filter(withSummary).flatMap((f) => (f.metric !== undefined ? [f.metric] : []));
  const bp = forward.find((f) => f.observation === 'blood-pressure' && f.summary === undefined);
  return [...summarised, ...(p.fhir?.homeBloodPressureAverage !== undefined && bp?.systolic !== undefined ? [bp.systolic] : [])];
}

const entry = (planned: PlannedObservation): OutboxEntry => ({ sink: FHIR_SINK, payload: JSON.stringify({ ...planned, replace: true }), firstReading: 0, readingCount: 0 });
