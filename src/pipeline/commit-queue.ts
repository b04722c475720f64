import { GatewayError, type Reading } from '../domain/index.js';
import type { CommitBatch, CommitReceipt, HealthUpdate, OutboxEntry } from '../store/reading-store.js';
import type { DeviceContext } from './ingest.js';

/** Work submitted for a commit, with the device its readings came from (none for other work). */
export interface PlannedWork {
  readonly work: CommitBatch;
  readonly device: DeviceContext | undefined;
}

/** What a planner adds to one commit, and how it learns whether that commit is durable. */
export interface CommitPlan {
  readonly work: CommitBatch;
  /** Called once: true when the commit is durable, false when it failed (nothing of it stored). */
  settle(committed: boolean): void;
}

/**
 * Adds to a commit what its readings cause, in the same transaction: the alert rules engine. Called
 * with a commit's works in order just before it is written, and again for each work alone if the
 * group fails. With a pipelined writer the commit before may still be being written: the plan is made
 * on what that one will change, plans settle in the order they were made, and when one fails every
 * plan made after it fails too (its commit is refused and its work planned afresh).
 */
export interface CommitPlanner {
  plan(works: readonly PlannedWork[]): CommitPlan | undefined | Promise<CommitPlan | undefined>;
  /**
   * Whether the next plan may be made while a commit is being written (on what that one changes). A
   * planner without it is only ever called with every earlier commit settled.
   */
  pipelines?(): boolean;
  /**
   * Whether a failed commit was refused because another gateway sharing the store changed what the
   * plan was made on (an alert opened or changed meanwhile): the same work is then planned afresh and
   * committed again.
   */
  conflict?(error: unknown): boolean;
}

/** How many times one batch is planned afresh after conflicts before it fails like any other commit. */
const MAX_REPLANS = 5;

const EMPTY: CommitBatch = { readings: [], deadLetters: [], health: [] };

/**
 * Told once whether a submission is durable: `inserted[from + i]` says whether its reading `i` was new
 * (true) or a duplicate (false); `inserted` undefined when its commit failed (with why). Must not throw.
 */
export type Settled = (inserted: readonly boolean[] | undefined, from: number, error?: unknown) => void;

interface Pending extends PlannedWork {
  readonly settled: Settled;
}

/** Where a group commit goes: the SQLite store in this thread, or its writer thread. */
export interface ReadingWriter {
  /**
   * `afterPrevious`: the batch was planned while the commit sent before it was being written, on what
   * that one changes; a pipelined writer refuses it (`GW_COMMIT_UNSETTLED`) if that one failed.
   */
  commit(batch: CommitBatch, afterPrevious?: boolean): Promise<CommitReceipt> | CommitReceipt;
  /**
   * True for a writer that takes commits while those before are being written (its own thread),
   * writes them in the order sent, and honours `afterPrevious`: the queue then keeps up to
   * {@link PIPELINED_COMMITS} commits in flight, so the writer never waits for the main thread to
   * plan and send the next one.
   */
  readonly pipelined?: boolean;
}

/**
 * Commits in flight on a pipelined writer. Measured with the gateway saturated (100 devices, 32
 * publishes in flight each): with two the writer thread still waited on the main thread between
 * commits (1.6 in flight on average); three took the gateway from 56,901 / 55,898 to 59,041 /
 * 59,299 messages/s in alternating runs (p99 PUBACK 95 → 79 ms; 2.2 in flight, smaller commits);
 * four measured no more.
 */
export const PIPELINED_COMMITS = 3;

export interface CommitStats {
  /** Called after each durable commit with the number of messages and readings it held. */
  committed(messages: number, readings: number, durationMs: number): void;
  /** Called when a commit fails (its messages get no PUBACK). */
  commitFailed(messages: number): void;
  /** Called when a commit is planned afresh after a conflict with another gateway. */
  replanned?(): void;
}

