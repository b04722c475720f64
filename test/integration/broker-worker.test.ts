/**
 * The gateway as a worker on an external broker: real Mosquitto (MQTT 5 shared subscriptions), real
 * mqtt.js devices, the real pipeline and SQLite file.
 */
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { ClinicianRegistry } from '../../src/clinicians/index.js';
import { ALERT_MQTT_SINK } from '../../src/outputs/alerts/index.js';
import { DeviceRegistry, mosquittoHash, type DeviceCredentials } from '../../src/devices/index.js';
import { systemClock } from '../../src/domain/index.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundledProfilesDir } from '../../src/config/index.js';
import { loadProfiles } from '../../src/profiles/index.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { useCleanups } from '../helpers/cleanup.js';
import { anonymousDevice, streamReadings, thermometerReading, WORKER_BROKER_LINES } from '../helpers/mqtt.js';
import { runCli, spawnWorker } from '../helpers/process.js';
import { startGateway, tempDir, TEST_NHS, type TestGateway } from '../helpers/gateway.js';
import { MosquittoBroker, mosquittoMissing } from '../helpers/mosquitto.js';
import { until } from '../helpers/until.js';

const defer = useCleanups();

const BROKER_LINES = WORKER_BROKER_LINES;

const device = (url: string, id: string): Promise<MqttClient> => anonymousDevice(url, id, defer);

