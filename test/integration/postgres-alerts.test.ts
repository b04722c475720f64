/**
 * The alert rules on PostgreSQL, several workers sharing one database: one alert per condition
 * whichever workers evaluate it, changes planned on a stale alert planned again, NEWS2 from the
 * values other workers stored, and deliveries sent once by whichever worker holds the lane. Real
 * PostgreSQL, real commit queues and engines; the end-to-end test adds real Mosquitto and two
 * worker processes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledProfilesDir, loadConfig, type LoadedConfig } from '../../src/config/index.js';
import { ClinicianRegistry } from '../../src/clinicians/index.js';
import { DeviceRegistry } from '../../src/devices/index.js';
import { GatewayError, ManualClock, readingKey, systemClock, type ReadingRow, readingsOf } from '../../src/domain/index.js';
import { Closers } from '../../src/lifecycle.js';
import { createLogger, GatewayMetrics } from '../../src/observability/index.js';
import type { AlertEngine } from '../../src/outputs/alerts/index.js';
import { CommitQueue, type DeviceContext } from '../../src/pipeline/index.js';
import { sharedAlertEngine } from '../../src/backends/index.js';
import { loadProfiles } from '../../src/profiles/index.js';
import { PgDatabase, PgStore } from '../../src/store/postgres/index.js';
import type { AlertChange, CommitBatch } from '../../src/store/reading-store.js';
import { useCleanups } from '../helpers/cleanup.js';
import { mosquittoMissing } from '../helpers/mosquitto.js';
import { anonymousDevice } from '../helpers/mqtt.js';
import { nhsNumbers } from '../helpers/nhs.js';
import { postgresMissing, PostgresServer, workerGroup } from '../helpers/postgres.js';
import { spawnWorker } from '../helpers/process.js';
import { until } from '../helpers/until.js';

const defer = useCleanups();
const profiles = loadProfiles(bundledProfilesDir());
const [PATIENT = '', ...OTHERS] = nhsNumbers(21, 943_400_000);

/** A reading's rows as the pipeline makes them: one per value, one key per reading. */
function reading(deviceId: string, profileId: string, messageId: string, takenAtMs: number, values: Record<string, [number, string]>): ReadingRow[] {
  const key = readingKey({ deviceId, messageId, deviceTakenAtMs: takenAtMs, values: Object.fromEntries(Object.entries(values).map(([m, [v]]) => [m, v])) });
  return Object.entries(values).map(([metric, [value, unit]]) => ({
    idempotencyKey: key,
    deviceId,
    patientNhs: PATIENT,
    profileId,
    metric,
    value,
    unit,
    sourceUnit: undefined,
    deviceTakenAtMs: takenAtMs,
    takenAtMs,
    receivedAtMs: takenAtMs,
    clockOffsetMs: undefined,
    messageId,
  }));
}

const context = (deviceId: string, profileId: string): DeviceContext => ({ deviceId, patientNhs: PATIENT, profile: profiles.get(profileId) ?? (undefined as never) });

/**
 * One worker's commit path on the shared database: its own pool, group commit and alert engine,
 * as a worker wires them. `gate` runs before each of its commits reaches PostgreSQL (to order two
 * workers' commits in a test); `replans` counts the commits it planned again after a conflict.
 */
async function workerPath(url: string, config: LoadedConfig, clock: ManualClock, gate: () => Promise<void> = async () => {}) {
  const store = await PgStore.open(url, { poolSize: 2 });
  const closers = new Closers();
  defer(() => closers.closeAll());
  closers.push(() => store.close());
  let replans = 0;
  const metrics = new GatewayMetrics();
  const queue = new CommitQueue({ commit: async (batch: CommitBatch) => (await gate(), store.readings.commit(batch)) }, 1000, { committed: () => {}, commitFailed: () => {}, replanned: () => void replans++ });
  closers.push(() => queue.close());
  const engine: AlertEngine = await sharedAlertEngine({ config, store, queue, profiles, clock, metrics, log: createLogger({ level: 'silent' }), closers, committed: () => {} });
  return { queue, engine, replans: () => replans };
}