/**
 * Group commit: work submitted while the previous commit is being written (or during one turn of
 * the event loop when the writer is idle) goes to the store as one transaction, and every
 * submitter's promise settles only after that transaction is durable. This is what lets the broker
 * hold each QoS 1 PUBACK until its reading is committed while still writing tens of thousands of
 * readings per second: one fsync per batch, not per message, and batches grow with the load.
 *
 * A pipelined writer gets the next commits while it writes one (up to {@link PIPELINED_COMMITS} in
 * flight), so it is never idle while the main thread plans, packs and sends: commits still settle in
 * order, and a commit planned on one that then fails is refused by the writer (and so is every one
 * planned on that) and planned afresh once that failure is handled.
 * After any failure the queue drains (one commit at a time) before it pipelines again.
 */
export class CommitQueue {
  private pending: Pending[] = [];
  private pendingReadings = 0;
  private scheduled: NodeJS.Immediate | undefined;
  /** Commits started and not yet settled (each with its failure handled), and the last of them. */
  private inFlight = 0;
  private last: Promise<void> = Promise.resolve();
  /** Plans of the commits in flight, in the order made (see {@link held}). */
  private readonly unsettledPlans = new Set<CommitPlan>();
  /** Set when a commit fails: no commit starts beside another until the queue is empty again. */
  private draining = false;
  private readonly depth: number;
  private closed = false;
  private lastCommitFailed = false;
  private planner: CommitPlanner | undefined;

  constructor(
    private readonly writer: ReadingWriter,
    private readonly maxReadingsPerCommit: number,
    private readonly stats: CommitStats = { committed: () => {}, commitFailed: () => {} },
  ) {
    this.depth = writer.pipelined === true ? PIPELINED_COMMITS : 1;
  }

  private readonly watchers: ((committed: CommitBatch, receipt: CommitReceipt) => void)[] = [];

  /**
   * Told of each durable commit, in the order committed (the web app's live updates, the outbox
   * rows an output sends); must not throw.
   */
  onCommitted(watcher: (committed: CommitBatch, receipt: CommitReceipt) => void): () => void {
    this.watchers.push(watcher);
    return () => {
      const i = this.watchers.indexOf(watcher);
      if (i >= 0) this.watchers.splice(i, 1);
    };
  }

  /** What every commit's readings cause goes into that commit (the alert rules). */
  usePlanner(planner: CommitPlanner): void {
    this.planner = planner;
  }

  /**
   * Resolves with, for each reading of `work`, whether it was new (true) or a duplicate (false).
   * `device` is where the readings came from, for the planner.
   */
  submit(work: CommitBatch, device?: DeviceContext): Promise<boolean[]> {
    return new Promise((resolve, reject) => {
      this.enqueue(work, device, (inserted, from, error) => (inserted === undefined ? reject(error) : resolve(inserted.slice(from, from + work.readings.length))));
    });
  }

  /**
   * {@link submit} told through `settled` instead of a promise: what every message takes, so it
   * makes no promise or array of its own.
   */
  enqueue(work: CommitBatch, device: DeviceContext | undefined, settled: Settled): void {
    if (this.closed) {
      settled(undefined, 0, new GatewayError('GW_STORE_CLOSED', 'the gateway is stopping'));
      return;
    }
    this.pending.push({ work, device, settled });
    this.pendingReadings += work.readings.length;
    if (!this.canStart()) return; // a running commit's completion flushes
    if (this.pendingReadings >= this.maxReadingsPerCommit) this.flush();
    else this.scheduled ??= setImmediate(() => this.flush());
  }

  /**
   * Whether a commit may start now: none running, or one running on a pipelined writer with all well
   * and a planner (if any) able to plan beside it.
   */
  private canStart(): boolean {
    if (this.inFlight === 0) return true;
    return this.inFlight < this.depth && !this.draining && (this.planner === undefined || this.planner.pipelines?.() === true);
  }