/** Readings in a worker's SQLite file, read through a connection of the test's own (another process may write it). */
function storedIn(dataDir: string): number {
  const db = new Database(join(dataDir, 'gateway.db'), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM readings').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function workerOn(broker: MosquittoBroker, dataDir: string, overrides: Record<string, unknown> = {}): Promise<TestGateway> {
  const gw = await startGateway(dataDir, { 'broker.url': broker.url, 'broker.connections': 4, 'broker.reconnectMs': 100, ...overrides });
  defer(() => gw.stop());
  await gw.worker?.whenReady();
  return gw;
}

describe.skipIf(mosquittoMissing)('a worker on an external broker (Mosquitto, MQTT 5 shared subscriptions)', () => {
  it('takes 2,000 QoS 1 readings from 20 devices over 4 connections: each stored once, none doubled', async () => {
    const broker = await MosquittoBroker.start(BROKER_LINES);
    defer(() => broker.stop());
    const tmp = tempDir();
    defer(tmp.remove);
    const gw = await workerOn(broker, tmp.dir);
    expect(gw.mqttPort).toBeUndefined();
    expect(gw.worker?.status()).toMatchObject({ up: 4, connections: 4 });
    const devices: DeviceCredentials[] = [];
    for (let d = 0; d < 20; d++) devices.push(await gw.addDevice('thermometer', { id: `thermo-${d}` }));

    const acked = (await Promise.all(devices.map(async (d) => streamReadings(await device(broker.url, d.deviceId), d.deviceId, 100)))).flat();
    expect(acked).toHaveLength(2_000);
    await until(async () => gw.store.readings.readingCount(), (n) => n >= 2_000, 'every reading stored');
    // Publish the first 100 again (a device that missed its PUBACKs): duplicates, not stored twice.
    const again = await device(broker.url, 'thermo-0');
    await streamReadings(again, 'thermo-0', 100);
    await until(async () => Number((await gw.metrics.registry.getSingleMetric('vg_readings_duplicate_total')?.get())?.values.reduce((n, v) => n + v.value, 0) ?? 0), (n) => n >= 100, 'the repeats counted as duplicates');
    expect(gw.store.readings.readingCount()).toBe(2_000);
    const db = new Database(join(tmp.dir, 'gateway.db'), { readonly: true });
    defer(() => db.close());
    const perDevice = db.prepare('SELECT device_id AS d, COUNT(*) AS n FROM readings GROUP BY device_id').all() as { d: string; n: number }[];
    expect(perDevice).toHaveLength(20);
    expect(perDevice.every((r) => r.n === 100)).toBe(true);
  });

  it('answers a bad reading on the device\'s rejected topic, and keeps messages from unknown and revoked devices as dead letters', async () => {
    const broker = await MosquittoBroker.start(BROKER_LINES);
    defer(() => broker.stop());
    const tmp = tempDir();
    defer(tmp.remove);
    const gw = await workerOn(broker, tmp.dir, { 'broker.connections': 2, 'mqtt.revocationCheckMs': 10 });
    const cuff = await gw.addDevice('thermometer', { id: 'thermo-1' });
    const client = await device(broker.url, cuff.deviceId);
    const rejections: unknown[] = [];
    client.on('message', (_t, payload) => rejections.push(JSON.parse(payload.toString())));
    await client.subscribeAsync(`devices/${cuff.deviceId}/rejected`, { qos: 1 });

    await client.publishAsync(`devices/${cuff.deviceId}/readings`, JSON.stringify({ messageId: 'hot', takenAt: new Date().toISOString(), values: { bodyTemperature: 99 } }), { qos: 1 });
    await until(async () => rejections, (r) => r.length === 1, 'the rejection');
    expect(rejections[0]).toMatchObject({ messageId: 'hot', accepted: 0, issues: [{ code: 'value-out-of-range' }] });

    const stranger = await device(broker.url, 'nobody-1');
    await stranger.publishAsync('devices/nobody-1/readings', thermometerReading('x-1', 1), { qos: 1 });
    new DeviceRegistry(gw.store.devices, gw.profiles, systemClock).revoke(cuff.deviceId);
    await new Promise((r) => setTimeout(r, 20)); // past mqtt.revocationCheckMs (10 ms): the worker reads the registry again
    await client.publishAsync(`devices/${cuff.deviceId}/readings`, thermometerReading('late', 1), { qos: 1 });
    const letters = await until(async () => gw.store.deadLetters.list(), (l) => l.length === 3, 'three dead letters');
    expect(letters.map((l) => [l.topic, l.deviceId, l.issues[0]?.code]).sort()).toEqual([
      ['devices/nobody-1/readings', undefined, 'device-unknown'],
      [`devices/${cuff.deviceId}/readings`, cuff.deviceId, 'device-revoked'],
      [`devices/${cuff.deviceId}/readings`, cuff.deviceId, 'value-out-of-range'],
    ].sort());
    expect(gw.store.readings.readingCount()).toBe(0);
  });

  it('never sends a PUBACK before its reading is committed (checked on the wire, against the SQLite file, for every PUBACK)', async () => {
    const broker = await MosquittoBroker.start(BROKER_LINES);
    defer(() => broker.stop());
    const tmp = tempDir();
    defer(tmp.remove);
    const tap = await PubackTap.start(broker.port, join(tmp.dir, 'gateway.db'));
    defer(() => tap.stop());
    const gw = await workerOn(broker, tmp.dir, { 'broker.url': `mqtt://127.0.0.1:${tap.port}`, 'broker.connections': 3 });
    const devices: DeviceCredentials[] = [];
    for (let d = 0; d < 5; d++) devices.push(await gw.addDevice('thermometer', { id: `thermo-${d}` }));
    await Promise.all(devices.map(async (d) => streamReadings(await device(broker.url, d.deviceId), d.deviceId, 100)));
    await until(async () => tap.checked, (n) => n >= 500, 'a PUBACK for every reading');
    expect(tap.violations).toEqual([]);
    expect(gw.store.readings.readingCount()).toBe(500);
  });

  it('keeps receiving across a graceful broker restart, subscribing again, with nothing acknowledged lost', async () => {
    const broker = await MosquittoBroker.start(BROKER_LINES, { persistent: true });
    defer(() => broker.stop());
    const tmp = tempDir();
    defer(tmp.remove);
    const gw = await workerOn(broker, tmp.dir, { 'broker.session': 'persistent', 'broker.connections': 2 });
    const d = await gw.addDevice('thermometer', { id: 'thermo-1' });
    const before = await streamReadings(await device(broker.url, d.deviceId), d.deviceId, 200, 10, 'a');
    const health = async () => ((await (await fetch(`http://127.0.0.1:${gw.httpPort}/healthz`)).json()) as { status: string; broker: { up: number } });
    expect(await health()).toMatchObject({ status: 'ok', broker: { up: 2, connections: 2 } });
    await broker.restart(() => until(health, (h) => h.status === 'degraded' && h.broker.up === 0, 'the worker degraded while its broker is down'));
    // Mosquitto may report the session present without its shared subscription: the worker subscribes again.
    await until(async () => gw.worker?.status().up ?? 0, (n) => n === 2, 'both connections back');
    const after = await streamReadings(await device(broker.url, d.deviceId), d.deviceId, 200, 10, 'b');
    await until(async () => gw.store.readings.readingCount(), (n) => n >= 400, `every acknowledged reading stored (${before.length} + ${after.length})`, 30_000);
    expect(gw.store.readings.readingCount()).toBe(400);
  });
});

describe.skipIf(mosquittoMissing)('a worker on Mosquitto with the registry\'s password and ACL files', () => {
  it('devices get in with their own secrets, rejections reach them, and a severe BP reaches the clinician through the broker once', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const files = tempDir('vg-mosquitto-files-');
    defer(files.remove);
    // The registry as `devices add` and `clinicians add` fill it.
    const store = new SqliteStore(join(tmp.dir, 'gateway.db'));
    const cuff = await new DeviceRegistry(store.devices, loadProfiles(bundledProfilesDir()), systemClock, store.brokerCredentials).add({ profileId: 'bp-upper-arm', patient: TEST_NHS, deviceId: 'cuff-1' });
    const accounts = new ClinicianRegistry(store.clinicians, systemClock, undefined, store.brokerCredentials);
    const { secret: drSecret } = await accounts.add('dr-a', 'Dr A');
    await accounts.assign('dr-a', TEST_NHS);
    const { secret: lateSecret } = await accounts.add('dr-b', 'Dr B');
    await accounts.assign('dr-b', TEST_NHS);
    store.close();
    // The workers' own account, added as the operator would (mqtt.md: what the account needs).
    writeFileSync(join(files.dir, 'worker.passwords'), `worker:${await mosquittoHash('worker-secret-0123456789')}\n`);
    writeFileSync(join(files.dir, 'worker.acl'), ['user worker', 'topic read devices/+/readings', 'topic read devices/+/status', 'topic read devices/+/corrections', 'topic write devices/+/rejected', 'topic write clinicians/+/alerts', ''].join('\n'));
    const written = await runCli(['broker', 'mosquitto-files', '--out', files.dir, '--include-passwords', join(files.dir, 'worker.passwords'), '--include-acl', join(files.dir, 'worker.acl'), '--data-dir', tmp.dir]);
    expect(written.code, written.stderr).toBe(0);
    const broker = await MosquittoBroker.start(['allow_anonymous false', `password_file ${join(files.dir, 'passwords')}`, `acl_file ${join(files.dir, 'acl')}`, 'max_queued_messages 1000000'], { persistent: true });
    defer(() => broker.stop());

    const gw = await workerOn(broker, tmp.dir, { 'broker.username': 'worker', 'broker.password': 'worker-secret-0123456789', 'broker.connections': 2, 'alerts.flushIntervalMs': 50, 'alerts.retryBaseMs': 50, 'alerts.retryMaxMs': 200 });
    const doctor = await mqtt.connectAsync(broker.url, { clientId: 'clinician.dr-a', username: 'clinician.dr-a', password: drSecret, protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 600 }, reconnectPeriod: 0 });
    defer(() => doctor.endAsync(true));
    const alerts: { rule: string; state: string }[] = [];
    doctor.on('message', (_t, payload) => alerts.push(JSON.parse(payload.toString()) as { rule: string; state: string }));
    await doctor.subscribeAsync('clinicians/dr-a/alerts', { qos: 1 });

    const device = await mqtt.connectAsync(broker.url, { clientId: 'cuff-1', username: 'cuff-1', password: cuff.secret, protocolVersion: 5, reconnectPeriod: 0 });
    defer(() => device.endAsync(true));
    const rejected: unknown[] = [];
    device.on('message', (_t, payload) => rejected.push(JSON.parse(payload.toString())));
    await device.subscribeAsync('devices/cuff-1/rejected', { qos: 1 });
    const bp = (id: string, systolic: number, diastolic: number) => JSON.stringify({ messageId: id, takenAt: new Date(Date.now() - 60_000).toISOString(), values: { systolic, diastolic } });
    await device.publishAsync('devices/cuff-1/readings', bp('bad', 80, 120), { qos: 1 });
    await device.publishAsync('devices/cuff-1/readings', bp('severe', 186, 96), { qos: 1 });
    await until(async () => rejected, (r) => r.length === 1, 'the rejection of the reading whose systolic is below its diastolic');
    expect(rejected[0]).toMatchObject({ messageId: 'bad', issues: [{ code: 'rule-violated' }] });
    await until(async () => alerts.filter((a) => a.rule === 'severe-hypertension'), (a) => a.length === 1, 'the alert at the clinician');
    expect(alerts.find((a) => a.rule === 'severe-hypertension')).toMatchObject({ state: 'open' });
    // Dr B has never connected: the broker answers "no matching subscribers" (PUBACK 0x10), so the
    // delivery waits rather than counting as done; once Dr B subscribes, it arrives.
    await until(async () => gw.store.outbox.stats(ALERT_MQTT_SINK).pending, (n) => n === 1, 'Dr A\'s delivery done at the broker\'s PUBACK, Dr B\'s waiting');
    await new Promise((r) => setTimeout(r, 300)); // several retries of the waiting lane (alerts.retryMaxMs: 200 ms)
    expect(gw.store.outbox.stats(ALERT_MQTT_SINK)).toMatchObject({ pending: 1, dead: 0 });
    const late = await mqtt.connectAsync(broker.url, { clientId: 'clinician.dr-b', username: 'clinician.dr-b', password: lateSecret, protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 600 }, reconnectPeriod: 0 });
    defer(() => late.endAsync(true));
    const lateAlerts: { rule: string }[] = [];
    late.on('message', (_t, payload) => lateAlerts.push(JSON.parse(payload.toString()) as { rule: string }));
    await late.subscribeAsync('clinicians/dr-b/alerts', { qos: 1 });
    await until(async () => lateAlerts.filter((a) => a.rule === 'severe-hypertension'), (a) => a.length === 1, 'the alert at Dr B once subscribed', 20_000);
    await until(async () => gw.store.outbox.stats(ALERT_MQTT_SINK).pending, (n) => n === 0, 'both deliveries done');
    expect(gw.store.readings.readingCount()).toBe(1);
    // Only the broker knows who is connected: the operators' device list says so (null), not "not connected".
    const operators = new ClinicianRegistry(gw.store.clinicians, systemClock);
    await operators.add('ops-1', 'Operations', undefined, 'operator');
    const { token } = await operators.issueToken('ops-1', 'test', gw.store.tokens);
    const listed = (await (await fetch(`http://127.0.0.1:${gw.webPort}/api/v1/devices`, { headers: { authorization: `Bearer ${token}` } })).json()) as { deviceId: string; connected: unknown }[];
    expect(listed).toEqual([expect.objectContaining({ deviceId: 'cuff-1', connected: null })]);
  });
});

