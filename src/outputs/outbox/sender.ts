import { RetryClass, type Clock } from '../../domain/index.js';
import type { Logger } from '../../observability/index.js';
import type { OutboxResult, RefusedItem } from '../../store/reading-store.js';
import { backoffMs } from '../../domain/index.js';
import { SendCycle } from './cycle.js';

/** A pending outbox row: `items` payloads, one per line. */
export interface OutboxRow {
  readonly id: number;
  readonly payload: string;
  readonly items: number;
}

export interface OutboxSource {
  /** Pending rows after `afterId`, oldest first (from the store in this process, or claimed from a shared database). */
  pending(sink: string, afterId: number, limit: number): readonly OutboxRow[] | Promise<readonly OutboxRow[]>;
}

/**
 * Sends outbox rows; resolves with the number of items (e.g. points) delivered, and any items the
 * output refused for good on their own (the rest of their rows went through). Throws a
 * {@link DeliveryError} (or anything else: transient) when the rows were not delivered.
 */
export type Deliver = (rows: readonly OutboxRow[]) => Promise<number | { delivered: number; refused: readonly Omit<RefusedItem, 'sink'>[] }>;

/** A failed delivery, with what the sender may do about it. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retry: RetryClass,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

export interface SenderMetrics {
  outboxDelivered(sink: string, entries: number): void;
  outboxFailed(sink: string, retry: RetryClass): void;
  /** The output paused for its configuration or authorisation (why), or running again (undefined). */
  outputState?(sink: string, pausedReason: string | undefined): void;
}

export interface SenderOptions {
  readonly sink: string;
  readonly batchSize: number;
  readonly pollIntervalMs: number;
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
}

/** A failed delivery says whether to retry; anything else counts as transient. */
const retryOf = (error: unknown): { retry: RetryClass; retryAfterMs: number | undefined } => {
  const e = error as { retry?: RetryClass; retryAfterMs?: number };
  return { retry: e.retry ?? RetryClass.Transient, retryAfterMs: e.retryAfterMs };
};

/**
 * Ships one output's outbox: oldest entries first, in batches. Delivered entries are deleted and
 * permanently refused ones kept as dead (with the server's reason) through the same commit path
 * as readings. A transient failure pauses the sender with exponential back-off and jitter; the
 * entries stay in the outbox, so an outage of any length, or a restart, loses nothing.
 */
