/**
 * Entry of the SQLite writer thread: owns the connection that commits readings, so the SQLite work
 * (index updates, fsync) runs beside the event loop that serves MQTT instead of blocking it.
 * Protocol: `{ id, batch }` in, `{ close: true }` ends it; `{ id, inserted }` or `{ id, error }` out
 * on the `replies` port, each reply then counted in `sent` (shared memory: the main thread can see
 * one is waiting without its event loop).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { SqliteStore } from './index.js';
import type { EncodedBatch } from './readings.js';

export interface CommitRequest {
  readonly id: number;
  readonly batch: EncodedBatch;
}
export type CommitReply = { readonly id: number; readonly inserted: boolean[] } | { readonly id: number; readonly error: string };

const port = parentPort;
if (port === null) throw new Error('writer-thread must run in a worker thread');
const { file, replies, sent } = workerData as { file: string; replies: MessagePort; sent: Int32Array };
const store = new SqliteStore(file);

port.on('message', (msg: CommitRequest | { close: true }) => {
  if ('close' in msg) {
    store.close();
    replies.close();
    port.close();
    return;
  }
  let reply: CommitReply;
  try {
    // Structured clone turns Buffers into Uint8Arrays; SQLite binds BLOBs from Buffers.
    const deadLetters = msg.batch.deadLetters.map((d) => ({ ...d, payload: Buffer.from(d.payload.buffer, d.payload.byteOffset, d.payload.byteLength) }));
    reply = { id: msg.id, inserted: store.readings.commitEncoded({ ...msg.batch, deadLetters }).inserted as boolean[] };
  } catch (error) {
    reply = { id: msg.id, error: error instanceof Error ? error.message : String(error) };
  }
  // Posted first, then counted: a count the main thread sees always has its reply waiting.
  replies.postMessage(reply);
  Atomics.add(sent, 0, 1);
});