describe.skipIf(mosquittoMissing)('a worker on a broker over TLS (mqtts://)', () => {
  const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url));

  it('checks the broker\'s certificate against broker.tls.caFile, and takes nothing from a broker it cannot verify', async () => {
    const broker = await MosquittoBroker.start([...BROKER_LINES, `certfile ${fixture('cert.pem')}`, `keyfile ${fixture('key.pem')}`]);
    defer(() => broker.stop());
    const url = `mqtts://127.0.0.1:${broker.port}`;
    const tmp = tempDir();
    defer(tmp.remove);
    const gw = await workerOn(broker, tmp.dir, { 'broker.url': url, 'broker.tls.caFile': fixture('cert.pem'), 'broker.connections': 2 });
    await gw.addDevice('thermometer', { id: 'thermo-1' });
    const client = await mqtt.connectAsync(url, { clientId: 'thermo-1', protocolVersion: 5, ca: readFileSync(fixture('cert.pem')), reconnectPeriod: 0 });
    defer(() => client.endAsync(true));
    await client.publishAsync('devices/thermo-1/readings', thermometerReading('tls-1', 1), { qos: 1 });
    await until(async () => gw.store.readings.readingCount(), (n) => n === 1, 'the reading over TLS');

    // Without the CA the self-signed broker is not trusted: no connection comes up, and health says so.
    const other = tempDir();
    defer(other.remove);
    const untrusting = await startGateway(other.dir, { 'broker.url': url, 'broker.connections': 2, 'broker.reconnectMs': 100, gatewayId: 'untrusting' });
    defer(() => untrusting.stop());
    const health = await until(
      async () => (await (await fetch(`http://127.0.0.1:${untrusting.httpPort}/healthz`)).json()) as { status: string; broker: { up: number; lastError?: string } },
      (h) => h.broker.lastError !== undefined,
      'the refused connection reported',
    );
    expect(health).toMatchObject({ status: 'degraded', broker: { up: 0, connections: 2, lastError: expect.stringMatching(/self[- ]signed/i) } });
    expect(untrusting.store.readings.readingCount()).toBe(0);
  });
});