  /** Starts a commit of everything pending, if one may start. */
  private flush(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.pending.length === 0 || !this.canStart()) return;
    if (this.inFlight === 0) this.draining = false;
    const batch = this.pending;
    this.pending = [];
    this.pendingReadings = 0;
    const before = this.inFlight === 0 ? undefined : this.last;
    this.inFlight++;
    this.last = this.write(batch, before).finally(() => {
      this.inFlight--;
      this.flush();
    });
  }

  /**
   * Plans and writes one batch. `before`: the commit still in flight when this one started, which
   * settles (with any failure handled) before this one does.
   */
  private async write(batch: Pending[], before?: Promise<void>, replans = 0): Promise<void> {
    const started = performance.now();
    let receipt: CommitReceipt = { inserted: [] };
    let plan: CommitPlan | undefined;
    let combined: CommitBatch = EMPTY;
    let failure: { error: unknown } | undefined;
    try {
      plan = this.held(await this.planner?.plan(batch));
      const works = batch.map((p) => p.work);
      combined = combine(plan === undefined ? works : [...works, plan.work]);
      receipt = await this.writer.commit(combined, before !== undefined && this.planner !== undefined);
    } catch (error) {
      failure = { error };
      this.draining = true; // nothing more starts beside it before its failure is handled
    }
    if (before !== undefined) await before;
    if (failure !== undefined) return this.failed(batch, plan, failure.error, replans);
    this.lastCommitFailed = false;
    plan?.settle(true);
    const { inserted } = receipt;
    this.stats.committed(batch.length, inserted.length, performance.now() - started);
    for (const watch of this.watchers) watch(combined, receipt);
    let offset = 0;
    for (const p of batch) {
      p.settled(inserted, offset);
      offset += p.work.readings.length;
    }
  }

  /** A plan, kept until settled, and settled once. */
  private held(plan: CommitPlan | undefined): CommitPlan | undefined {
    if (plan === undefined) return undefined;
    const held: CommitPlan = {
      work: plan.work,
      settle: (committed) => {
        if (this.unsettledPlans.delete(held)) plan.settle(committed);
      },
    };
    this.unsettledPlans.add(held);
    return held;
  }

  /**
   * A commit failed (every earlier one settled by now): planned afresh, or each message alone, or
   * failed. The plans of commits started beside it, made on it, fail with it (the writer refuses
   * their commits) before anything is planned again.
   */
  private async failed(batch: Pending[], plan: CommitPlan | undefined, error: unknown, replans: number): Promise<void> {
    plan?.settle(false);
    for (const later of [...this.unsettledPlans]) later.settle(false);
    // Planned on a commit that then failed, or on one the plan needed settled: planned afresh on what is committed now.
    if (error instanceof GatewayError && error.code === 'GW_COMMIT_UNSETTLED' && replans < MAX_REPLANS) return this.write(batch, undefined, replans + 1);
    if (plan !== undefined && replans < MAX_REPLANS && this.planner?.conflict?.(error) === true) {
      this.stats.replanned?.();
      return this.write(batch, undefined, replans + 1);
    }
    // One bad message must not sink the others that shared its transaction: commit each alone
    // (each planned afresh, on what is committed by then).
    if (batch.length > 1) {
      for (const p of batch) await this.write([p]);
      return;
    }
    // A change refused as stale (another gateway changed the alert first) is no failure of the store.
    if (this.planner?.conflict?.(error) !== true) this.lastCommitFailed = true;
    this.stats.commitFailed(batch.length);
    for (const p of batch) p.settled(undefined, 0, error);
  }

  /** False from a failed commit until the next one succeeds (for `/healthz`). */
  healthy(): boolean {
    return !this.lastCommitFailed;
  }

  /** Refuses new work and resolves once everything submitted is committed. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.flush();
    while (this.inFlight > 0) await this.last;
  }
}

/** The lists of a batch other than its readings, outbox and health, concatenated as they come. */
const LISTS = ['deadLetters', 'outboxResults', 'corrections', 'derived', 'derivationState', 'alerts', 'audit', 'reviews', 'breaches'] as const;
type ListName = (typeof LISTS)[number];
type Lists = { -readonly [K in ListName]-?: NonNullable<CommitBatch[K]>[number][] };
const IS_LIST: ReadonlySet<string> = new Set(LISTS);

