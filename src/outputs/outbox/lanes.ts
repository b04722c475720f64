import { backoffMs, RetryClass, type Clock } from '../../domain/index.js';
import type { Logger } from '../../observability/index.js';
import type { OutboxResult } from '../../store/reading-store.js';
import { SendCycle } from './cycle.js';
import type { SenderMetrics } from './sender.js';

/** A pending entry of a laned sink: one delivery to one recipient. */
export interface LaneRow {
  readonly id: number;
  readonly payload: string;
  readonly lane: string;
  readonly createdAtMs: number;
}

export interface LaneSource {
  /** Pending entries of `sink`, oldest first, leaving out the lanes in `skip`. */
  lanes(sink: string, skip: readonly string[], limit: number): readonly LaneRow[] | Promise<readonly LaneRow[]>;
}

/**
 * Delivers one entry. `delivered`: done (the entry goes). `away`: the recipient cannot take it now
 * and will say when it can (a clinician's MQTT client is offline): not a failure, the lane waits.
 * Throws a DeliveryError (or anything else: transient) when the delivery failed.
 */
export type DeliverOne = (row: LaneRow) => Promise<'delivered' | 'away'>;

export interface LaneSenderOptions {
  readonly sink: string;
  readonly batchSize: number;
  readonly pollIntervalMs: number;
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  /** An entry not delivered within this long is kept as dead. */
  readonly ttlMs: number;
  /**
   * Deliveries of one lane in flight at once, started in order (1: one at a time). More suits a
   * channel that keeps order itself: MQTT, whose client acknowledges in the order it received.
   */
  readonly window?: number;
}

interface LaneState {
  failures: number;
  retryAtMs: number;
  lastError: string;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Ships a sink whose entries are in lanes (alert deliveries: one lane per recipient and channel).
 * Within a lane, entries go one at a time in the order they were queued; lanes go side by side. A
 * failure pauses only its lane, with exponential back-off and jitter; a refusal for good keeps that
 * entry as dead and the lane goes on; a lane whose recipient is away waits until {@link wake}. An
 * entry still undelivered `ttlMs` after it was queued is kept as dead (with the last reason), and
 * can be put back with `outbox requeue`. Results are recorded through the commit path, so a
 * delivered entry is never sent again because another failed.
 */
export class LaneSender {
  private readonly cycle: SendCycle;
  private readonly state = new Map<string, LaneState>();
  private readonly away = new Set<string>();
  private sweptAtMs = -Infinity;

  constructor(
    private readonly options: LaneSenderOptions,
    private readonly source: LaneSource,
    private readonly deliver: DeliverOne,
    private readonly record: (results: readonly OutboxResult[]) => Promise<unknown>,
    private readonly clock: Clock,
    private readonly random: () => number,
    private readonly metrics: SenderMetrics,
    private readonly log: Logger,
  ) {
    const failed = (error: unknown): void => this.log.error({ sink: options.sink, err: message(error) }, 'outbox send cycle failed');
    this.cycle = new SendCycle(() => this.drain(), failed, options.pollIntervalMs);
  }

  start(): void {
    this.cycle.start();
  }

  /** The recipient of `lane` can take deliveries again (e.g. a clinician subscribed): send at once. */
  wake(lane: string): void {
    this.away.delete(lane);
    void this.tick();
  }

  /** Sends what is due, until nothing is left that can go now. */
  tick(): Promise<void> {
    return this.cycle.tick();
  }

  stop(): Promise<void> {
    return this.cycle.stop();
  }

  private skipped(now: number): string[] {
    const skip = [...this.away];
    for (const [lane, s] of this.state) if (s.retryAtMs > now) skip.push(lane);
    return skip;
  }