describe.skipIf(mosquittoMissing)('retiring a worker (start --broker … --retire)', () => {
  it('takes the share its kept sessions collected while it was away, ends them, and the group\'s later messages all go to the others', async () => {
    const broker = await MosquittoBroker.start(BROKER_LINES);
    defer(() => broker.stop());
    const dirA = tempDir();
    defer(dirA.remove);
    const dirB = tempDir();
    defer(dirB.remove);
    const settings = { 'broker.session': 'persistent', 'broker.connections': 2 };
    // Worker A runs, then stops: its two sessions stay members of the group.
    const a = await workerOn(broker, dirA.dir, { ...settings, gatewayId: 'worker-a' });
    await a.addDevice('thermometer', { id: 'thermo-1' });
    await a.stop();
    const b = await workerOn(broker, dirB.dir, { ...settings, gatewayId: 'worker-b' });
    await b.addDevice('thermometer', { id: 'thermo-1' });

    const client = await device(broker.url, 'thermo-1');
    const first = await streamReadings(client, 'thermo-1', 400, 10, 'r');
    expect(first).toHaveLength(400);
    // Round robin over four members, two of them away: B stores about half; the rest waits in A's sessions.
    const bBefore = await until(async () => b.store.readings.readingCount(), (n) => n >= 150, 'worker B\'s share');
    expect(bBefore).toBeLessThan(300);

    const retired = await runCli(['start', '--broker', broker.url, '--retire', '--data-dir', dirA.dir, '--http-port', '0', '--web-port', '0', '--log-level', 'silent'], { VG_GATEWAY_ID: 'worker-a', VG_BROKER_CONNECTIONS: '2' });
    expect(retired.code, retired.stderr).toBe(0);
    const drained = Number(/retired: (\d+) messages taken from its kept sessions, 2 sessions ended/.exec(retired.stdout)?.[1]);
    expect(drained).toBeGreaterThan(100);
    await until(async () => storedIn(dirA.dir) + b.store.readings.readingCount(), (n) => n >= 400, 'all 400 stored by A or B');
    expect(storedIn(dirA.dir)).toBe(drained);
    expect(storedIn(dirA.dir) + b.store.readings.readingCount()).toBe(400);

    // A's sessions are gone: everything published now reaches B.
    const bAt = b.store.readings.readingCount();
    await streamReadings(client, 'thermo-1', 100, 10, 's');
    await until(async () => b.store.readings.readingCount(), (n) => n >= bAt + 100, 'the next 100 at B');
    expect(storedIn(dirA.dir)).toBe(drained);
  });
});

