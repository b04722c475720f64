/**
 * Entry of the SQLite writer thread: owns the connection that commits readings, so the SQLite work
 * (index updates, fsync) runs beside the event loop that serves MQTT instead of blocking it.
 * Protocol: `{ id, batch, afterPrevious }` in, `{ id, receipt }`, `{ id, error }` or `{ id, refused }`
 * out; `{ close: true }` ends it. Requests are written in the order they come; one sent
 * `afterPrevious` (planned on what the request before it changes) is refused, unwritten, when that
 * one was not committed: failed, or refused itself (so a chain of requests planned each on the one
 * before fails from its first failure on).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore } from './index.js';
import type { CommitReceipt } from '../reading-store.js';
import type { PackedBatch } from './readings.js';

export interface CommitRequest {
  readonly id: number;
  readonly batch: PackedBatch;
  readonly afterPrevious: boolean;
}
export type CommitReply = { readonly id: number; readonly receipt: CommitReceipt } | { readonly id: number; readonly error: string } | { readonly id: number; readonly refused: true };

const port = parentPort;
if (port === null) throw new Error('writer-thread must run in a worker thread');
const store = new SqliteStore((workerData as { file: string }).file);
/**
 * Whether this thread committed the last request (a refused one was not). False at first: a request
 * planned on one sent to a thread that has since died is refused.
 */
let previousCommitted = false;

port.on('message', (msg: CommitRequest | { close: true }) => {
  if ('close' in msg) {
    store.close();
    port.close();
    return;
  }
  let reply: CommitReply;
  if (msg.afterPrevious && !previousCommitted) {
    port.postMessage({ id: msg.id, refused: true } satisfies CommitReply);
    return;
  }
  try {
    // Structured clone turns Buffers into Uint8Arrays; SQLite binds BLOBs from Buffers.
    const deadLetters = msg.batch.deadLetters.map((d) => ({ ...d, payload: Buffer.from(d.payload.buffer, d.payload.byteOffset, d.payload.byteLength) }));
    reply = { id: msg.id, receipt: store.readings.commitPacked({ ...msg.batch, deadLetters }) };
    previousCommitted = true;
  } catch (error) {
    reply = { id: msg.id, error: error instanceof Error ? error.message : String(error) };
    previousCommitted = false;
  }
  port.postMessage(reply);
});
