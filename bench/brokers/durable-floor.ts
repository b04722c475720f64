/**
 * The durable floor: what anyone could write in an afternoon to take readings durably. aedes (its
 * default hooks, no authentication), `JSON.parse` of each message, and one SQLite row per message
 * (unique on device and messageId, so a redelivery is stored once). Messages arriving together are
 * committed together on the main thread (WAL, `synchronous = FULL`), and each PUBACK is sent only
 * after its commit (aedes writes PUBACK when `authorizePublish` calls back). No validation, units,
 * alerts, outputs or anything else. Prints `{"port":…}` when listening; answers `stats`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { serveBroker } from './control.js';
import { watchGcPauses } from './gc-pauses.js';
import { openFloorStore } from './floor-store.js';
import type { GatewayStats } from './gateway.js';

const dir = mkdtempSync(join(tmpdir(), 'vg-bench-floor-'));
const store = openFloorStore(join(dir, 'floor.db'));

type Pending = { device: string; messageId: string; payload: string; done: (error: Error | null) => void };
let pending: Pending[] = [];
const gcSeconds = watchGcPauses();
let commits = 0;
let commitSeconds = 0;
const flush = () => {
  const batch = pending;
  pending = [];
  const started = performance.now();
  try {
    store.commit(batch);
  } catch (error) {
    for (const p of batch) p.done(error as Error); // no PUBACK: the device sends it again
    return;
  }
  commits++;
  commitSeconds += (performance.now() - started) / 1000;
  for (const p of batch) p.done(null);
};

const aedes = await Aedes.createBroker({
  authorizePublish: (_client, packet, done) => {
    let messageId: unknown;
    const payload = packet.payload.toString();
    try {
      messageId = (JSON.parse(payload) as { messageId?: unknown }).messageId;
    } catch {
      return done(new Error('not JSON'));
    }
    if (pending.length === 0) setImmediate(flush); // everything that arrives before then commits together
    pending.push({ device: packet.topic.split('/')[1] ?? '', messageId: String(messageId), payload, done });
  },
});
const server = createServer((conn) => aedes.handle(conn));
server.on('error', (error) => process.stderr.write(`durable floor server: ${error.message}\n`));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

serveBroker(
  { port: (server.address() as AddressInfo).port },
  {
    stats: async (): Promise<GatewayStats> => ({ rows: store.rows(), deadLetters: 0, commits, commitSeconds, gcSeconds: gcSeconds() }),
  },
  async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await closed;
    store.close();
    rmSync(dir, { recursive: true, force: true });
  },
);
