import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { GatewayError } from '../../domain/index.js';
import { siblingModule, startWorker } from '../../workers/index.js';
import type { CommitBatch, CommitReceipt } from '../reading-store.js';
import { encodeBatch } from './readings.js';
import type { CommitReply, CommitRequest } from './writer-thread.js';

interface Waiting {
  readonly resolve: (receipt: CommitReceipt) => void;
  readonly reject: (error: Error) => void;
}

/** A running writer thread: where its replies come, and how many it has sent (shared memory). */
interface Thread {
  readonly worker: Worker;
  readonly replies: MessagePort;
  readonly sent: Int32Array;
  taken: number;
}

/**
 * Commits readings on a dedicated thread with its own SQLite connection (WAL lets the main
 * thread's connection read meanwhile). A commit's promise settles once the writer reports the
 * transaction durable. If the thread dies, waiting commits fail (their PUBACKs are never sent, so
 * devices redeliver) and the next commit starts a new thread.
 *
 * The writer counts its replies in shared memory, so `poll()` can take a commit's reply as soon as
 * it is sent: under load the main thread is busy with the devices' packets, and a reply left to the
 * event loop waits behind them, holding up the commit's PUBACKs and the next commit.
 */
export class SqliteWriterThread {
  private thread: Thread | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;

  constructor(private readonly file: string) {}

  commit(batch: CommitBatch): Promise<CommitReceipt> {
    const { worker } = (this.thread ??= this.spawn());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, batch: encodeBatch(batch) } satisfies CommitRequest);
    });
  }

  /** Settles, now, every commit the writer has already replied to (cheap when it has not): how many. */
  poll(): number {
    const thread = this.thread;
    if (thread === undefined || Atomics.load(thread.sent, 0) === thread.taken) return 0;
    let settled = 0;
    for (let m = receiveMessageOnPort(thread.replies); m !== undefined; m = receiveMessageOnPort(thread.replies), settled++) this.settle(thread, m.message as CommitReply);
    return settled;
  }

  /** Ends the thread after the commits already sent. Idempotent. */
  async stop(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    if (thread === undefined) return;
    const exited = new Promise<void>((resolve) => thread.worker.once('exit', () => resolve()));
    thread.worker.postMessage({ close: true });
    await exited;
  }

  private settle(thread: Thread, reply: CommitReply): void {
    thread.taken += 1;
    const w = this.waiting.get(reply.id);
    this.waiting.delete(reply.id);
    if (w === undefined) return;
    if ('error' in reply) w.reject(new GatewayError('GW_STORE_WRITE_FAILED', `commit failed: ${reply.error}`));
    else w.resolve({ inserted: reply.inserted });
  }

  private spawn(): Thread {
    const { port1: replies, port2 } = new MessageChannel();
    const sent = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    const worker = startWorker(siblingModule(import.meta.url, 'writer-thread'), { workerData: { file: this.file, replies: port2, sent }, transferList: [port2] });
    const thread: Thread = { worker, replies, sent, taken: 0 };
    replies.on('message', (reply: CommitReply) => this.settle(thread, reply));
    const fail = (why: string): void => {
      replies.close();
      if (this.thread === thread) this.thread = undefined;
      for (const w of this.waiting.values()) w.reject(new GatewayError('GW_STORE_WRITE_FAILED', why));
      this.waiting.clear();
    };
    worker.on('error', (error) => fail(`writer thread failed: ${error.message}`));
    worker.on('exit', (code) => fail(`writer thread exited (${code})`));
    return thread;
  }
}