/**
 * Many submissions as one batch: readings concatenated (outbox entries' reading indexes shifted to
 * match), health merged per device. One pass over the submissions, copying only the lists they
 * hold: a commit joins hundreds of messages, most with readings and health alone.
 */
function combine(works: readonly CommitBatch[]): CommitBatch {
  const readings: Reading[] = [];
  const outbox: OutboxEntry[] = [];
  const health = new HealthMerge();
  const lists: Lists = { deadLetters: [], outboxResults: [], corrections: [], derived: [], derivationState: [], alerts: [], audit: [], reviews: [], breaches: [] };
  for (const w of works) {
    const shift = readings.length;
    for (const r of w.readings) readings.push(r);
    for (const h of w.health) health.add(h);
    if (w.outbox !== undefined) for (const e of w.outbox) outbox.push(shift === 0 ? e : shifted(e, shift));
    // The other lists it holds (a message's work holds one of the nine): fewer look-ups than asking for each.
    for (const name in w) {
      if (!IS_LIST.has(name)) continue;
      const from = w[name as ListName];
      if (from === undefined || from.length === 0) continue;
      const to = lists[name as ListName] as unknown[];
      for (const x of from) to.push(x);
    }
  }
  return { ...lists, readings, outbox, health: health.updates() };
}

/** An outbox entry whose readings moved `by` places in the combined batch (a literal: a spread costs several times more, per reading). */
function shifted(e: OutboxEntry, by: number): OutboxEntry {
  const moved: Mutable<OutboxEntry> = { sink: e.sink, payload: e.payload, firstReading: e.firstReading + by, readingCount: e.readingCount };
  if (e.lane !== undefined) moved.lane = e.lane;
  if (e.completion !== undefined) moved.completion = e.completion;
  return moved;
}

/**
 * One health update per device per commit: the latest seen/reading times, and the newest clock and
 * status facts (later messages override earlier ones), so a busy device costs one upsert a batch.
 */
export function mergeHealth(updates: readonly HealthUpdate[]): HealthUpdate[] {
  const merge = new HealthMerge();
  for (const u of updates) merge.add(u);
  return merge.updates();
}

/** Health updates merged as they come: a copy per device, updated in place (never the updates given). */
class HealthMerge {
  private readonly byDevice = new Map<string, Mutable<HealthUpdate>>();

  add(u: HealthUpdate): void {
    const into = this.byDevice.get(u.deviceId);
    if (into === undefined) {
      this.byDevice.set(u.deviceId, copied(u));
      return;
    }
    if (u.seenAtMs > into.seenAtMs) into.seenAtMs = u.seenAtMs;
    if (u.readingAtMs !== undefined && (into.readingAtMs === undefined || u.readingAtMs > into.readingAtMs)) into.readingAtMs = u.readingAtMs;
    if (u.clockOffsetMs !== undefined) into.clockOffsetMs = u.clockOffsetMs;
    if (u.clockDrift !== undefined) into.clockDrift = u.clockDrift;
    if (u.status !== undefined) into.status = into.status === undefined ? u.status : { ...into.status, ...u.status };
  }

  /** In order of each device's first update. */
  updates(): HealthUpdate[] {
    return [...this.byDevice.values()];
  }
}

/** `u` made field by field (a spread costs several times more, once per device and commit). */
function copied(u: HealthUpdate): Mutable<HealthUpdate> {
  const out: Mutable<HealthUpdate> = { deviceId: u.deviceId, seenAtMs: u.seenAtMs };
  if (u.readingAtMs !== undefined) out.readingAtMs = u.readingAtMs;
  if (u.clockOffsetMs !== undefined) out.clockOffsetMs = u.clockOffsetMs;
  if (u.clockDrift !== undefined) out.clockDrift = u.clockDrift;
  if (u.status !== undefined) out.status = u.status;
  return out;
}

/** A readonly record made field by field. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