describe.skipIf(mosquittoMissing)('a worker killed mid-stream (kill -9), on Mosquitto with kept sessions', () => {
  it('stores every reading the broker acknowledged to its device exactly once after the worker returns under the same id', async () => {
    const broker = await MosquittoBroker.start(BROKER_LINES);
    defer(() => broker.stop());
    const tmp = tempDir();
    defer(tmp.remove);
    const dbFile = join(tmp.dir, 'gateway.db');
    const ids = Array.from({ length: 10 }, (_, d) => `thermo-${d}`);
    const store = new SqliteStore(dbFile);
    const registry = new DeviceRegistry(store.devices, loadProfiles(bundledProfilesDir()), systemClock);
    for (const id of ids) await registry.add({ profileId: 'thermometer', patient: '9434765919', deviceId: id });
    store.close();
    const configFile = join(tmp.dir, 'worker.json');
    writeFileSync(configFile, JSON.stringify({ broker: { session: 'persistent', sessionExpirySeconds: 600, connections: 4, reconnectMs: 100 } }));
    const args = ['--config', configFile, '--data-dir', tmp.dir, '--broker', broker.url, '--log-level', 'silent'];
    const stored = (): number => storedIn(tmp.dir);

    const first = await spawnWorker(args);
    defer(() => first.child.kill('SIGKILL'));
    const clients = await Promise.all(ids.map((id) => device(broker.url, id)));
    const streams = Promise.all(clients.map((c, d) => streamReadings(c, ids[d] ?? '', 300)));
    await until(async () => stored(), (n) => n >= 500, 'the first 500 stored');
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = stored();
    expect(atKill).toBeLessThan(3_000); // killed mid-stream

    // The devices go on; the broker keeps the dead worker's share in its sessions until it returns.
    const second = await spawnWorker(args);
    defer(() => second.stop());
    const acked = (await streams).flat();
    expect(acked).toHaveLength(3_000);
    await until(async () => stored(), (n) => n >= 3_000, 'every acknowledged reading stored', 60_000);
    const db = new Database(dbFile, { readonly: true });
    defer(() => db.close());
    const keys = db.prepare('SELECT reading_key AS k FROM readings').all() as { k: string }[];
    const byMessage = new Map<string, number>();
    for (const { k } of keys) {
      const id = k.slice(k.lastIndexOf('|m') + 2);
      byMessage.set(id, (byMessage.get(id) ?? 0) + 1);
    }
    expect(acked.filter((id) => byMessage.get(id) !== 1)).toEqual([]);
    expect(keys).toHaveLength(3_000);
  });
});

