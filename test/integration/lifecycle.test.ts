import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { loadConfig } from '../../src/config/index.js';
import { GatewayError } from '../../src/domain/index.js';
import { Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/observability/index.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { startGateway, tempDir } from '../helpers/gateway.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('gateway lifecycle', () => {
  it('stop() is safe before start() and idempotent after', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.remove);
    const idle = new Gateway(loadConfig([{ source: 'test', values: { dataDir: tmp.dir } }]), createLogger({ level: 'silent' }));
    await idle.stop();
    const gw = await startGateway(tmp.dir);
    await Promise.all([gw.stop(), gw.stop()]);
    await gw.stop();
  });

  it('fails clearly when the MQTT port is taken, leaving nothing open', async () => {
    const a = tempDir();
    const b = tempDir();
    cleanups.push(a.remove, b.remove);
    const first = await startGateway(a.dir);
    cleanups.push(() => first.stop());
    const failed = await startGateway(b.dir, { 'mqtt.port': first.mqttPort }).then(() => undefined, (e: unknown) => e);
    expect(failed).toBeInstanceOf(GatewayError);
    expect((failed as GatewayError).code).toBe('GW_BROKER_LISTEN_FAILED');
    // the store it opened was closed: a new gateway can open the same data dir at once
    const retry = await startGateway(b.dir);
    await retry.stop();
  });

  it('on stop, commits in-flight readings, then closes connections', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.remove);
    const gw = await startGateway(tmp.dir);
    const creds = await gw.addDevice('wrist-wearable');
    const client = await mqtt.connectAsync(gw.url, { clientId: creds.deviceId, username: creds.deviceId, password: creds.secret, reconnectPeriod: 0 });
    client.on('error', () => {});
    const acked: number[] = [];
    const batch = (i: number) => JSON.stringify([{ messageId: `b${i}`, takenAt: new Date().toISOString(), values: { heartRate: 60 + i } }]);
    for (let i = 0; i < 20; i++) client.publish(`devices/${creds.deviceId}/readings`, batch(i), { qos: 1 }, (e) => e || acked.push(i));
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await new Promise<void>((resolve) => client.once('packetreceive', () => resolve()));
    await gw.stop();
    await closed;
    // Every acknowledged message is stored; nothing is stored that was not handled completely.
    const store = new SqliteStore(gw.config.dbFile);
    cleanups.push(() => store.close());
    const stored = new Set(store.readings.query({ deviceId: creds.deviceId }).map((r) => r.messageId));
    for (const i of acked) expect(stored).toContain(`b${i}`);
    expect(stored.size).toBeGreaterThanOrEqual(acked.length);
  });

  it('serves /metrics and /healthz over HTTP', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.remove);
    const gw = await startGateway(tmp.dir);
    cleanups.push(() => gw.stop());
    const base = `http://127.0.0.1:${gw.httpPort}`;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, mqttPort: gw.mqttPort, store: 'open' });
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await metrics.text()).toMatch(/# TYPE vg_readings_accepted_total counter/);
  });
});