/**
 * Two workers' commit paths raced: B plans its first commit before A's first commit reaches the
 * database, and commits it only after A's (`aCommitted.open()` once A's is done), so both plan on
 * the same state.
 */
async function racingPair(url: string, config: LoadedConfig, clock: ManualClock) {
  const bPlanned = latch();
  const aCommitted = latch();
  let aCommits = 0;
  let bCommits = 0;
  const a = await workerPath(url, config, clock, async () => {
    if (aCommits++ === 0) await bPlanned.wait();
  });
  const b = await workerPath(url, config, clock, async () => {
    if (bCommits++ === 0) {
      bPlanned.open();
      await aCommitted.wait();
    }
  });
  return { a, b, aCommitted };
}

/** A latch: `open()` lets every `wait()` through. */
function latch(): { wait: () => Promise<void>; open: () => void } {
  let open = (): void => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { wait: () => opened, open };
}

describe.skipIf(postgresMissing)('alert rules on PostgreSQL with several workers', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await PostgresServer.start();
  }, 60_000);
  afterAll(() => server?.stop());

  async function database(options: { contacts?: string[] } = {}) {
    const url = await server.createDatabase();
    const config = loadConfig([
      { source: 'test', values: { 'store.postgres.url': url, 'broker.url': 'mqtt://127.0.0.1:1', 'web.enabled': false, 'ble.enabled': false, 'alerts.escalation.contacts': options.contacts ?? [], 'alerts.escalation.afterMinutes': 15 } },
    ]);
    const store = await PgStore.open(url, { poolSize: 2 });
    defer(() => store.close());
    const devices = new DeviceRegistry(store.devices, profiles, systemClock);
    await devices.add({ profileId: 'bp-upper-arm', patient: PATIENT, deviceId: 'cuff-1' });
    await devices.add({ profileId: 'thermometer', patient: PATIENT, deviceId: 'thermo-1' });
    const accounts = new ClinicianRegistry(store.clinicians, systemClock);
    for (const id of ['dr-a', ...(options.contacts ?? [])]) await accounts.add(id, id);
    await accounts.assign('dr-a', PATIENT);
    const db = new PgDatabase(url);
    defer(() => db.close());
    return { url, config, db, store };
  }

  it('two workers evaluating the same condition at once open one alert: the second plans again on the first one\'s alert, and both readings are stored', async () => {
    const { url, config, db } = await database();
    const now = Date.now();
    const clock = new ManualClock(now);
    // B plans before A commits, and commits after it: both saw no open alert.
    const { a, b, aCommitted } = await racingPair(url, config, clock);
    const high = (id: string, at: number) => reading('cuff-1', 'bp-upper-arm', id, at, { systolic: [186, 'mm[Hg]'], diastolic: [100, 'mm[Hg]'] });
    const fromA = a.queue.submit({ readings: readingsOf(high('r-a', now - 2_000)), deadLetters: [], health: [] }, context('cuff-1', 'bp-upper-arm')).then((r) => (aCommitted.open(), r));
    const fromB = b.queue.submit({ readings: readingsOf(high('r-b', now - 1_000)), deadLetters: [], health: [] }, context('cuff-1', 'bp-upper-arm'));
    expect(await Promise.all([fromA, fromB])).toEqual([
      [true],
      [true],
    ]);
    expect([a.replans(), b.replans()]).toEqual([0, 1]);
    expect(await db.query(`SELECT rule_id, state FROM alerts`)).toEqual([{ rule_id: 'severe-hypertension', state: 'open' }]);
    expect(await db.query(`SELECT state, by FROM alert_events`)).toEqual([{ state: 'open', by: 'rules' }]);
    // One delivery of the change to the patient's clinician, not one per worker.
    expect(await db.query(`SELECT lane, COUNT(*)::int AS n FROM outbox WHERE sink = 'alert-mqtt' GROUP BY lane`)).toEqual([{ lane: 'dr-a', n: 1 }]);
    expect(await db.query('SELECT COUNT(*)::int AS n FROM readings')).toEqual([{ n: 2 }]);
  });

  it('two workers opening alerts for the same patients in opposite orders wait for each other: one commits, the other is refused as a conflict and plans again, never a deadlock', async () => {
    const { url } = await database();
    const [a, b] = [await PgStore.open(url, { poolSize: 1 }), await PgStore.open(url, { poolSize: 1 })];
    defer(() => a.close());
    defer(() => b.close());
    const now = Date.now();
    const open = (worker: string, round: number, nhs: string): AlertChange => ({
      alert: { id: `${worker}-${round}-${nhs}`, key: `${nhs}|cuff-1|rule-${round}`, patientNhs: nhs, deviceId: undefined, ruleId: `rule-${round}`, severity: 'critical', state: 'open', message: 'high', value: 190, openedAtMs: now, updatedAtMs: now },
      by: 'rules',
      note: undefined,
    });
    const patients = OTHERS.slice(0, 6);
    const outcomes: string[] = [];
    for (let round = 0; round < 15; round++) {
      // Each commit's alerts as its plan made them: one worker's in one order, the other's reversed.
      const commit = (store: PgStore, worker: string, order: readonly string[]) =>
        store.readings.commit({ readings: [], deadLetters: [], health: [], alerts: order.map((nhs) => open(worker, round, nhs)) }).then(
          () => 'committed',
          (e: unknown) => (e instanceof GatewayError ? e.code : `${(e as { code?: string }).code ?? ''} ${String(e)}`),
        );
      const results = await Promise.all([commit(a, 'a', patients), commit(b, 'b', [...patients].reverse())]);
      outcomes.push(results.sort().join(' + '));
    }
    // Whichever reaches the first patient first commits; the other waits for it, then finds the conditions open.
    expect(new Set(outcomes)).toEqual(new Set(['GW_ALERT_CONFLICT + committed']));
    expect(await a.alerts.unresolved()).toHaveLength(15 * patients.length);
  });

  it('two workers escalating the same alert at once escalate it once: the change planned on the alert as it was is refused and planned again', async () => {
    const { url, config, db } = await database({ contacts: ['dr-on-call'] });
    const opened = Date.now();
    const clock = new ManualClock(opened);
    const first = await workerPath(url, config, clock);
    await first.queue.submit({ readings: readingsOf(reading('cuff-1', 'bp-upper-arm', 'r-1', opened - 1_000, { systolic: [190, 'mm[Hg]'] })), deadLetters: [], health: [] }, context('cuff-1', 'bp-upper-arm'));
    clock.advance(16 * 60_000); // past alerts.escalation.afterMinutes, unacknowledged
    const { a, b, aCommitted } = await racingPair(url, config, clock);
    a.engine.checkEscalationsNow();
    const aDone = a.engine.settled().then(() => aCommitted.open());
    b.engine.checkEscalationsNow();
    await Promise.all([aDone, b.engine.settled()]);
    expect(b.replans()).toBe(1);
    expect(await db.query(`SELECT escalation_level AS level FROM alerts`)).toEqual([{ level: 1 }]);
    expect(await db.query(`SELECT by, note FROM alert_events ORDER BY id`)).toEqual([
      { by: 'rules', note: null },
      { by: 'escalation', note: 'not acknowledged: escalated to dr-on-call' },
    ]);
    expect(await db.query(`SELECT lane, COUNT(*)::int AS n FROM outbox WHERE sink = 'alert-mqtt' GROUP BY lane ORDER BY lane`)).toEqual([
      { lane: 'dr-a', n: 2 },
      { lane: 'dr-on-call', n: 1 },
    ]);
  });

  it('a reading already stored changes nothing when another worker receives it again: its breach opens no second alert after the first resolved', async () => {
    const { url, config, db } = await database();
    const now = Date.now();
    const clock = new ManualClock(now);
    const a = await workerPath(url, config, clock);
    const b = await workerPath(url, config, clock);
    const severe = reading('cuff-1', 'bp-upper-arm', 'r-1', now - 60_000, { systolic: [190, 'mm[Hg]'] });
    await a.queue.submit({ readings: readingsOf(severe), deadLetters: [], health: [] }, context('cuff-1', 'bp-upper-arm'));
    await b.queue.submit({ readings: readingsOf(reading('cuff-1', 'bp-upper-arm', 'r-2', now - 30_000, { systolic: [150, 'mm[Hg]'] })), deadLetters: [], health: [] }, context('cuff-1', 'bp-upper-arm'));
    // The broker gives the first reading again, to the other worker (its first PUBACK was lost).
    expect(await b.queue.submit({ readings: readingsOf(severe), deadLetters: [], health: [] }, context('cuff-1', 'bp-upper-arm'))).toEqual([false]);
    expect(await db.query(`SELECT state FROM alerts ORDER BY opened_at`)).toEqual([{ state: 'resolved' }]);
    expect(await db.query(`SELECT state FROM alert_events ORDER BY id`)).toEqual([{ state: 'open' }, { state: 'resolved' }]);
  });

  it('NEWS2 is scored from the latest values whichever worker stored them: two parameters scoring 2 from one worker and one from the other open one alert, resolved when one is retracted elsewhere [RCP NEWS2 chart 2]', async () => {
    const { url, config, db, store } = await database();
    const now = Date.now();
    const clock = new ManualClock(now);
    const a = await workerPath(url, config, clock);
    const b = await workerPath(url, config, clock);
    // [NEWS2 chart 1] temperature 39.5 °C scores 2: alone a total of 2, no alert.
    const fever = reading('thermo-1', 'thermometer', 't-1', now - 60_000, { bodyTemperature: [39.5, 'Cel'] });
    await a.queue.submit({ readings: readingsOf(fever), deadLetters: [], health: [] }, context('thermo-1', 'thermometer'));
    expect(await db.query(`SELECT COUNT(*)::int AS n FROM alerts WHERE rule_id = 'news2'`)).toEqual([{ n: 0 }]);
    // Systolic 100 and pulse 115 score 2 each: with the other worker's temperature, a total of 6.
    await b.queue.submit({ readings: readingsOf(reading('cuff-1', 'bp-upper-arm', 'bp-1', now - 30_000, { systolic: [100, 'mm[Hg]'], diastolic: [70, 'mm[Hg]'], pulse: [115, '/min'] })), deadLetters: [], health: [] }, context('cuff-1', 'bp-upper-arm'));
    const [alert] = await db.query(`SELECT rule_id, message, value FROM alerts WHERE rule_id = 'news2'`);
    expect(alert).toEqual({ rule_id: 'news2', message: expect.stringContaining('NEWS2 6 (partial'), value: 6 });
    // The temperature retracted elsewhere (the command line): at its next check a worker scores the
    // patient again without it, a total of 4, and the alert resolves.
    await store.readings.commit({
      readings: [],
      deadLetters: [],
      health: [],
      corrections: [{ deviceId: 'thermo-1', readingKey: fever[0]?.idempotencyKey ?? '', action: 'retract', before: { bodyTemperature: 39.5 }, after: undefined, reason: 'wrong patient', requestedBy: 'cli:test', atMs: now }],
    });
    a.engine.checkSilenceNow();
    await a.engine.settled();
    expect(await db.query(`SELECT state, value FROM alerts WHERE rule_id = 'news2'`)).toEqual([{ state: 'resolved', value: 4 }]);
  });

  it.skipIf(mosquittoMissing)('two worker processes on Mosquitto: each alert reaches the clinician once, sent by whichever worker holds their lane, and the outbox empties', async () => {
    const { url, broker, dir } = await workerGroup(server, defer);
    const store = await PgStore.open(url);
    const devices = new DeviceRegistry(store.devices, profiles, systemClock);
    const accounts = new ClinicianRegistry(store.clinicians, systemClock);
    await accounts.add('dr-a', 'Dr A');
    const patients = OTHERS.slice(0, 20);
    for (const [i, nhs] of patients.entries()) {
      await devices.add({ profileId: 'bp-upper-arm', patient: nhs, deviceId: `cuff-${i}` });
      await accounts.assign('dr-a', nhs);
    }
    await store.close();
    // The clinician's kept session holds what arrives while the workers start.
    const clinician = await mqtt.connectAsync(broker.url, { clientId: 'clinician:dr-a', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 600 } });
    defer(() => clinician.endAsync(true));
    const received: { eventId: string; alertId: string; state: string }[] = [];
    clinician.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString()) as { eventId: string; alertId: string; state: string }));
    await clinician.subscribeAsync('clinicians/dr-a/alerts', { qos: 1 });
    const config = (id: string) => {
      const file = join(dir, `${id}.json`);
      writeFileSync(file, JSON.stringify({ gatewayId: id, webhookKeyFile: join(dir, 'webhook.key'), store: { postgres: { url, poolSize: 4 } }, broker: { session: 'persistent', connections: 4, reconnectMs: 100 }, web: { enabled: false }, ble: { enabled: false } }));
      return ['--config', file, '--broker', broker.url, '--log-level', 'warn'];
    };
    const workers: Awaited<ReturnType<typeof spawnWorker>>[] = [];
    for (const id of ['worker-a', 'worker-b']) {
      const w = await spawnWorker(config(id));
      workers.push(w);
      defer(() => w.stop());
    }
    // Each device sends two severe readings: one alert each, whichever worker takes which.
    await Promise.all(
      patients.map(async (_, i) => {
        const cuff = await anonymousDevice(broker.url, `cuff-${i}`, defer);
        for (const n of [1, 2]) {
          const takenAt = new Date(Date.now() - (3 - n) * 60_000).toISOString();
          await cuff.publishAsync(`devices/cuff-${i}/readings`, JSON.stringify({ messageId: `bp-${n}`, takenAt, values: { systolic: 185, diastolic: 100, pulse: 70 } }), { qos: 1 });
        }
      }),
    );
    const db = new PgDatabase(url);
    defer(() => db.close());
    // Should it fail: what each device has stored and opened, and what the workers warned of.
    const diagnosis = async (error: unknown): Promise<never> => {
      const devices = await db.query(
        `SELECT d.id, (SELECT COUNT(*)::int FROM readings r WHERE r.device_id = d.id) AS readings, (SELECT COUNT(*)::int FROM alerts a WHERE a.patient_nhs = d.patient_nhs) AS alerts
         FROM devices d ORDER BY d.id`,
      );
      const short = devices.filter((d) => d['readings'] !== 2 || d['alerts'] !== 1);
      const busy = await db.query(
        `SELECT state, wait_event_type, wait_event, now() - xact_start AS open_for, left(query, 160) AS query FROM pg_stat_activity
         WHERE datname = current_database() AND pid != pg_backend_pid() AND state != 'idle'`,
      );
      const logs = workers.map((w, i) => `worker ${i}: ${w.stderr().slice(-3_000) || '(no warnings)'}`).join('\n');
      throw new Error(`${String(error)}\ndevices short of 2 readings and 1 alert: ${JSON.stringify(short)}\nsessions not idle: ${JSON.stringify(busy)}\n${logs}`);
    };
    const opened = await until(async () => (await db.query(`SELECT COUNT(*)::int AS n FROM alerts WHERE rule_id = 'severe-hypertension'`))[0]?.['n'], (n) => n === 20, 'one alert per device', 30_000).catch(diagnosis);
    expect(opened).toBe(20);
    const total = Number((await db.query('SELECT COUNT(*)::int AS n FROM alerts'))[0]?.['n']);
    await until(async () => (await db.query(`SELECT COUNT(*)::int AS n FROM outbox WHERE sink = 'alert-mqtt'`))[0]?.['n'], (n) => n === 0, 'every delivery done', 30_000).catch(diagnosis);
    expect(received).toHaveLength(total);
    expect(new Set(received.map((m) => m.eventId)).size).toBe(total);
    expect(await db.query(`SELECT COUNT(*)::int AS n FROM alert_events WHERE state = 'open'`)).toEqual([{ n: total }]);
  }, 120_000);
});