export class OutboxSender {
  private readonly cycle: SendCycle;
  private failures = 0;
  private pausedUntilMs = 0;
  /** Why the output is paused for its configuration or authorisation; undefined while it runs. */
  private pausedReason: string | undefined;
  /** Highest outbox id sent in this cycle: the next batch is read after it while the last one's results commit. */
  private cursor = 0;
  private recording: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: SenderOptions,
    private readonly source: OutboxSource,
    private readonly deliver: Deliver,
    private readonly record: (results: readonly OutboxResult[]) => Promise<unknown>,
    private readonly clock: Clock,
    private readonly random: () => number,
    private readonly metrics: SenderMetrics,
    private readonly log: Logger,
  ) {
    // e.g. the store failing under a read: the entries stay in the outbox for the next tick
    const failed = (error: unknown): void =>
      this.log.error({ sink: options.sink, err: error instanceof Error ? error.message : String(error) }, 'outbox send cycle failed');
    this.cycle = new SendCycle(() => this.drain(), failed, options.pollIntervalMs);
  }

  start(): void {
    this.cycle.start();
  }

  /** Sends what is due, until the outbox is empty or a failure pauses the sender. */
  tick(): Promise<void> {
    return this.cycle.tick();
  }

  /** Stops after the batch in flight. Idempotent. */
  stop(): Promise<void> {
    return this.cycle.stop();
  }

  private async drain(): Promise<void> {
    // Each cycle reads from the oldest pending entry: every earlier cycle's results are recorded,
    // and an entry put back after a fix (`outbox requeue`) is older than those sent since.
    this.cursor = 0;
    while (!this.cycle.stopped && this.clock.now() >= this.pausedUntilMs) {
      const batch = await this.source.pending(this.options.sink, this.cursor, this.options.batchSize);
      if (batch.length === 0) break;
      const { results, items } = await this.send(batch);
      if (results.length > 0) {
        this.cursor = (batch[results.length - 1] as { id: number }).id;
        // One results commit in flight, overlapping the next send.
        await this.recording;
        this.recording = this.record(results).then(
          () => this.metrics.outboxDelivered(this.options.sink, items),
          (error: unknown) => {
            this.cursor = 0; // not recorded: read them again (a resend is absorbed by the output)
            this.log.warn({ sink: this.options.sink, err: error instanceof Error ? error.message : String(error) }, 'outbox results not recorded: entries will be sent again');
          },
        );
      }
      if (results.length < batch.length) break; // paused
    }
    await this.recording;
  }

  /** Results for the rows settled, in order; fewer than sent means a transient failure paused the sender. */
  private async send(batch: readonly OutboxRow[]): Promise<{ results: OutboxResult[]; items: number }> {
    try {
      const outcome = await this.deliver(batch);
      this.failures = 0;
      if (this.pausedReason !== undefined) {
        this.pausedReason = undefined;
        this.metrics.outputState?.(this.options.sink, undefined);
        this.log.info({ sink: this.options.sink }, 'output running again: its queue is being sent');
      }
      const items = typeof outcome === 'number' ? outcome : outcome.delivered;
      const results: OutboxResult[] = batch.map((e) => ({ id: e.id, delivered: true }));
      if (typeof outcome !== 'number' && outcome.refused.length > 0) {
        const { sink } = this.options;
        for (const r of outcome.refused) this.log.error({ sink, err: r.error }, 'output refused an item for good: kept as dead');
        this.metrics.outboxFailed(sink, RetryClass.Permanent);
        results[0] = { id: (batch[0] as OutboxRow).id, delivered: true, refused: outcome.refused.map((r) => ({ sink, ...r })) };
      }
      return { results, items };
    } catch (error) {
      const { retry, retryAfterMs } = retryOf(error);
      const message = error instanceof Error ? error.message : String(error);
      this.metrics.outboxFailed(this.options.sink, retry);
      if (retry === RetryClass.Permanent) {
        if (batch.length === 1) {
          this.log.error({ sink: this.options.sink, outboxId: batch[0]?.id, err: message }, 'output refused an entry for good: kept as dead');
          return { results: [{ id: (batch[0] as { id: number }).id, delivered: false, error: message }], items: 0 };
        }
        // Find the rows the server refuses: each alone (the others go through).
        const settled = { results: [] as OutboxResult[], items: 0 };
        for (const entry of batch) {
          const one = await this.send([entry]);
          if (one.results.length === 0) break;
          settled.results.push(...one.results);
          settled.items += one.items;
        }
        return settled;
      }
      this.failures += 1;
      if (retry === RetryClass.Configuration) {
        // Misconfigured or not authorised: every entry waits, retried slowly; said once per change of state.
        const { maxMs } = this.options.backoff;
        const waitMs = backoffMs(this.failures, { baseMs: maxMs, maxMs: maxMs * 4 }, this.random, retryAfterMs);
        this.pausedUntilMs = this.clock.now() + waitMs;
        if (this.pausedReason !== message) {
          this.pausedReason = message;
          this.metrics.outputState?.(this.options.sink, message);
          this.log.error({ sink: this.options.sink, err: message }, 'output paused: fix its configuration or credentials; every entry is kept and sent once it answers');
        }
        return { results: [], items: 0 };
      }
      const waitMs = backoffMs(this.failures, this.options.backoff, this.random, retryAfterMs);
      this.pausedUntilMs = this.clock.now() + waitMs;
      this.log.warn({ sink: this.options.sink, failures: this.failures, retryInMs: waitMs, err: message }, 'output unavailable: entries kept, retrying later');
      return { results: [], items: 0 };
    }
  }
}
