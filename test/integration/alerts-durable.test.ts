import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { ClinicianRegistry } from '../../src/clinicians/index.js';
import { DeviceRegistry, type DeviceCredentials } from '../../src/devices/index.js';
import { ManualClock, systemClock } from '../../src/domain/index.js';
import { loadProfiles } from '../../src/profiles/index.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { seededRandom, testNhsNumbers } from '../../simulators/index.js';
import { useCleanups } from '../helpers/cleanup.js';
import { startGateway, tempDir } from '../helpers/gateway.js';
import { collect, connectDevice } from '../helpers/mqtt.js';
import { runCli, spawnGateway, unlimitedProfiles, type GatewayProcess } from '../helpers/process.js';
import { until } from '../helpers/until.js';

const defer = useCleanups();

/** A webhook receiver that records each POST's event id; on `port` when given (a receiver coming back). */
async function receiver(port = 0): Promise<{ url: string; port: number; events: string[]; close: () => Promise<void> }> {
  const events: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      events.push(String(req.headers['x-vg-event-id']));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const close = () => new Promise<void>((r) => server.close(() => r()));
  defer(close);
  const bound = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${bound}/alerts`, port: bound, events, close };
}

/** A port nothing listens on (a receiver that is down: connections refused). */
async function downPort(): Promise<number> {
  const r = await receiver();
  await r.close();
  return r.port;
}

/** Each device's one reading, kept (as a device keeps it for redelivery): the same bytes every time. */
const takenAt = new Date(Date.now() - 60_000).toISOString();
const breach = (deviceId: string) => JSON.stringify({ messageId: `${deviceId}-m1`, takenAt, values: { systolic: 190, diastolic: 90 } });

describe('alerts as durable as readings', () => {
  it('after SIGKILL after SIGKILL, every acknowledged reading over a threshold has exactly one alert, and its clinician hears of it', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const profilesDir = unlimitedProfiles(tmp.dir);
    const hook = await receiver();
    const patients = testNhsNumbers(24, seededRandom(14));
    const devices: DeviceCredentials[] = [];
    {
      const store = new SqliteStore(join(tmp.dir, 'gateway.db'));
      const registry = new DeviceRegistry(store.devices, loadProfiles(profilesDir), systemClock);
      const clinicians = new ClinicianRegistry(store.clinicians, systemClock);
      await clinicians.add('dr-kill', 'Dr Kill', { url: hook.url, key: new Uint8Array(32).fill(7) });
      for (const [i, nhs] of patients.entries()) {
        devices.push(await registry.add({ profileId: 'bp-upper-arm', patient: nhs, deviceId: `cuff-k${i}` }));
        await clinicians.assign('dr-kill', nhs);
      }
      store.close();
    }
    const args = ['--data-dir', tmp.dir, '--profiles-dir', profilesDir, '--log-level', 'silent'];
    const acked = new Set<string>();
    // Rounds: every device connects, then those without a PUBACK publish their one breaching
    // reading (and a few that had one publish it again, being unsure). The gateway is killed once a
    // third, then two thirds, are acknowledged, with the rest in flight; the last round runs on.
    for (const killAt of [8, 16, Number.POSITIVE_INFINITY]) {
      const gw: GatewayProcess = await spawnGateway(args);
      defer(() => gw.child.kill('SIGKILL'));
      const clients = await Promise.all(
        devices.map(async (d) => {
          const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.port}`, { clientId: d.deviceId, username: d.deviceId, password: d.secret, reconnectPeriod: 0 });
          c.on('error', () => {});
          return { d, c };
        }),
      );
      const sending = clients.filter(({ d }, i) => !acked.has(d.deviceId) || i % 5 === 0);
      await new Promise<void>((resolve) => {
        let settled = 0;
        for (const { d, c } of sending) {
          c.publish(`devices/${d.deviceId}/readings`, breach(d.deviceId), { qos: 1 }, (error) => {
            settled += 1;
            if (error === undefined || error === null) acked.add(d.deviceId);
            if (acked.size >= killAt && gw.child.exitCode === null) gw.child.kill('SIGKILL');
            if (acked.size >= killAt || settled === sending.length) resolve();
          });
        }
      });
      if (killAt !== Number.POSITIVE_INFINITY) {
        await gw.exited;
        for (const { c } of clients) c.end(true);
        continue;
      }
      // The last round runs until every delivery went out, then stops.
      await until(async () => new Set(hook.events).size, (n) => n >= patients.length, 'every alert delivered to the webhook', 20_000);
      await Promise.all(clients.map(({ c }) => c.endAsync()));
      await gw.stop();
    }
    expect(acked.size).toBe(devices.length);

    const store = new SqliteStore(join(tmp.dir, 'gateway.db'));
    defer(() => store.close());
    const alerts = store.alerts.list({});
    // Exactly one alert per reading over the threshold (one per patient), opened once.
    expect(alerts.filter((a) => a.ruleId === 'severe-hypertension')).toHaveLength(patients.length);
    expect(new Set(alerts.filter((a) => a.ruleId === 'severe-hypertension').map((a) => a.patientNhs)).size).toBe(patients.length);
    for (const a of alerts) expect(store.alerts.events(a.id).filter((e) => e.state === 'open')).toHaveLength(1);
    for (const d of devices) expect(store.readings.query({ deviceId: d.deviceId }).filter((r) => r.metric === 'systolic')).toHaveLength(1);
    // Each change reached the clinician's webhook: every event id once at least (a POST cut short by
    // a kill before its outbox entry was cleared may come twice, with the same event id).
    const opened = alerts.filter((a) => a.ruleId === 'severe-hypertension').map((a) => `${a.id}:open:${a.openedAtMs}`);
    expect(new Set(hook.events)).toEqual(new Set(opened));
  }, 120_000);

  it('an alert commit that fails leaves no phantom state: the redelivered reading alerts, and so does the next breach', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const gw = await startGateway(tmp.dir, { profilesDir: unlimitedProfiles(tmp.dir) });
    defer(() => gw.stop());
    const creds = await gw.addDevice('bp-upper-arm', { id: 'cuff-fail-1' });
    // Another process makes every alert write fail, as a full disk or a broken table would.
    const other = new Database(join(tmp.dir, 'gateway.db'));
    defer(() => other.close());
    other.exec(`CREATE TRIGGER refuse_alerts BEFORE INSERT ON alerts BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);

    const first = await connectDevice(gw.url, creds);
    first.on('error', () => {});
    const closed = new Promise<void>((r) => first.once('close', () => r()));
    const payload = JSON.stringify({ messageId: 'f1', takenAt: new Date(Date.now() - 120_000).toISOString(), values: { systolic: 195, diastolic: 90 } });
    first.publish(`devices/${creds.deviceId}/readings`, payload, { qos: 1 });
    // No PUBACK: the reading and its alert failed together, and the connection is closed.
    await closed;
    expect(gw.store.readings.query({ deviceId: creds.deviceId })).toHaveLength(0);
    expect(gw.store.alerts.list({})).toHaveLength(0);

    other.exec('DROP TRIGGER refuse_alerts');
    const again = await connectDevice(gw.url, creds);
    await again.publishAsync(`devices/${creds.deviceId}/readings`, payload, { qos: 1, dup: true });
    await again.endAsync();
    const [alert] = gw.store.alerts.list({ open: true });
    expect(alert).toMatchObject({ ruleId: 'severe-hypertension', value: 195 });

    // Now the resolution fails once: the alert stays open, and the breach after it is a repeat.
    other.exec(`CREATE TRIGGER refuse_alerts BEFORE UPDATE ON alerts BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    const third = await connectDevice(gw.url, creds);
    third.on('error', () => {});
    const thirdClosed = new Promise<void>((r) => third.once('close', () => r()));
    third.publish(`devices/${creds.deviceId}/readings`, JSON.stringify({ messageId: 'f2', takenAt: new Date(Date.now() - 60_000).toISOString(), values: { systolic: 150, diastolic: 85 } }), { qos: 1 });
    await thirdClosed;
    other.exec('DROP TRIGGER refuse_alerts');
    const fourth = await connectDevice(gw.url, creds);
    defer(() => fourth.endAsync());
    await fourth.publishAsync(`devices/${creds.deviceId}/readings`, JSON.stringify({ messageId: 'f3', takenAt: new Date(Date.now() - 30_000).toISOString(), values: { systolic: 200, diastolic: 90 } }), { qos: 1 });
    expect(gw.store.alerts.list({})).toHaveLength(1);
    expect(gw.store.alerts.list({ open: true })).toHaveLength(1);
  });
});

