import { RetryClass, type Clock } from '../../domain/index.js';
import type { Logger } from '../../observability/index.js';
import type { OutboxResult } from '../../store/reading-store.js';
import { backoffMs } from './backoff.js';

export interface OutboxSource {
  pending(sink: string, limit: number): readonly { readonly id: number; readonly payload: string }[];
}

export interface SenderMetrics {
  outboxDelivered(sink: string, entries: number): void;
  outboxFailed(sink: string, retry: RetryClass): void;
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
 * entries stay in SQLite, so an outage of any length, or a restart, loses nothing.
 */
export class OutboxSender {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failures = 0;
  private pausedUntilMs = 0;
  private stopped = false;

  constructor(
    private readonly options: SenderOptions,
    private readonly source: OutboxSource,
    private readonly deliver: (payloads: readonly string[]) => Promise<void>,
    private readonly record: (results: readonly OutboxResult[]) => Promise<unknown>,
    private readonly clock: Clock,
    private readonly random: () => number,
    private readonly metrics: SenderMetrics,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.options.pollIntervalMs).unref();
  }

  /** Sends what is due, until the outbox is empty or a failure pauses the sender. */
  tick(): Promise<void> {
    this.running ??= this.drain()
      .catch((error: unknown) => {
        // e.g. the store closing under a stop: the entries stay in the outbox for the next run
        this.log.warn({ sink: this.options.sink, err: error instanceof Error ? error.message : String(error) }, 'outbox results not recorded');
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Stops after the batch in flight. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async drain(): Promise<void> {
    while (!this.stopped && this.clock.now() >= this.pausedUntilMs) {
      const batch = this.source.pending(this.options.sink, this.options.batchSize);
      if (batch.length === 0) return;
      const results = await this.send(batch);
      if (results.length > 0) await this.record(results);
      if (results.length < batch.length) return; // paused
    }
  }

  /** Results for the entries settled; fewer than sent means a transient failure paused the sender. */
  private async send(batch: readonly { id: number; payload: string }[]): Promise<OutboxResult[]> {
    try {
      await this.deliver(batch.map((e) => e.payload));
      this.failures = 0;
      this.metrics.outboxDelivered(this.options.sink, batch.length);
      return batch.map((e) => ({ id: e.id, delivered: true }));
    } catch (error) {
      const { retry, retryAfterMs } = retryOf(error);
      const message = error instanceof Error ? error.message : String(error);
      this.metrics.outboxFailed(this.options.sink, retry);
      if (retry === RetryClass.Permanent) {
        if (batch.length === 1) {
          this.log.error({ sink: this.options.sink, outboxId: batch[0]?.id, err: message }, 'output refused an entry for good: kept as dead');
          return [{ id: (batch[0] as { id: number }).id, delivered: false, error: message }];
        }
        // Find the entries the server refuses: each alone (the others go through).
        const results: OutboxResult[] = [];
        for (const entry of batch) {
          const settled = await this.send([entry]);
          if (settled.length === 0) break;
          results.push(...settled);
        }
        return results;
      }
      this.failures += 1;
      const waitMs = backoffMs(this.failures, this.options.backoff, this.random, retryAfterMs);
      this.pausedUntilMs = this.clock.now() + waitMs;
      this.log.warn({ sink: this.options.sink, failures: this.failures, retryInMs: waitMs, err: message }, 'output unavailable: entries kept, retrying later');
      return [];
    }
  }
}