/**
 * A TCP proxy between the worker and the broker that reads the MQTT packets both ways: on each
 * PUBACK the worker sends, it checks — before passing it on — that the reading in the PUBLISH it
 * acknowledges is in the SQLite file, read through a connection of its own.
 */
class PubackTap {
  checked = 0;
  readonly violations: string[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(brokerPort: number, dbFile: string): Promise<PubackTap> {
    let tap: PubackTap | undefined;
    const server = createServer((worker) => {
      const upstream = tcpConnect(brokerPort, '127.0.0.1');
      tap?.sockets.add(worker).add(upstream);
      const pending = new Map<number, string>(); // packet id → message id of the PUBLISH in flight to the worker
      const fromBroker = mqttPacket.parser({ protocolVersion: 5 });
      const fromWorker = mqttPacket.parser({ protocolVersion: 5 });
      let db: Database.Database | undefined;
      fromBroker.on('packet', (p) => {
        if (p.cmd === 'publish' && p.messageId !== undefined) pending.set(p.messageId, (JSON.parse(p.payload.toString()) as { messageId: string }).messageId);
      });
      fromWorker.on('packet', (p) => {
        if (p.cmd !== 'puback' || p.messageId === undefined || tap === undefined) return;
        const id = pending.get(p.messageId);
        pending.delete(p.messageId);
        db ??= new Database(dbFile, { readonly: true, fileMustExist: true });
        const stored = id !== undefined && db.prepare('SELECT 1 FROM readings WHERE reading_key LIKE ?').get(`%|m${id}`) !== undefined;
        if (!stored) tap.violations.push(`PUBACK for ${id ?? `packet ${p.messageId}`} before its commit`);
        tap.checked += 1;
      });
      upstream.on('data', (chunk: Buffer) => {
        fromBroker.parse(chunk);
        worker.write(chunk);
      });
      // The check runs synchronously in `parse`, before the chunk holding the PUBACK goes on.
      worker.on('data', (chunk: Buffer) => {
        fromWorker.parse(chunk);
        upstream.write(chunk);
      });
      const close = () => {
        worker.destroy();
        upstream.destroy();
        db?.close();
        db = undefined;
      };
      worker.on('close', close).on('error', close);
      upstream.on('close', close).on('error', close);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    tap = new PubackTap(server, typeof address === 'object' && address !== null ? address.port : 0);
    return tap;
  }

  stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
