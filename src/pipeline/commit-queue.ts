import { GatewayError } from '../domain/index.js';
import type { CommitBatch, HealthUpdate, ReadingStore } from '../store/reading-store.js';

interface Pending {
  readonly work: CommitBatch;
  readonly resolve: (inserted: boolean[]) => void;
  readonly reject: (error: unknown) => void;
}

export interface CommitStats {
  /** Called after each durable commit with the number of messages and rows it held. */
  committed(messages: number, rows: number, durationMs: number): void;
}

/**
 * Group commit: work submitted during one turn of the event loop is written in one SQLite
 * transaction, and every submitter's promise settles only after that transaction is durable. This
 * is what lets the broker hold each QoS 1 PUBACK until its reading is committed while still
 * writing thousands of rows per second (one fsync per batch, not per message).
 */
export class CommitQueue {
  private pending: Pending[] = [];
  private pendingRows = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private closed = false;

  constructor(
    private readonly store: ReadingStore,
    private readonly maxRowsPerCommit: number,
    private readonly stats: CommitStats = { committed: () => {} },
  ) {}

  /** Resolves with, for each row of `work`, whether it was new (true) or a duplicate (false). */
  submit(work: CommitBatch): Promise<boolean[]> {
    if (this.closed) return Promise.reject(new GatewayError('GW_STORE_CLOSED', 'the gateway is stopping'));
    return new Promise((resolve, reject) => {
      this.pending.push({ work, resolve, reject });
      this.pendingRows += work.rows.length;
      if (this.pendingRows >= this.maxRowsPerCommit) this.flush();
      else this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Commits everything pending now. */
  flush(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.pendingRows = 0;
    const started = performance.now();
    let inserted: readonly boolean[];
    try {
      inserted = this.store.commit({
        rows: batch.flatMap((p) => p.work.rows),
        deadLetters: batch.flatMap((p) => p.work.deadLetters),
        health: mergeHealth(batch.flatMap((p) => p.work.health)),
      }).inserted;
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    this.stats.committed(batch.length, inserted.length, performance.now() - started);
    let offset = 0;
    for (const p of batch) {
      p.resolve(inserted.slice(offset, offset + p.work.rows.length));
      offset += p.work.rows.length;
    }
  }

  /** Commits what is pending and refuses new work. Idempotent. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}

/**
 * One health update per device per commit: the latest seen/reading times, and the newest clock and
 * status facts (later messages override earlier ones), so a busy device costs one upsert a batch.
 */
export function mergeHealth(updates: readonly HealthUpdate[]): HealthUpdate[] {
  const byDevice = new Map<string, HealthUpdate>();
  for (const u of updates) {
    const prev = byDevice.get(u.deviceId);
    if (prev === undefined) {
      byDevice.set(u.deviceId, u);
      continue;
    }
    const readingAtMs = Math.max(prev.readingAtMs ?? -Infinity, u.readingAtMs ?? -Infinity);
    byDevice.set(u.deviceId, {
      ...prev,
      ...u,
      seenAtMs: Math.max(prev.seenAtMs, u.seenAtMs),
      ...(Number.isFinite(readingAtMs) ? { readingAtMs } : {}),
      ...(prev.status !== undefined || u.status !== undefined ? { status: { ...prev.status, ...u.status } } : {}),
    });
  }
  return [...byDevice.values()];
}