describe('alert deliveries: one per change, recipient and channel', () => {
  const settings = (dir: string) => ({ profilesDir: unlimitedProfiles(dir), 'alerts.flushIntervalMs': 20, 'alerts.retryBaseMs': 1_000, 'alerts.retryMaxMs': 60_000 });
  const reading = (i: number, systolic: number) => JSON.stringify({ messageId: `r${i}`, takenAt: new Date(Date.now() - 300_000 + i * 1000).toISOString(), values: { systolic, diastolic: 85 } });

  it('one receiver down for 10 minutes (injected clock) holds up no one: the others get each change within a second, it gets all of them once, in order, after', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const clock = new ManualClock(Date.now());
    const gw = await startGateway(tmp.dir, settings(tmp.dir), clock);
    defer(() => gw.stop());
    const a = await receiver();
    const b = await receiver();
    const cPort = await downPort();
    const registry = new ClinicianRegistry(gw.store.clinicians, systemClock);
    const key = new Uint8Array(32).fill(1);
    for (const [id, url] of [['dr-a', a.url], ['dr-b', b.url], ['dr-c', `http://127.0.0.1:${cPort}/alerts`]] as const) {
      await registry.add(id, id, { url, key });
      await registry.assign(id, '9434765919');
    }
    const cuff = await connectDevice(gw.url, await gw.addDevice('bp-upper-arm', { id: 'cuff-lanes-1' }));
    defer(() => cuff.endAsync());
    const started = performance.now();
    for (const [i, systolic] of [[1, 190], [2, 150], [3, 195]] as const) await cuff.publishAsync('devices/cuff-lanes-1/readings', reading(i, systolic), { qos: 1 });
    await until(async () => a.events.length + b.events.length, (n) => n >= 6, 'three changes at each working receiver', 5_000);
    expect(performance.now() - started).toBeLessThan(1_000 + 500); // within a second of the last reading (and the publishes)
    const changes = gw.store.alerts.list({}).flatMap((al) => gw.store.alerts.events(al.id).map((e) => ({ ...e, id: `${al.id}:${e.state}:${e.at}` }))).sort((x, y) => x.at - y.at || x.id.localeCompare(y.id));
    expect(changes).toHaveLength(3);
    expect(a.events).toEqual(b.events);
    expect(new Set(a.events).size).toBe(3);

    // Ten minutes of refused connections: retried with back-off, the others never sent again.
    for (let minute = 1; minute <= 10; minute++) {
      clock.advance(60_000);
      await new Promise((r) => setTimeout(r, 60));
    }
    expect(gw.store.outbox.stats('alert-webhook')).toMatchObject({ pending: 3, dead: 0 });
    const c = await receiver(cPort);
    clock.advance(61_000); // past the longest back-off
    await until(async () => c.events.length, (n) => n >= 3, 'the third receiver catching up', 5_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(c.events).toEqual(a.events); // all of them, once, in the order they happened
    expect(a.events).toHaveLength(3);
    expect(b.events).toHaveLength(3);
    expect(gw.store.outbox.stats('alert-webhook')).toMatchObject({ pending: 0, dead: 0 });
  });

  it('keeps a change undelivered for 24 hours as dead (counted, /healthz degraded with its age), and outbox requeue sends it once the receiver is back', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const clock = new ManualClock(Date.now());
    const gw = await startGateway(tmp.dir, settings(tmp.dir), clock);
    defer(() => gw.stop());
    const port = await downPort();
    const registry = new ClinicianRegistry(gw.store.clinicians, systemClock);
    await registry.add('dr-d', 'dr-d', { url: `http://127.0.0.1:${port}/alerts`, key: new Uint8Array(32).fill(2) });
    await registry.assign('dr-d', '9434765919');
    const cuff = await connectDevice(gw.url, await gw.addDevice('bp-upper-arm', { id: 'cuff-ttl-1' }));
    defer(() => cuff.endAsync());
    await cuff.publishAsync('devices/cuff-ttl-1/readings', reading(1, 190), { qos: 1 });
    await until(async () => (await gw.metrics.render()).match(/vg_outbox_failures_total\{sink="alert-webhook",retry="ambiguous"\} (\d+)/)?.[1], (n) => Number(n) >= 1, 'a failed delivery');
    clock.advance(24 * 60 * 60_000 + 60_000);
    await until(async () => gw.store.outbox.stats('alert-webhook').dead, (n) => n === 1, 'the delivery kept as dead', 5_000);
    const health = (await (await fetch(`http://127.0.0.1:${gw.httpPort as number}/healthz`)).json()) as Record<string, unknown>;
    // Both channels: the webhook refused connections, and dr-d's MQTT client never came (away for 24 hours).
    expect(health).toMatchObject({ ok: true, status: 'degraded', alertDeliveries: { dead: 2, oldestDeadAgeSeconds: expect.any(Number) } });
    expect((health['alertDeliveries'] as { oldestDeadAgeSeconds: number }).oldestDeadAgeSeconds).toBeGreaterThanOrEqual(24 * 60 * 60);
    expect(await gw.metrics.render()).toMatch(/vg_outbox_alert_webhook_dead 1\n/);

    const listed = await runCli(['outbox', 'list', '--sink', 'alerts', '--json', '--data-dir', tmp.dir]);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ sink: 'alert-mqtt', recipient: 'dr-d', reason: 'undelivered for 1440 minutes: recipient away' }),
      expect.objectContaining({ sink: 'alert-webhook', recipient: 'dr-d', reason: expect.stringContaining('undelivered for 1440 minutes: webhook unreachable') }),
    ]);
    const back = await receiver(port);
    const requeued = await runCli(['outbox', 'requeue', '--sink', 'alerts', '--reason', 'webhook unreachable', '--json', '--data-dir', tmp.dir]);
    expect(JSON.parse(requeued.stdout)).toEqual({ requeued: 1 });
    clock.advance(61_000);
    await until(async () => back.events.length, (n) => n === 1, 'the requeued change delivered', 5_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(back.events).toHaveLength(1);
    expect(gw.store.outbox.stats('alert-webhook')).toMatchObject({ pending: 0, dead: 0 });
    expect(gw.store.outbox.stats('alert-mqtt')).toMatchObject({ pending: 0, dead: 1 });
  });

  it('a clinician offline through three changes and a gateway restart receives all three on reconnecting, in order, once', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    let gw = await startGateway(tmp.dir, settings(tmp.dir));
    const registry = new ClinicianRegistry(gw.store.clinicians, systemClock);
    const { secret } = await registry.add('dr-off', 'Dr Off');
    await registry.assign('dr-off', '9434765919');
    const login = { clientId: 'clinician:dr-off', username: 'clinician:dr-off', password: secret, reconnectPeriod: 0, clean: true };
    // Online once, then away.
    const before = await mqtt.connectAsync(gw.url, login);
    await before.subscribeAsync('clinicians/dr-off/alerts', { qos: 1 });
    await before.endAsync();
    const creds = await gw.addDevice('bp-upper-arm', { id: 'cuff-off-1' });
    let cuff = await connectDevice(gw.url, creds);
    await cuff.publishAsync('devices/cuff-off-1/readings', reading(1, 190), { qos: 1 });
    await cuff.publishAsync('devices/cuff-off-1/readings', reading(2, 150), { qos: 1 });
    await cuff.endAsync();
    await gw.stop();
    gw = await startGateway(tmp.dir, settings(tmp.dir));
    defer(() => gw.stop());
    cuff = await connectDevice(gw.url, creds);
    defer(() => cuff.endAsync());
    await cuff.publishAsync('devices/cuff-off-1/readings', reading(3, 195), { qos: 1 });
    expect(gw.store.outbox.stats('alert-mqtt').pending).toBe(3);

    const back = await mqtt.connectAsync(gw.url, login);
    defer(() => back.endAsync());
    const inbox = await collect(back, 'clinicians/dr-off/alerts');
    await until(async () => inbox.messages.length, (n) => n >= 3, 'three changes on reconnecting', 5_000);
    await new Promise((r) => setTimeout(r, 300));
    const got = inbox.messages.map((m) => m.json as { state: string; value: number; eventId: string });
    expect(got.map((m) => [m.state, m.value])).toEqual([['open', 190], ['resolved', 150], ['open', 195]]);
    expect(new Set(got.map((m) => m.eventId)).size).toBe(3);
    await until(async () => gw.store.outbox.stats('alert-mqtt').pending, (n) => n === 0, 'every delivery acknowledged');
  });
});
