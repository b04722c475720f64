import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { loadConfig } from '../../src/config/index.js';
import { GatewayError } from '../../src/domain/index.js';
import { sqliteBackend } from '../../src/backends/index.js';
import { Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/observability/index.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { startGateway, tempDir, type TestGateway } from '../helpers/gateway.js';
import { useCleanups } from '../helpers/cleanup.js';

const defer = useCleanups();

describe('gateway lifecycle', () => {
  it('stop() is safe before start() and idempotent after', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const idle = new Gateway(sqliteBackend, loadConfig([{ source: 'test', values: { dataDir: tmp.dir } }]), createLogger({ level: 'silent' }));
    await idle.stop();
    const gw = await startGateway(tmp.dir);
    await Promise.all([gw.stop(), gw.stop()]);
    await gw.stop();
  });

  it.each([
    ['mqtt.port', (g: TestGateway) => g.mqttPort, 'GW_BROKER_LISTEN_FAILED', 'cannot listen on 127.0.0.1:PORT: listen EADDRINUSE'],
    ['web.port', (g: TestGateway) => g.webPort, 'GW_HTTP_LISTEN_FAILED', 'cannot listen on 127.0.0.1:PORT (web.host, web.port): the port is in use'],
    ['http.port', (g: TestGateway) => g.httpPort, 'GW_HTTP_LISTEN_FAILED', 'cannot listen on 127.0.0.1:PORT (http.host, http.port): the port is in use'],
  ] as const)('fails clearly when the %s is taken, leaving nothing open', async (key, portOf, code, message) => {
    const a = tempDir();
    const b = tempDir();
    defer(a.remove);
    defer(b.remove);
    const first = await startGateway(a.dir);
    defer(() => first.stop());
    const taken = portOf(first) ?? 0;
    expect(taken).toBeGreaterThan(0);
    const failed = await startGateway(b.dir, { [key]: taken }).then(() => undefined, (e: unknown) => e);
    expect(failed).toBeInstanceOf(GatewayError);
    expect((failed as GatewayError).code).toBe(code);
    expect((failed as GatewayError).message).toContain(message.replace('PORT', String(taken)));
    // the store it opened was closed: a new gateway can open the same data dir at once
    const retry = await startGateway(b.dir);
    await retry.stop();
  });

  it('on stop, commits in-flight readings, then closes connections', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
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
    defer(() => store.close());
    const stored = new Set(store.readings.query({ deviceId: creds.deviceId }).map((r) => r.messageId));
    for (const i of acked) expect(stored).toContain(`b${i}`);
    expect(stored.size).toBeGreaterThanOrEqual(acked.length);
  });

  it('serves /metrics and /healthz over HTTP', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const gw = await startGateway(tmp.dir);
    defer(() => gw.stop());
    const base = `http://127.0.0.1:${gw.httpPort}`;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, mqttPort: gw.mqttPort, store: 'open' });
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await metrics.text()).toMatch(/# TYPE vg_readings_accepted_total counter/);
  });

  it('when a commit fails, sends no PUBACK, closes the connection, logs and reports unhealthy until commits succeed again', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const gw = await startGateway(tmp.dir);
    defer(() => gw.stop());
    const doomed = await gw.addDevice('thermometer');
    const healthy = await gw.addDevice('thermometer');
    const client = await mqtt.connectAsync(gw.url, { clientId: doomed.deviceId, username: doomed.deviceId, password: doomed.secret, reconnectPeriod: 0 });
    client.on('error', () => {});
    // Pull the device's row out from under its live session: its readings now break a foreign key.
    const raw = new Database(gw.config.dbFile);
    raw.prepare('DELETE FROM devices WHERE id = ?').run(doomed.deviceId);
    raw.close();
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    let acked = false;
    client.publish(`devices/${doomed.deviceId}/readings`, JSON.stringify({ takenAt: new Date().toISOString(), values: { bodyTemperature: 37 } }), { qos: 1 }, (e) => {
      acked = e === undefined || e === null;
    });
    await closed;
    expect(acked).toBe(false);
    const health = await fetch(`http://127.0.0.1:${gw.httpPort}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ ok: false, commits: 'failing' });
    expect(await gw.metrics.render()).toMatch(/vg_commit_failed_messages_total [1-9]/);

    const other = await mqtt.connectAsync(gw.url, { clientId: healthy.deviceId, username: healthy.deviceId, password: healthy.secret, reconnectPeriod: 0 });
    await other.publishAsync(`devices/${healthy.deviceId}/readings`, JSON.stringify({ takenAt: new Date().toISOString(), values: { bodyTemperature: 36.5 } }), { qos: 1 });
    await other.endAsync();
    expect((await fetch(`http://127.0.0.1:${gw.httpPort}/healthz`)).status).toBe(200);
  });
});
