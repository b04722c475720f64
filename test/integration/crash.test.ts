import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { tempDir } from '../helpers/gateway.js';
import { provisionThermometer, spawnGateway, unlimitedProfiles, type GatewayProcess } from '../helpers/process.js';
import { useCleanups } from '../helpers/cleanup.js';

const defer = useCleanups();

const payload = (id: string, i: number) =>
  JSON.stringify({ messageId: id, takenAt: new Date(Date.now() - 1000).toISOString(), values: { bodyTemperature: 36 + (i % 20) / 10 } });

describe('crash safety', () => {
  it('after SIGKILL under a QoS 1 stream, every acknowledged reading is stored exactly once after restart and redelivery', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const profilesDir = unlimitedProfiles(tmp.dir);
    const creds = await provisionThermometer(tmp.dir, profilesDir);
    const args = ['--data-dir', tmp.dir, '--profiles-dir', profilesDir, '--log-level', 'silent'];

    const first: GatewayProcess = await spawnGateway(args);
    defer(() => first.child.kill('SIGKILL'));
    const login = { clientId: creds.deviceId, username: creds.deviceId, password: creds.secret, reconnectPeriod: 0 };
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${first.port}`, login);
    client.on('error', () => {});

    const sent = new Map<string, string>(); // message id → the exact payload, as a device keeps it for redelivery
    const acked = new Set<string>();
    let n = 0;
    let killed = false;
    let closed = false;
    // Keep 50 publishes in flight; kill the gateway once 400 are acknowledged, and keep publishing
    // on each PUBACK still arriving until the connection is gone: the stream never pauses, so
    // publishes are in flight whenever the gateway dies.
    await new Promise<void>((resolve) => {
      client.once('close', () => {
        closed = true;
        resolve();
      });
      const pump = (): void => {
        if (closed) return;
        const id = `t-${n}`;
        sent.set(id, payload(id, n));
        n += 1;
        client.publish(`devices/${creds.deviceId}/readings`, sent.get(id) ?? '', { qos: 1 }, (error) => {
          if (error !== undefined && error !== null) return;
          acked.add(id);
          if (acked.size >= 400 && !killed) {
            killed = true;
            first.child.kill('SIGKILL');
          }
          pump();
        });
      };
      for (let i = 0; i < 50; i++) pump();
    });
    await first.exited;
    client.end(true);
    const ackedAtKill = new Set(acked);
    expect(sent.size).toBeGreaterThan(ackedAtKill.size); // publishes were in flight when it died

    // Restart on the same data dir; the device redelivers everything it has no PUBACK for.
    const second = await spawnGateway(args);
    defer(() => second.stop());
    const again = await mqtt.connectAsync(`mqtt://127.0.0.1:${second.port}`, login);
    defer(() => again.endAsync());
    const unacked = [...sent.keys()].filter((id) => !ackedAtKill.has(id));
    await Promise.all(unacked.map((id) => again.publishAsync(`devices/${creds.deviceId}/readings`, sent.get(id) ?? '', { qos: 1, dup: true })));
    // and, being unsure, replays a slice of what was acknowledged too
    await Promise.all([...ackedAtKill].slice(0, 50).map((id) => again.publishAsync(`devices/${creds.deviceId}/readings`, sent.get(id) ?? '', { qos: 1 })));

    const store = new SqliteStore(join(tmp.dir, 'gateway.db'));
    defer(() => store.close());
    const rows = store.readings.query({ deviceId: creds.deviceId });
    const perMessage = new Map<string, number>();
    for (const r of rows) perMessage.set(r.messageId ?? '', (perMessage.get(r.messageId ?? '') ?? 0) + 1);
    for (const id of ackedAtKill) expect(perMessage.get(id), id).toBe(1);
    expect(rows).toHaveLength(sent.size);
    expect([...perMessage.values()].every((c) => c === 1)).toBe(true);
  });
});
