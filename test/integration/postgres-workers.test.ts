/**
 * Workers on PostgreSQL: two gateway processes in one shared-subscription group on real Mosquitto,
 * one real PostgreSQL database, real mqtt.js devices.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledProfilesDir, loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/index.js';
import { postgresBackend } from '../../src/backends/index.js';
import { Gateway } from '../../src/gateway.js';
import { ClinicianRegistry } from '../../src/clinicians/index.js';
import { DeviceRegistry, mosquittoHash } from '../../src/devices/index.js';
import { systemClock } from '../../src/domain/index.js';
import { loadProfiles } from '../../src/profiles/index.js';
import { PgDatabase, PgStore } from '../../src/store/postgres/index.js';
import { useCleanups } from '../helpers/cleanup.js';
import { webhookReceiver } from '../helpers/webhook.js';
import { anonymousDevice, streamReadings, thermometerReading, WORKER_BROKER_LINES } from '../helpers/mqtt.js';
import { tempDir, TEST_NHS } from '../helpers/gateway.js';
import { MosquittoBroker, mosquittoMissing } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/ports.js';
import { postgresMissing, PostgresServer } from '../helpers/postgres.js';
import { runCli, spawnWorker, unlimitedProfiles, type GatewayProcess } from '../helpers/process.js';
import { VictoriaMetrics, victoriaMetricsMissing } from '../helpers/victoria-metrics.js';
import { until } from '../helpers/until.js';

const defer = useCleanups();

const BROKER_LINES = WORKER_BROKER_LINES;

const device = (url: string, id: string): Promise<MqttClient> => anonymousDevice(url, id, defer);

/** A worker's counter of accepted readings, from its `/metrics`. */
async function accepted(worker: GatewayProcess | Omit<GatewayProcess, 'port'>): Promise<number> {
  const port = /metrics and health on http:\/\/[^:]+:(\d+)/.exec(worker.stdout())?.[1];
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return [...text.matchAll(/^vg_readings_accepted_total(?:\{[^}]*\})? (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

describe.skipIf(postgresMissing || mosquittoMissing)('workers on PostgreSQL sharing one broker group', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await PostgresServer.start();
  }, 60_000);
  afterAll(() => server?.stop());

  /** A worker's config: its own id (its client ids), the shared database and broker, kept sessions. */
  /** The webhook key in `dir`, made once: every worker reads the same, and none makes it. */
  function sharedKey(dir: string): string {
    const file = join(dir, 'webhook.key');
    if (!existsSync(file)) writeFileSync(file, randomBytes(32));
    return file;
  }

  function workerConfig(dir: string, gatewayId: string, url: string, alerts = false): string {
    const file = join(dir, `${gatewayId}.json`);
    const settings = {
      gatewayId,
      store: { postgres: { url, poolSize: 4 } },
      broker: { session: 'persistent', sessionExpirySeconds: 600, connections: 8, reconnectMs: 100 },
      web: { enabled: false },
      alerts: { enabled: alerts },
      webhookKeyFile: sharedKey(dir),
      ble: { enabled: false },
    };
    writeFileSync(file, JSON.stringify(settings));
    return file;
  }

  it('two workers share 20,000 QoS 1 readings from 100 devices, one killed (kill -9) mid-stream and restarted: each acknowledged reading stored exactly once', async () => {
    const url = await server.createDatabase();
    const broker = await MosquittoBroker.start(BROKER_LINES);
    defer(() => broker.stop());
    const tmp = tempDir();
    defer(tmp.remove);
    const ids = Array.from({ length: 100 }, (_, d) => `thermo-${d}`);
    const store = await PgStore.open(url);
    const registry = new DeviceRegistry(store.devices, loadProfiles(bundledProfilesDir()), systemClock);
    for (const id of ids) await registry.add({ profileId: 'thermometer', patient: TEST_NHS, deviceId: id });
    await store.close();
    const args = (id: string) => ['--config', workerConfig(tmp.dir, id, url), '--broker', broker.url, '--log-level', 'silent'];
    const db = new PgDatabase(url);
    defer(() => db.close());
    const stored = async () => Number((await db.query('SELECT COUNT(*) AS n FROM readings'))[0]?.['n']);

    const a = await spawnWorker(args('worker-a'));
    defer(() => a.stop());
    const b = await spawnWorker(args('worker-b'));
    defer(() => b.child.kill('SIGKILL'));
    const clients = await Promise.all(ids.map((id) => device(broker.url, id)));
    const streams = Promise.all(clients.map((c, d) => streamReadings(c, ids[d] ?? '', 200)));
    await until(stored, (n) => n >= 4_000, 'the first 4,000 stored', 60_000);
    const [fromA, fromB] = [await accepted(a), await accepted(b)];
    expect(fromA).toBeGreaterThan(0); // both take a share of the group
    expect(fromB).toBeGreaterThan(0);
    b.child.kill('SIGKILL');
    await b.exited;
    expect(await stored()).toBeLessThan(20_000); // killed mid-stream

    // B's share waits in its kept sessions until it returns under the same id.
    const again = await spawnWorker(args('worker-b'));
    defer(() => again.stop());
    const acked = (await streams).flat();
    expect(acked).toHaveLength(20_000);
    await until(stored, (n) => n >= 20_000, 'every acknowledged reading stored', 120_000);
    const keys = (await db.query('SELECT reading_key AS k FROM readings')).map((r) => r['k'] as string);
    const byMessage = new Map<string, number>();
    for (const k of keys) {
      const id = k.slice(k.lastIndexOf('|m') + 2);
      byMessage.set(id, (byMessage.get(id) ?? 0) + 1);
    }
    expect(acked.filter((id) => byMessage.get(id) !== 1)).toEqual([]);
    expect(keys).toHaveLength(20_000);
    expect(await db.query("SELECT COUNT(*)::int AS n FROM dead_letters")).toEqual([{ n: 0 }]);
  }, 180_000);

  it('PostgreSQL restarted mid-stream: the worker reports failing, acknowledges nothing it could not commit, and stores every acknowledged reading once when the database is back', async () => {
    const url = await server.createDatabase();
    const broker = await MosquittoBroker.start(BROKER_LINES, { persistent: true });
    defer(() => broker.stop());
    const ids = Array.from({ length: 5 }, (_, d) => `thermo-${d}`);
    const store = await PgStore.open(url);
    const registry = new DeviceRegistry(store.devices, loadProfiles(bundledProfilesDir()), systemClock);
    for (const id of ids) await registry.add({ profileId: 'thermometer', patient: TEST_NHS, deviceId: id });
    await store.close();
    const tmp = tempDir();
    defer(tmp.remove);
    const config = loadConfig([
      {
        source: 'test',
        values: {
          webhookKeyFile: sharedKey(tmp.dir),
          'store.postgres.url': url,
          'broker.url': broker.url,
          'broker.session': 'persistent',
          'broker.connections': 4,
          'broker.reconnectMs': 100,
          'http.port': 0,
          'web.enabled': false,
          'alerts.enabled': false,
          'ble.enabled': false,
        },
      },
    ]);
    const worker = new Gateway(postgresBackend, config, createLogger({ level: 'silent' }));
    defer(() => worker.stop());
    const parts = await worker.start();
    await parts.worker?.whenReady();
    const health = async () => (await (await fetch(`http://127.0.0.1:${parts.httpPort}/healthz`)).json()) as { status: string; commits: string };
    const db = new PgDatabase(url, { max: 1 });
    defer(() => db.close());
    const stored = async () => Number((await db.query('SELECT COUNT(*) AS n FROM readings'))[0]?.['n']);

    const clients = await Promise.all(ids.map((id) => device(broker.url, id)));
    const streams = Promise.all(clients.map((c, d) => streamReadings(c, ids[d] ?? '', 300)));
    await until(stored, (n) => n >= 200, 'the first 200 stored');
    await server.restart(() => until(health, (h) => h.status === 'failing' && h.commits === 'failing', 'failing while the database is down'));
    const acked = (await streams).flat();
    expect(acked).toHaveLength(1_500);
    await until(stored, (n) => n >= 1_500, 'every acknowledged reading stored once the database is back', 60_000);
    expect(await stored()).toBe(1_500);
    expect((await health()).status).toBe('ok');
  }, 120_000);

  it.skipIf(victoriaMetricsMissing)('two workers send each stored reading to InfluxDB once between them, from the shared outbox, under the same pseudonyms; a dead entry requeued from the command line goes out', async () => {
    const vm = await VictoriaMetrics.start();
    defer(() => vm.stop());
    const clock = await vm.clock(); // the server keeps only points near its own now
    const url = await server.createDatabase();
    const broker = await MosquittoBroker.start(BROKER_LINES);
    defer(() => broker.stop());
    const tmp = tempDir();
    defer(tmp.remove);
    const store = await PgStore.open(url);
    const cuff = await new DeviceRegistry(store.devices, loadProfiles(bundledProfilesDir()), systemClock).add({ profileId: 'bp-upper-arm', patient: TEST_NHS, deviceId: 'cuff-1' });
    await store.close();
    const settings = (gatewayId: string, keyFile: string) =>
      loadConfig([
        {
          source: 'test',
          values: {
            gatewayId,
            profilesDir: unlimitedProfiles(join(tmp.dir, gatewayId)),
            pseudonymKeyFile: keyFile,
            webhookKeyFile: sharedKey(tmp.dir),
            'store.postgres.url': url,
            'broker.url': broker.url,
            'broker.connections': 2,
            'http.enabled': false,
            'influx.url': vm.url,
            'influx.flushIntervalMs': 50,
            'web.enabled': false,
            'alerts.enabled': false,
            'ble.enabled': false,
          },
        },
      ]);
    // A worker never makes the pseudonym key itself: each must hold the same one.
    const keyless = new Gateway(postgresBackend, settings('worker-z', join(tmp.dir, 'missing.key')), createLogger({ level: 'silent' }), clock);
    await expect(keyless.start()).rejects.toThrow(/missing\.key does not exist: every worker needs the same key/);
    const key = join(tmp.dir, 'pseudonym.key');
    writeFileSync(key, randomBytes(32));
    const delivered: (() => Promise<number>)[] = [];
    for (const id of ['worker-a', 'worker-b']) {
      const worker = new Gateway(postgresBackend, settings(id, key), createLogger({ level: 'silent' }), clock);
      defer(() => worker.stop());
      const parts = await worker.start();
      await parts.worker?.whenReady();
      delivered.push(async () => Number(/^vg_outbox_delivered_total\{sink="influx"\} (\d+)/m.exec(await parts.metrics.render())?.[1] ?? 0));
    }
    const client = await mqtt.connectAsync(broker.url, { clientId: 'cuff-1', username: 'cuff-1', password: cuff.secret, protocolVersion: 5, reconnectPeriod: 0 });
    defer(() => client.endAsync(true));
    const t0 = clock.now() - 600_000;
    for (let i = 0; i < 40; i++) {
      await client.publishAsync('devices/cuff-1/readings', JSON.stringify({ messageId: `m${i}`, takenAt: new Date(t0 + i * 1000).toISOString(), values: { systolic: 100 + i, diastolic: 80, pulse: 60 } }), { qos: 1 });
    }
    const series = await vm.waitFor('{device="cuff-1"}', (found) => (found.find((x) => x.metric['__name__'] === 'blood_pressure_systolic')?.values.length ?? 0) >= 40);
    const systolic = series.filter((x) => x.metric['__name__'] === 'blood_pressure_systolic');
    expect(systolic).toHaveLength(1); // one series: both workers gave the patient the same pseudonym
    expect(systolic[0]?.values).toEqual(Array.from({ length: 40 }, (_, i) => 100 + i));
    const db = new PgDatabase(url, { max: 1 });
    defer(() => db.close());
    await until(async () => (await db.query("SELECT COUNT(*)::int AS n FROM outbox WHERE sink = 'influx'"))[0]?.['n'], (n) => n === 0, 'every outbox entry delivered and removed');
    // Sent once between them: the points the two workers delivered add up to the readings.
    const sent = async () => (await Promise.all(delivered.map((count) => count()))).reduce((n, c) => n + c, 0);
    await until(sent, (n) => n >= 40, 'the deliveries counted');
    expect(await sent()).toBe(40);

    // A dead entry (as one the server refused for good) is listed and requeued from the command line, then sent.
    await db.execute("INSERT INTO outbox (sink, payload, items, created_at, state, last_error) VALUES ('influx', $1, 1, $2, 'dead', 'refused: partial write')", [`requeue_check,device=cuff-1 value=7 ${clock.now() - 60_000}`, clock.now()]);
    const env = { VG_POSTGRES_URL: url };
    const listed = await runCli(['outbox', 'list', '--sink', 'influx', '--json'], env);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ sink: 'influx', items: 1, reason: 'refused: partial write' })]);
    const requeued = await runCli(['outbox', 'requeue', '--sink', 'influx'], env);
    expect(requeued.stdout).toContain('1 entry queued again');
    const again = await vm.waitFor('{__name__="requeue_check_value"}', (found) => found.length === 1);
    expect(again[0]?.values).toEqual([7]);
  });

  it('with the alert rules off, a worker still delivers an alert change made on the command line, signed with the key every worker shares', async () => {
    const url = await server.createDatabase();
    const tmp = tempDir();
    defer(tmp.remove);
    const env = { VG_POSTGRES_URL: url, VG_WEBHOOK_KEY_FILE: sharedKey(tmp.dir) };
    let secret = '';
    const { url: hook, received } = await webhookReceiver(defer, () => secret);
    const added = await runCli(['clinicians', 'add', '--id', 'dr-w', '--name', 'Dr W', '--webhook', hook, '--json'], env);
    expect(added.code, added.stderr).toBe(0);
    secret = (JSON.parse(added.stdout) as { webhookSecret: string }).webhookSecret;
    expect((await runCli(['clinicians', 'assign', 'dr-w', '--patient', TEST_NHS], env)).code).toBe(0);
    // An alert the rules opened before they were turned off.
    const store = await PgStore.open(url);
    const now = Date.now();
    await store.readings.commit({
      readings: [],
      deadLetters: [],
      health: [],
      alerts: [{ alert: { id: 'a-1', key: `${TEST_NHS}|cuff-1|severe-hypertension`, patientNhs: TEST_NHS, deviceId: undefined, ruleId: 'severe-hypertension', severity: 'critical', state: 'open', message: 'high', value: 190, openedAtMs: now, updatedAtMs: now }, by: 'rules', note: undefined }],
    });
    await store.close();
    const config = loadConfig([{ source: 'test', values: { webhookKeyFile: env.VG_WEBHOOK_KEY_FILE, 'store.postgres.url': url, 'broker.url': 'mqtt://127.0.0.1:1', 'http.enabled': false, 'web.enabled': false, 'alerts.enabled': false, 'alerts.flushIntervalMs': 50, 'ble.enabled': false } }]);
    const worker = new Gateway(postgresBackend, config, createLogger({ level: 'silent' }));
    defer(() => worker.stop());
    await worker.start({ retireWorker: true });
    const acked = await runCli(['alerts', 'ack', 'a-1', '--note', 'phoned the patient'], env);
    expect(acked.code, acked.stderr).toBe(0);
    await until(async () => received, (r) => r.length === 1, 'the webhook delivery');
    expect(received).toEqual([{ eventId: expect.stringMatching(/^a-1:acknowledged:/), state: 'acknowledged', valid: true }]);
    const db = new PgDatabase(url);
    defer(() => db.close());
    await until(async () => (await db.query(`SELECT COUNT(*)::int AS n FROM outbox WHERE sink = 'alert-webhook'`))[0]?.['n'], (n) => n === 0, 'the delivery done');
  });

  it('answers EMQX\'s HTTP authentication and authorisation from the devices and accounts in PostgreSQL', async () => {
    const url = await server.createDatabase();
    const store = await PgStore.open(url);
    const registry = new DeviceRegistry(store.devices, loadProfiles(bundledProfilesDir()), systemClock);
    const cuff = await registry.add({ profileId: 'bp-upper-arm', patient: TEST_NHS, deviceId: 'cuff-1' });
    await registry.add({ profileId: 'bp-upper-arm', patient: TEST_NHS, deviceId: 'cuff-2' });
    await registry.revoke('cuff-2');
    const accounts = new ClinicianRegistry(store.clinicians, systemClock);
    const doctor = await accounts.add('dr-a', 'Dr A');
    await accounts.add('dr-b', 'Dr B');
    await accounts.revoke('dr-b');
    await store.close();
    const tmp = tempDir();
    defer(tmp.remove);
    // No broker listens on port 1: the worker keeps retrying, its HTTP answers meanwhile.
    const config = loadConfig([{ source: 'test', values: { webhookKeyFile: sharedKey(tmp.dir), 'store.postgres.url': url, 'broker.url': 'mqtt://127.0.0.1:1', 'http.port': 0, 'http.brokerAuth': true, 'web.enabled': false, 'alerts.enabled': false, 'ble.enabled': false } }]);
    const worker = new Gateway(postgresBackend, config, createLogger({ level: 'silent' }));
    defer(() => worker.stop());
    const { httpPort } = await worker.start();
    const post = async (path: string, body: unknown) =>
      ((await (await fetch(`http://127.0.0.1:${httpPort}/broker/emqx/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as { result: string }).result;
    expect(await post('authn', { clientid: 'cuff-1', username: 'cuff-1', password: cuff.secret })).toBe('allow');
    expect(await post('authn', { clientid: 'cuff-1', username: 'cuff-1', password: 'not-its-secret' })).toBe('deny');
    expect(await post('authn', { clientid: 'other', username: 'cuff-1', password: cuff.secret })).toBe('deny'); // no session takeover
    expect(await post('authn', { clientid: 'worker', username: 'worker', password: 'x' })).toBe('ignore'); // the broker's own source decides
    expect(await post('authz', { clientid: 'cuff-1', username: 'cuff-1', topic: 'devices/cuff-1/readings', action: 'publish' })).toBe('allow');
    expect(await post('authz', { clientid: 'cuff-1', username: 'cuff-1', topic: 'devices/cuff-2/readings', action: 'publish' })).toBe('deny');
    expect(await post('authz', { clientid: 'cuff-2', username: 'cuff-2', topic: 'devices/cuff-2/readings', action: 'publish' })).toBe('deny'); // revoked
    // Clinicians' accounts from the same database: their own alert topic, read only.
    expect(await post('authn', { clientid: 'clinician:dr-a', username: 'clinician:dr-a', password: doctor.secret })).toBe('allow');
    expect(await post('authn', { clientid: 'clinician:dr-a', username: 'clinician:dr-a', password: 'wrong' })).toBe('deny');
    expect(await post('authz', { clientid: 'clinician:dr-a', username: 'clinician:dr-a', topic: 'clinicians/dr-a/alerts', action: 'subscribe' })).toBe('allow');
    expect(await post('authz', { clientid: 'clinician:dr-a', username: 'clinician:dr-a', topic: 'clinicians/dr-b/alerts', action: 'subscribe' })).toBe('deny');
    expect(await post('authz', { clientid: 'clinician:dr-a', username: 'clinician:dr-a', topic: 'clinicians/dr-a/alerts', action: 'publish' })).toBe('deny');
    expect(await post('authz', { clientid: 'clinician:dr-b', username: 'clinician:dr-b', topic: 'clinicians/dr-b/alerts', action: 'subscribe' })).toBe('deny'); // revoked
    expect(await post('authn', { clientid: 'clinician.dr-c', username: 'clinician.dr-c', password: 'x' })).toBe('ignore');
  });

  it('`devices`, `broker mosquitto-files`, `readings` and `dead-letters` work on PostgreSQL: the device gets into Mosquitto with its own secret, and a worker takes its readings and rejects its bad ones', async () => {
    const url = await server.createDatabase();
    const env = { VG_POSTGRES_URL: url };
    const added = await runCli(['devices', 'add', '--profile', 'thermometer', '--patient', TEST_NHS, '--id', 'thermo-cli', '--json'], env);
    expect(added.code, added.stderr).toBe(0);
    const { secret } = JSON.parse(added.stdout) as { secret: string };
    const listed = await runCli(['devices', 'list', '--json'], env);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ deviceId: 'thermo-cli', status: 'active' })]);
    // Accounts and a patient's own threshold, in the same database.
    for (const args of [
      ['clinicians', 'add', '--id', 'dr-a', '--name', 'Dr A'],
      ['clinicians', 'assign', 'dr-a', '--patient', TEST_NHS],
      ['patients', 'override', '--patient', TEST_NHS, '--rule', 'fever', '--above', '37.5', '--by', 'dr-a'],
    ]) {
      const done = await runCli(args, env);
      expect(done.code, done.stderr).toBe(0);
    }
    expect(JSON.parse((await runCli(['clinicians', 'list', '--json'], env)).stdout)).toEqual([expect.objectContaining({ id: 'dr-a', patients: [TEST_NHS] })]);
    expect(JSON.parse((await runCli(['patients', 'show', '--patient', TEST_NHS, '--json'], env)).stdout)).toMatchObject({ clinicians: ['dr-a'], overrides: [{ ruleId: 'fever', above: 37.5 }] });
    // `start` on PostgreSQL names each part that does not run there yet, with the setting that turns it off.
    const refused = await runCli(['start'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('broker.url: a gateway on PostgreSQL is a worker on an external broker');
    expect(refused.stderr).not.toContain('web.enabled');
    // A database that cannot be reached: a clear error naming where, never the password.
    const unreachable = await runCli(['devices', 'list'], { VG_POSTGRES_URL: `postgres://vg:hunter2-secret@127.0.0.1:${await freePort()}/vitals` });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/PostgreSQL at 127\.0\.0\.1:\d+\/vitals cannot be opened/);
    expect(unreachable.stderr).not.toContain('hunter2');
    // An API token for the web app's API, kept in the database as its hash only.
    const token = await runCli(['clinicians', 'token', 'dr-a', '--name', 'ward system', '--json'], env);
    expect(token.code, token.stderr).toBe(0);
    const issued = (JSON.parse(token.stdout) as { token: string }).token;
    expect(issued).toMatch(/^vgt_/);
    const check = new PgDatabase(url, { max: 1 });
    defer(() => check.close());
    expect(JSON.stringify(await check.query('SELECT * FROM api_tokens'))).not.toContain(issued);
    // Research opt-outs, kept in the database and audited there.
    const optedOut = await runCli(['patients', 'opt-out', '--patient', TEST_NHS, '--source', 'ndop', '--json'], env);
    expect(optedOut.code, optedOut.stderr).toBe(0);
    expect(JSON.parse((await runCli(['patients', 'opt-outs', 'list', '--json'], env)).stdout)).toEqual([expect.objectContaining({ patient: TEST_NHS, optedOut: true, source: 'ndop' })]);
    expect((await check.query("SELECT action FROM audit WHERE action = 'patient.research-opt-out'")).length).toBe(1);

    // Mosquitto's password and ACL files from the registry in PostgreSQL, with the workers' own account.
    const tmp = tempDir();
    defer(tmp.remove);
    writeFileSync(join(tmp.dir, 'worker.passwords'), `worker:${await mosquittoHash('worker-secret-0123456789')}\n`);
    writeFileSync(join(tmp.dir, 'worker.acl'), ['user worker', 'topic read devices/+/readings', 'topic read devices/+/status', 'topic read devices/+/corrections', 'topic write devices/+/rejected', ''].join('\n'));
    const written = await runCli(['broker', 'mosquitto-files', '--out', tmp.dir, '--include-passwords', join(tmp.dir, 'worker.passwords'), '--include-acl', join(tmp.dir, 'worker.acl')], env);
    expect(written.code, written.stderr).toBe(0);
    const broker = await MosquittoBroker.start(['allow_anonymous false', `password_file ${join(tmp.dir, 'passwords')}`, `acl_file ${join(tmp.dir, 'acl')}`, 'max_queued_messages 1000000']);
    defer(() => broker.stop());
    const worker = await spawnWorker(['--config', workerConfig(tmp.dir, 'worker-c', url, true), '--broker', broker.url, '--log-level', 'silent'], { VG_BROKER_USERNAME: 'worker', VG_BROKER_PASSWORD: 'worker-secret-0123456789' });
    defer(() => worker.stop());
    expect(worker.stdout()).toContain('(data: PostgreSQL)');
    await expect(mqtt.connectAsync(broker.url, { clientId: 'thermo-cli', username: 'thermo-cli', password: 'not-its-secret', protocolVersion: 5, reconnectPeriod: 0 })).rejects.toThrow(/Not authorized|Bad User Name or Password/i);
    const client = await mqtt.connectAsync(broker.url, { clientId: 'thermo-cli', username: 'thermo-cli', password: secret, protocolVersion: 5, reconnectPeriod: 0 });
    defer(() => client.endAsync(true));
    const rejections: unknown[] = [];
    client.on('message', (_t, payload) => rejections.push(JSON.parse(payload.toString())));
    await client.subscribeAsync('devices/thermo-cli/rejected', { qos: 1 });
    await client.publishAsync('devices/thermo-cli/readings', thermometerReading('ok-1', 1), { qos: 1 });
    await client.publishAsync('devices/thermo-cli/readings', JSON.stringify({ messageId: 'hot', takenAt: new Date().toISOString(), values: { bodyTemperature: 99 } }), { qos: 1 });
    await until(async () => rejections, (r) => r.length === 1, 'the rejection');
    expect(rejections[0]).toMatchObject({ messageId: 'hot', issues: [{ code: 'value-out-of-range' }] });
    const db = new PgDatabase(url);
    defer(() => db.close());
    await until(async () => (await db.query('SELECT COUNT(*)::int AS n FROM readings'))[0]?.['n'], (n) => n === 1, 'the good reading stored');
    const letters = await db.query('SELECT topic FROM dead_letters');
    expect(letters).toEqual([{ topic: 'devices/thermo-cli/readings' }]);
    // What operators read back, from the same database.
    const shown = await runCli(['readings', '--patient', TEST_NHS, '--json'], env);
    expect(JSON.parse(shown.stdout)).toEqual([expect.objectContaining({ metric: 'bodyTemperature', device: 'thermo-cli', status: 'final' })]);
    // The patient's Observations as a FHIR Bundle, and the stored readings queued for InfluxDB (with the workers' pseudonym key), from the same database.
    const bundle = JSON.parse((await runCli(['fhir', 'export', '--patient', TEST_NHS], env)).stdout) as { resourceType: string; entry: { resource: { resourceType: string; valueQuantity?: { value: number } } }[] };
    expect(bundle.resourceType).toBe('Bundle');
    expect(bundle.entry.filter((e) => e.resource.resourceType === 'Observation').map((e) => e.resource.valueQuantity?.value)).toEqual([expect.any(Number)]);
    const keyFile = join(tmp.dir, 'pseudonym.key');
    writeFileSync(keyFile, randomBytes(32));
    const backfilled = await runCli(['influx', 'backfill', '--since', new Date(Date.now() - 86_400_000).toISOString(), '--json'], { ...env, VG_PSEUDONYM_KEY_FILE: keyFile });
    expect(backfilled.code, backfilled.stderr).toBe(0);
    expect(JSON.parse(backfilled.stdout)).toMatchObject({ queued: 1 });
    expect(await db.query(`SELECT COUNT(*)::int AS n FROM outbox WHERE sink = 'influx'`)).toEqual([{ n: 1 }]);
    // A research extract from the shared database (the research secret read, never made, on PostgreSQL): the opted-out patient left out.
    const researchKey = join(tmp.dir, 'research.key');
    writeFileSync(researchKey, randomBytes(32));
    const period = ['--from', new Date(Date.now() - 86_400_000).toISOString(), '--to', new Date(Date.now() + 60_000).toISOString()];
    const extracted = await runCli(['research', 'extract', '--project', 'p1', ...period, '--out', join(tmp.dir, 'extract'), '--format', 'csv', '--json'], { ...env, VG_RESEARCH_KEY_FILE: researchKey });
    expect(extracted.code, extracted.stderr).toBe(0);
    expect(JSON.parse(extracted.stdout)).toMatchObject({ rows: 0, patients: { included: 0, excludedByOptOut: 1 } });
    await runCli(['patients', 'opt-in', '--patient', TEST_NHS, '--source', 'ndop'], env);
    const optedIn = await runCli(['research', 'extract', '--project', 'p1', ...period, '--out', join(tmp.dir, 'extract-2'), '--format', 'csv', '--json'], { ...env, VG_RESEARCH_KEY_FILE: researchKey });
    expect(JSON.parse(optedIn.stdout)).toMatchObject({ rows: 1, patients: { included: 1, excludedByOptOut: 0 } });
    const dead = await runCli(['dead-letters', '--json'], env);
    expect(JSON.parse(dead.stdout)).toEqual([expect.objectContaining({ deviceId: 'thermo-cli', issues: [expect.objectContaining({ code: 'value-out-of-range' })] })]);

    // 37.8 °C is under the profile's fever rule (above 38) but over this patient's own threshold: an alert, taken in hand on PostgreSQL.
    await client.publishAsync('devices/thermo-cli/readings', JSON.stringify({ messageId: 'warm', takenAt: new Date().toISOString(), values: { bodyTemperature: 37.8 } }), { qos: 1 });
    const [alert] = await until(async () => JSON.parse((await runCli(['alerts', 'list', '--open', '--json'], env)).stdout) as { id: string; rule: string; message: string; events: unknown[] }[], (a) => a.length === 1, 'the alert');
    expect(alert).toMatchObject({ ruleId: 'fever', message: expect.stringContaining("this patient's threshold, set by dr-a"), events: [expect.objectContaining({ state: 'open', by: 'rules' })] });
    const acked = await runCli(['alerts', 'ack', alert?.id ?? '', '--note', 'phoned the patient'], env);
    expect(acked.code, acked.stderr).toBe(0);
    expect(await db.query('SELECT state FROM alerts')).toEqual([{ state: 'acknowledged' }]);
    // The change goes to the patient's clinician from the shared outbox (dr-a is not connected: their lane waits).
    expect(await db.query(`SELECT lane, COUNT(*)::int AS n FROM outbox WHERE sink = 'alert-mqtt' GROUP BY lane`)).toEqual([{ lane: 'dr-a', n: 2 }]);
    // A reading corrected from the command line on PostgreSQL: retracted, its values kept in the corrections.
    const [warm] = await db.query(`SELECT id FROM readings WHERE message_id = 'warm'`);
    const retracted = await runCli(['readings', 'retract', String(warm?.['id']), '--reason', 'thermometer on a radiator', '--json'], env);
    expect(retracted.code, retracted.stderr).toBe(0);
    expect(await db.query(`SELECT status FROM readings WHERE message_id = 'warm'`)).toEqual([{ status: 'entered-in-error' }]);
    expect(await db.query(`SELECT action, reason FROM corrections`)).toEqual([{ action: 'retract', reason: 'thermometer on a radiator' }]);
    // Webhook signing secrets from the workers' shared key, read (never made) on PostgreSQL.
    const withKey = { ...env, VG_WEBHOOK_KEY_FILE: join(tmp.dir, 'webhook.key') };
    const hooked = await runCli(['clinicians', 'add', '--id', 'dr-w', '--name', 'Dr W', '--webhook', 'https://ward.example/alerts', '--json'], withKey);
    expect(hooked.code, hooked.stderr).toBe(0);
    const again = await runCli(['clinicians', 'webhook-secret', 'dr-w', '--json'], withKey);
    expect(JSON.parse(again.stdout)).toMatchObject({ webhookSecret: (JSON.parse(hooked.stdout) as { webhookSecret: string }).webhookSecret });
    const keyless = await runCli(['clinicians', 'webhook-secret', 'dr-w'], { ...env, VG_WEBHOOK_KEY_FILE: join(tmp.dir, 'no-such.key') });
    expect(keyless.stderr).toContain('every worker needs the same key');
  });
});
