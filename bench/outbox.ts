import { setTimeout as sleep } from 'node:timers/promises';
import type { OutboxStats } from './brokers/gateway.js';
import type { BenchChild } from './child.js';
import type { LoadEdge } from './load/generator.js';

/** How often the outbox is read while it drains. */
const DRAIN_POLL_MS = 100;
/** How long a drain may take before the run gives up on it (and fails its points check). */
const DRAIN_DEADLINE_MS = 60_000;

interface Sample {
  readonly atMs: number;
  readonly stats: OutboxStats;
}

/** The gateway's InfluxDB outbox while measured, and its drain after the load stopped. */
export interface OutboxResult {
  /** Points delivered over the measured interval, and those still queued at its end. */
  readonly window: { readonly delivered: number; readonly seconds: number; readonly backlogAtEnd: number };
  /** From the last PUBACK until nothing was pending (`drained`) or the deadline passed. */
  readonly drain: { readonly backlog: number; readonly delivered: number; readonly seconds: number; readonly drained: boolean };
  /** The outbox when the drain ended. */
  readonly final: OutboxStats;
}

/**
 * Reads the gateway's outbox (`outbox` command) at the edges of the measured interval and when the
 * last PUBACK arrived, then polls it until it is empty. Each sample is stamped halfway between
 * request and answer: the broker is busy, so the answer may take a few milliseconds.
 */
export class OutboxWatch {
  private readonly edges = new Map<LoadEdge, Sample>();

  constructor(private readonly broker: BenchChild) {}

  /** Samples the outbox at one edge of the load. */
  readonly mark = async (edge: LoadEdge): Promise<void> => {
    this.edges.set(edge, await this.sample());
  };

  /**
   * Waits for the outbox to empty and the `expected` points (one per acknowledged reading) to be
   * counted; call once the load is over. The count follows the store: a sender's results are
   * committed (and the outbox seen empty) a moment before the gateway counts them.
   */
  async drain(expected: number): Promise<OutboxResult> {
    const start = this.edges.get('measure-start');
    const end = this.edges.get('measure-end');
    const first = this.edges.get('load-end');
    if (start === undefined || end === undefined || first === undefined) throw new Error('the outbox was not sampled at every edge of the load');
    let last = first;
    while ((last.stats.pending > 0 || last.stats.delivered < expected) && last.atMs - first.atMs < DRAIN_DEADLINE_MS) {
      await sleep(DRAIN_POLL_MS);
      last = await this.sample();
    }
    return {
      window: { delivered: end.stats.delivered - start.stats.delivered, seconds: (end.atMs - start.atMs) / 1000, backlogAtEnd: end.stats.pending },
      drain: {
        backlog: first.stats.pending,
        delivered: last.stats.delivered - first.stats.delivered,
        seconds: (last.atMs - first.atMs) / 1000,
        drained: last.stats.pending === 0,
      },
      final: last.stats,
    };
  }

  private async sample(): Promise<Sample> {
    const sentAt = performance.now();
    const stats = await this.broker.call<OutboxStats>('outbox');
    return { atMs: (sentAt + performance.now()) / 2, stats };
  }
}
