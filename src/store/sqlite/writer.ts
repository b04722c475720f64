import type { Worker } from 'node:worker_threads';
import { GatewayError } from '../../domain/index.js';
import { siblingModule, startWorker } from '../../workers/index.js';
import type { CommitBatch, CommitReceipt } from '../reading-store.js';
import { packBatch } from './readings.js';
import type { CommitReply, CommitRequest } from './writer-thread.js';

interface Waiting {
  readonly resolve: (receipt: CommitReceipt) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Commits readings on a dedicated thread with its own SQLite connection (WAL lets the main
 * thread's connection read meanwhile). A commit's promise settles once the writer reports the
 * transaction durable. If the thread dies, waiting commits fail (their PUBACKs are never sent, so
 * devices redeliver) and the next commit starts a new thread.
 */
export class SqliteWriterThread {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;

  constructor(private readonly file: string) {}

  /** Commits are written in the order sent, the next taken while one is written (see {@link ReadingWriter.pipelined}). */
  readonly pipelined = true;

  commit(batch: CommitBatch, afterPrevious = false): Promise<CommitReceipt> {
    const worker = (this.worker ??= this.spawn());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, batch: packBatch(batch), afterPrevious } satisfies CommitRequest);
    });
  }

  /** Ends the thread after the commits already sent. Idempotent. */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker === undefined) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ close: true });
    await exited;
  }

  private spawn(): Worker {
    const worker = startWorker(siblingModule(import.meta.url, 'writer-thread'), { workerData: { file: this.file } });
    worker.on('message', (reply: CommitReply) => {
      const w = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (w === undefined) return;
      if ('refused' in reply) w.reject(new GatewayError('GW_COMMIT_UNSETTLED', 'planned on the commit before it, which failed'));
      else if ('error' in reply) w.reject(new GatewayError('GW_STORE_WRITE_FAILED', `commit failed: ${reply.error}`));
      else w.resolve(reply.receipt);
    });
    const fail = (why: string): void => {
      if (this.worker === worker) this.worker = undefined;
      for (const w of this.waiting.values()) w.reject(new GatewayError('GW_STORE_WRITE_FAILED', why));
      this.waiting.clear();
    };
    worker.on('error', (error) => fail(`writer thread failed: ${error.message}`));
    worker.on('exit', (code) => fail(`writer thread exited (${code})`));
    return worker;
  }
}