  private async drain(): Promise<void> {
    await this.sweepAway();
    while (!this.cycle.stopped) {
      const now = this.clock.now();
      const rows = await this.source.lanes(this.options.sink, this.skipped(now), this.options.batchSize);
      if (rows.length === 0) return;
      const byLane = new Map<string, LaneRow[]>();
      for (const row of rows) byLane.set(row.lane, [...(byLane.get(row.lane) ?? []), row]);
      const settled = await Promise.all([...byLane].map(([lane, queue]) => this.sendLane(lane, queue)));
      const results = settled.flat();
      if (results.length > 0) await this.record(results);
      // Nothing went (every lane paused or away): wait for the next tick or wake.
      if (!results.some((r) => !('expire' in r))) return;
    }
  }

  /**
   * One lane's entries in order, until one cannot go. With a window above 1 the next entries are
   * already on their way; those after one that could not go count as not delivered (sent again
   * later, in order; receivers drop repeats by event id).
   */
  private async sendLane(lane: string, queue: readonly LaneRow[]): Promise<OutboxResult[]> {
    const { sink, ttlMs } = this.options;
    const window = Math.max(1, this.options.window ?? 1);
    const results: OutboxResult[] = [];
    const started: Promise<'delivered' | 'away'>[] = [];
    const start = (i: number): void => {
      const row = queue[i];
      if (row === undefined || started.length !== i) return;
      const attempt = this.deliver(row);
      attempt.catch(() => undefined); // settled in order below, or abandoned after an earlier failure
      started.push(attempt);
    };
    for (let i = 0; i < window; i++) start(i);
    for (const [i, row] of queue.entries()) {
      const now = this.clock.now();
      const attempt = started[i] as Promise<'delivered' | 'away'>;
      try {
        const outcome = await attempt;
        start(i + window);
        if (outcome === 'away') {
          this.away.add(lane);
          if (row.createdAtMs < now - ttlMs) results.push(this.expire(lane, now, 'recipient away'));
          return results;
        }
        this.state.delete(lane);
        this.metrics.outboxDelivered(sink, 1);
        results.push({ id: row.id, delivered: true });
      } catch (error) {
        const retry = (error as { retry?: RetryClass }).retry ?? RetryClass.Transient;
        this.metrics.outboxFailed(sink, retry);
        if (retry === RetryClass.Permanent) {
          this.log.error({ sink, lane, outboxId: row.id, err: message(error) }, 'delivery refused for good: kept as dead');
          results.push({ id: row.id, delivered: false, error: message(error) });
          start(i + window);
          continue;
        }
        const s = this.state.get(lane) ?? { failures: 0, retryAtMs: 0, lastError: '' };
        s.failures += 1;
        s.lastError = message(error);
        const waitMs = backoffMs(s.failures, this.options.backoff, this.random, (error as { retryAfterMs?: number }).retryAfterMs);
        s.retryAtMs = now + waitMs;
        this.state.set(lane, s);
        if (s.failures === 1) this.log.warn({ sink, lane, err: s.lastError }, 'delivery failed: this recipient is retried with back-off, the others go on');
        if (row.createdAtMs < now - ttlMs) results.push(this.expire(lane, now, s.lastError));
        return results;
      }
    }
    return results;
  }

  /** Lanes whose recipient is away are not tried; once a minute their entries past the time to live are kept as dead. */
  private async sweepAway(): Promise<void> {
    const now = this.clock.now();
    if (this.away.size === 0 || now - this.sweptAtMs < 60_000) return;
    this.sweptAtMs = now;
    await this.record([...this.away].map((lane) => this.expire(lane, now, 'recipient away', false)));
  }

  private expire(lane: string, now: number, lastError: string, log = true): OutboxResult {
    const { sink, ttlMs } = this.options;
    if (log) this.log.error({ sink, lane }, 'deliveries undelivered past their time to live: kept as dead');
    return { expire: { sink, lane, beforeMs: now - ttlMs, error: `undelivered for ${Math.round(ttlMs / 60_000)} minutes: ${lastError}` } };
  }
}
