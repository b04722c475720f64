/**
 * Entry of the SQLite writer thread: owns the connection that commits readings, so the SQLite work
 * (index updates, fsync) runs beside the event loop that serves MQTT instead of blocking it.
 * Protocol: `{ id, batch }` in, `{ id, inserted }` or `{ id, error }` out; `{ close: true }` ends it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore } from './index.js';
import type { PackedBatch } from './readings.js';

export interface CommitRequest {
  readonly id: number;
  readonly batch: PackedBatch;
}
export type CommitReply = { readonly id: number; readonly inserted: boolean[] } | { readonly id: number; readonly error: string };

const port = parentPort;
if (port === null) throw new Error('writer-thread must run in a worker thread');
const store = new SqliteStore((workerData as { file: string }).file);

port.on('message', (msg: CommitRequest | { close: true }) => {
  if ('close' in msg) {
    store.close();
    port.close();
    return;
  }
  let reply: CommitReply;
  try {
    // Structured clone turns Buffers into Uint8Arrays; SQLite binds BLOBs from Buffers.
    const deadLetters = msg.batch.deadLetters.map((d) => ({ ...d, payload: Buffer.from(d.payload.buffer, d.payload.byteOffset, d.payload.byteLength) }));
    reply = { id: msg.id, inserted: store.readings.commitPacked({ ...msg.batch, deadLetters }).inserted as boolean[] };
  } catch (error) {
    reply = { id: msg.id, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
