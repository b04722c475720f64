import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledProfilesDir } from '../../src/config/index.js';
import { DeviceRegistry } from '../../src/devices/index.js';
import { systemClock, readingsOf } from '../../src/domain/index.js';
import { loadProfiles } from '../../src/profiles/index.js';
import { PG_SCHEMA_VERSION, PgDatabase, PgStore } from '../../src/store/postgres/index.js';
import { describeCareStoreContract } from '../contracts/care-store.contract.js';
import { describeAlertStoreContract } from '../contracts/alert-store.contract.js';
import { describeBrokerCredentialStoreContract } from '../contracts/broker-credential-store.contract.js';
import { describeClinicianStoreContract } from '../contracts/clinician-store.contract.js';
import { describeDeadLetterStoreContract } from '../contracts/dead-letter-store.contract.js';
import { describeDeviceStoreContract } from '../contracts/device-store.contract.js';
import { describeOutboxStoreContract } from '../contracts/outbox-store.contract.js';
import { describePatientStoreContract } from '../contracts/patient-store.contract.js';
import { describeReadingStoreContract, row } from '../contracts/reading-store.contract.js';
import { until } from '../helpers/until.js';
import { postgresMissing, PostgresServer } from '../helpers/postgres.js';
import { deviceRecord } from '../helpers/records.js';

describe.skipIf(postgresMissing)('PostgreSQL store (a real server)', () => {
  let server: PostgresServer;
  /** A database with the gateway's schema, copied for each test (cheaper than migrating each). */
  let migrated: string;
  beforeAll(async () => {
    server = await PostgresServer.start();
    const url = await server.createDatabase();
    await (await PgStore.open(url)).close();
    migrated = new URL(url).pathname.slice(1);
  }, 60_000);
  afterAll(() => server?.stop());

  /** A fresh database with the gateway's schema, one of its ports under test, closed afterwards. */
  const adapter =
    <T>(port: (s: PgStore) => T) =>
    async () => {
      const store = await PgStore.open(await server.createDatabase(migrated));
      return { store: port(store), close: () => store.close() };
    };

  describeDeviceStoreContract('PgDeviceStore', adapter((s) => s.devices));

  describeCareStoreContract('PostgreSQL', adapter((s) => s));

  describeDeadLetterStoreContract('PgDeadLetters', adapter((s) => s.deadLetters));

  describePatientStoreContract('PgPatients', adapter((s) => s.patients));

  describeClinicianStoreContract('PgClinicians', adapter((s) => s.clinicians));

  describeAlertStoreContract('PgAlerts', adapter((s) => s.alerts));

  describeOutboxStoreContract('PgOutbox', adapter((s) => s.outbox));

  describeBrokerCredentialStoreContract('PgBrokerCredentials', adapter((s) => s.brokerCredentials));

  describeReadingStoreContract('PgReadingStore', async () => {
    const store = await PgStore.open(await server.createDatabase(migrated));
    const addDevice = (id: string, patientNhs: string) =>
      store.devices.insert(deviceRecord(id, 'bp-upper-arm', patientNhs));
    return { store: store.readings, outbox: store.outbox, addDevice, close: () => store.close() };
  });

  it('hands each outbox entry to one of several senders; a dead sender\'s claims go to another when their lease ends', async () => {
    const url = await server.createDatabase(migrated);
    const [a, b] = await Promise.all([PgStore.open(url), PgStore.open(url)]);
    try {
      for (let i = 0; i < 100; i++) await a.outbox.apply([{ sink: 'fhir', payload: `obs-${i}`, firstReading: 0, readingCount: 0 }], [], [], 1_000);
      // Both claim at once, over and over: no entry is given to both.
      const claimed = { a: [] as { id: number; payload: string }[], b: [] as { id: number; payload: string }[] };
      for (let round = 0; round < 4; round++) {
        const [fromA, fromB] = await Promise.all([a.outbox.claim('fhir', 'worker-a', 15, 2_000, 60_000), b.outbox.claim('fhir', 'worker-b', 15, 2_000, 60_000)]);
        claimed.a.push(...fromA);
        claimed.b.push(...fromB);
      }
      const payloads = (entries: readonly { payload: string }[]) => entries.map((e) => e.payload).sort();
      expect(claimed.a.length + claimed.b.length).toBe(100);
      expect(new Set([...payloads(claimed.a), ...payloads(claimed.b)]).size).toBe(100);
      expect(claimed.a.length).toBeGreaterThan(0);
      expect(claimed.b.length).toBeGreaterThan(0);
      // a delivers what it claimed; b dies with its claims. Before b's lease ends nothing is left to
      // claim; after it, a takes b's entries, and each was sent once in all.
      await a.outbox.apply([], claimed.a.map((e) => ({ id: e.id, delivered: true as const })), [], 3_000);
      expect(await a.outbox.claim('fhir', 'worker-a', 100, 30_000, 60_000)).toEqual([]);
      const orphaned = await a.outbox.claim('fhir', 'worker-a', 100, 62_000, 60_000);
      expect(payloads(orphaned)).toEqual(payloads(claimed.b));
      await a.outbox.apply([], orphaned.map((e) => ({ id: e.id, delivered: true as const })), [], 62_000);
      expect(await a.outbox.stats('fhir')).toMatchObject({ pending: 0, dead: 0 });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('opens one alert for a condition when two gateways commit it at once: the second commit is refused whole', async () => {
    const url = await server.createDatabase(migrated);
    const [a, b] = await Promise.all([PgStore.open(url), PgStore.open(url)]);
    try {
      const alert = (id: string) => ({
        alert: { id, key: '9434765919|cuff-1|severe-hypertension', patientNhs: '9434765919', deviceId: 'cuff-1', ruleId: 'severe-hypertension', severity: 'critical' as const, state: 'open' as const, message: 'systolic 190', value: 190, openedAtMs: 1_000, updatedAtMs: 1_000 },
        by: 'rules',
        note: undefined,
      });
      const results = await Promise.allSettled([a.readings.commit({ readings: [], deadLetters: [], health: [], alerts: [alert('from-a')] }), b.readings.commit({ readings: [], deadLetters: [], health: [], alerts: [alert('from-b')] })]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.filter((r) => r.status === 'rejected');
      expect(refused.map((r) => (r.reason as { code?: string }).code)).toEqual(['GW_ALERT_CONFLICT']);
      expect((await a.alerts.unresolved()).length).toBe(1);
      expect((await a.alerts.list()).length).toBe(1);
      // A change planned on the alert as it stood is refused once another changed it.
      const [open] = await a.alerts.unresolved();
      if (open === undefined) throw new Error('no open alert');
      const ack = { alert: { ...open, state: 'acknowledged' as const, updatedAtMs: 2_000 }, by: 'dr-a', note: undefined, ifUpdatedAtMs: open.updatedAtMs };
      await a.readings.commit({ readings: [], deadLetters: [], health: [], alerts: [ack] });
      const stale = { alert: { ...open, escalationLevel: 1, updatedAtMs: 2_500 }, by: 'escalation', note: undefined, ifUpdatedAtMs: open.updatedAtMs };
      await expect(b.readings.commit({ readings: [], deadLetters: [], health: [], alerts: [stale] })).rejects.toMatchObject({ code: 'GW_ALERT_CONFLICT' });
      expect(await a.alerts.get(open.id)).toMatchObject({ state: 'acknowledged', escalationLevel: 0 });
      expect((await a.alerts.events(open.id)).map((e) => e.by)).toEqual(['rules', 'dr-a']);
      // What a plan reads of a patient: their unresolved alerts and running breaches, no one else's.
      await a.readings.commit({ readings: [], deadLetters: [], health: [], breaches: [{ key: '9434765919|cuff-1|hypotension', sinceMs: 1_500 }, { key: '4010232137|cuff-9|hypotension', sinceMs: 1_600 }] });
      expect(await b.alerts.conditionsOf(['9434765919'])).toEqual({ alerts: [expect.objectContaining({ id: open.id, state: 'acknowledged' })], breaches: [{ key: '9434765919|cuff-1|hypotension', sinceMs: 1_500 }] });
      expect((await b.alerts.conditionsOf(undefined)).breaches).toHaveLength(2);
      expect(await b.alerts.conditionsOf([])).toEqual({ alerts: [], breaches: [] });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("holds each recipient's lane for one sender at a time: the other gets none of its deliveries until the lease ends", async () => {
    const url = await server.createDatabase(migrated);
    const [a, b] = await Promise.all([PgStore.open(url), PgStore.open(url)]);
    try {
      const delivery = (lane: string, n: number) => ({ sink: 'alert-mqtt', payload: `${lane}-${n}`, firstReading: 0, readingCount: 0, lane });
      await a.outbox.apply([1, 2, 3].flatMap((n) => [delivery('dr-a', n), delivery('dr-b', n), delivery('dr-c', n)]), [], [], 1_000);
      const [fromA, fromB] = await Promise.all([a.outbox.claimLanes('alert-mqtt', 'worker-a', [], 100, 2_000, 60_000), b.outbox.claimLanes('alert-mqtt', 'worker-b', [], 100, 2_000, 60_000)]);
      const lanes = (entries: readonly { lane: string }[]) => [...new Set(entries.map((e) => e.lane))].sort();
      // Every lane to exactly one sender, whole and in order.
      expect([...lanes(fromA), ...lanes(fromB)].sort()).toEqual(['dr-a', 'dr-b', 'dr-c']);
      for (const got of [fromA, fromB]) for (const lane of lanes(got)) expect(got.filter((e) => e.lane === lane).map((e) => e.payload)).toEqual([1, 2, 3].map((n) => `${lane}-${n}`));
      // A sender's own lanes come back to it (the lease renewed); lanes it skips are left alone.
      const mine = lanes(fromA);
      expect(lanes(await a.outbox.claimLanes('alert-mqtt', 'worker-a', [], 100, 3_000, 60_000))).toEqual(mine);
      expect(await b.outbox.claimLanes('alert-mqtt', 'worker-b', lanes(fromB), 100, 3_000, 60_000)).toEqual([]);
      // worker-a dies: once its lease ends, worker-b takes its lanes.
      expect(lanes(await b.outbox.claimLanes('alert-mqtt', 'worker-b', [], 100, 63_001, 60_000))).toEqual(['dr-a', 'dr-b', 'dr-c']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("answers the alert rules' reads through indexes, never a scan of the readings or alerts, even on prepared statements' generic plans", async () => {
    const url = await server.createDatabase(migrated);
    const admin = new PgDatabase(url, { max: 1 });
    const name = new URL(url).pathname.slice(1);
    // Every statement planned as a prepared statement is after its fifth run, from the first.
    await admin.execute(`ALTER DATABASE ${name} SET plan_cache_mode = force_generic_plan`);
    const store = await PgStore.open(url, { poolSize: 1 });
    try {
      await new DeviceRegistry(store.devices, loadProfiles(bundledProfilesDir()), systemClock).add({ profileId: 'pulse-oximeter', patient: '9434765919', deviceId: 'ox-1' });
      for (let batch = 0; batch < 10; batch++) {
        const rows = Array.from({ length: 200 }, (_, i) => {
          const at = 1_000_000 + (batch * 200 + i) * 1_000;
          return row({ deviceId: 'ox-1', profileId: 'pulse-oximeter', messageId: `m${at}`, idempotencyKey: `ox-1|${at}|m${at}`, takenAtMs: at, deviceTakenAtMs: at, metric: 'spo2', value: 95, unit: '%' });
        });
        await store.readings.commit({ readings: readingsOf(rows), deadLetters: [], health: [] });
      }
      // Other patients' alerts, resolved: the index is worth using.
      const resolved = Array.from({ length: 500 }, (_, i) => ({
        alert: { id: `old-${i}`, key: `p${i}|cuff|severe-hypertension`, patientNhs: `p${i}`, deviceId: 'cuff', ruleId: 'severe-hypertension', severity: 'critical' as const, state: 'resolved' as const, message: 'systolic 190', value: 190, openedAtMs: i, updatedAtMs: i },
        by: 'rules',
        note: undefined,
      }));
      await store.readings.commit({ readings: [], deadLetters: [], health: [], alerts: resolved });
      await admin.query('ANALYZE');
      await admin.query('SELECT pg_stat_reset()');
      for (let i = 0; i < 10; i++) {
        await store.readings.existingKeys(['ox-1|1000000|m1000000', 'ox-1|0|nothing']);
        await store.readings.latestValues(['9434765919'], ['spo2', 'pulse', 'systolic'], 1_500_000);
        await store.alerts.conditionsOf(['9434765919'], { breaches: true });
      }
      const scans = async () => {
        // A backend hands in its statistics at the end of a transaction a second after its last
        // hand-in (else only after 10 s idle): a statement on another table makes the store's do so.
        await store.outbox.stats('none');
        return (await admin.query(`SELECT relname, seq_scan, idx_scan FROM pg_stat_user_tables WHERE relname IN ('readings', 'alerts') ORDER BY relname`)) as { relname: string; seq_scan: number; idx_scan: number }[];
      };
      const counted = await until(scans, (s) => s.find((t) => t.relname === 'readings')?.idx_scan !== 0, 'the reads counted', 30_000);
      expect(counted).toEqual([
        { relname: 'alerts', seq_scan: 0, idx_scan: expect.any(Number) },
        { relname: 'readings', seq_scan: 0, idx_scan: expect.any(Number) },
      ]);
    } finally {
      await store.close();
      await admin.close();
    }
  });

  it("reads each patient's latest value of each metric in a window, leaving out retracted readings", async () => {
    const store = await PgStore.open(await server.createDatabase(migrated));
    try {
      await new DeviceRegistry(store.devices, loadProfiles(bundledProfilesDir()), systemClock).add({ profileId: 'pulse-oximeter', patient: '9434765919', deviceId: 'ox-1' });
      const ox = (messageId: string, at: number, spo2: number, pulse: number) =>
        (['spo2', 'pulse'] as const).map((metric) => row({ deviceId: 'ox-1', profileId: 'pulse-oximeter', messageId, idempotencyKey: `ox-1|${at}|m${messageId}`, takenAtMs: at, deviceTakenAtMs: at, metric, value: metric === 'spo2' ? spo2 : pulse, unit: metric === 'spo2' ? '%' : '/min' }));
      await store.readings.commit({ readings: readingsOf([...ox('old', 1_000, 90, 120), ...ox('mid', 5_000, 95, 80), ...ox('new', 9_000, 88, 60)]), deadLetters: [], health: [] });
      await store.readings.commit({ readings: [], deadLetters: [], health: [], corrections: [{ deviceId: 'ox-1', readingKey: 'ox-1|9000|mnew', action: 'retract', before: { spo2: 88, pulse: 60 }, after: undefined, reason: 'test', requestedBy: 'test', atMs: 10_000 }] });
      const latest = await store.readings.latestValues(['9434765919', '4010232137'], ['spo2', 'pulse', 'systolic'], 2_000);
      expect(latest.sort((x, y) => x.metric.localeCompare(y.metric))).toEqual([
        { patientNhs: '9434765919', metric: 'pulse', value: 80, takenAtMs: 5_000 },
        { patientNhs: '9434765919', metric: 'spo2', value: 95, takenAtMs: 5_000 },
      ]);
    } finally {
      await store.close();
    }
  });

  it('migrates a new database once when several gateways start together, and reopens it as it is', async () => {
    const url = await server.createDatabase();
    const stores = await Promise.all([1, 2, 3, 4, 5, 6].map(() => PgStore.open(url)));
    await Promise.all(stores.map((s) => s.close()));
    const db = new PgDatabase(url);
    try {
      expect(await db.query('SELECT version FROM vg_schema')).toEqual([{ version: PG_SCHEMA_VERSION }]);
      await (await PgStore.open(url)).close();
      expect(await db.query('SELECT version FROM vg_schema')).toEqual([{ version: PG_SCHEMA_VERSION }]);
      await db.execute('UPDATE vg_schema SET version = version + 1');
      await expect(PgStore.open(url)).rejects.toMatchObject({ code: 'GW_STORE_NEWER_SCHEMA' });
    } finally {
      await db.close();
    }
  });

  it('announces a commit to every listener only once it commits, and a listener connects again after the server restarts', async () => {
    const url = await server.createDatabase(migrated);
    const [writer, listener] = await Promise.all([PgStore.open(url), PgStore.open(url)]);
    try {
      await writer.devices.insert(deviceRecord('d1', 'bp-upper-arm', '9434765919'));
      writer.readings.announce('vg_test', (batch) => batch.readings.map((r) => r.idempotencyKey));
      const heard: string[] = [];
      const states: boolean[] = [];
      const stop = listener.listen('vg_test', (p) => heard.push(p), (up) => states.push(up));
      await until(async () => states, (s) => s.includes(true), 'listening');
      const first = row({ messageId: 'n1' });
      await writer.readings.commit({ readings: readingsOf([first]), deadLetters: [], health: [] });
      await until(async () => heard, (h) => h.length === 1, 'the committed reading announced');
      expect(heard).toEqual([first.idempotencyKey]);
      // A commit that fails (an unknown device) announces nothing.
      await expect(writer.readings.commit({ readings: readingsOf([row({ messageId: 'n2', deviceId: 'nobody' })]), deadLetters: [], health: [] })).rejects.toThrow();
      await server.restart(() => until(async () => states, (s) => s.includes(false), 'the listener hears it lost its connection'));
      await until(async () => states, (s) => s.at(-1) === true, 'listening again', 30_000);
      const third = row({ messageId: 'n3' });
      await until(
        () => writer.readings.commit({ readings: readingsOf([third]), deadLetters: [], health: [] }).then(() => true, () => false),
        (ok) => ok,
        'the writer commits again',
      );
      await until(async () => heard, (h) => h.length === 2, 'announced after the restart');
      expect(heard).toEqual([first.idempotencyKey, third.idempotencyKey]);
      await stop();
    } finally {
      await Promise.all([writer.close(), listener.close()]);
    }
  }, 60_000);

  it('fills the per-minute rollups from the readings already stored when migrating to them, leaving retracted values out', async () => {
    const url = await server.createDatabase(migrated);
    const store = await PgStore.open(url);
    await store.devices.insert(deviceRecord('d1', 'bp-upper-arm', '9434765919'));
    const bp = (messageId: string, at: number, systolic: number) => [row({ messageId, takenAtMs: at, deviceTakenAtMs: at, metric: 'systolic', value: systolic }), row({ messageId, takenAtMs: at, deviceTakenAtMs: at, metric: 'diastolic', value: 80 })];
    const retracted = bp('r3', 125_000, 200);
    await store.readings.commit({ readings: readingsOf([...bp('r1', 60_000, 120), ...bp('r2', 70_000, 130), ...retracted, ...bp('r4', 190_000, 140)]), deadLetters: [], health: [] });
    await store.readings.commit({ readings: [], deadLetters: [], health: [], corrections: [{ deviceId: 'd1', readingKey: retracted[0]!.idempotencyKey, action: 'retract', before: { systolic: 200, diastolic: 80 }, after: undefined, reason: undefined, requestedBy: 'cli:test', atMs: 1 }] });
    await store.close();
    const db = new PgDatabase(url, { max: 1 });
    const rollups = async () => (await db.query("SELECT minute, min, max, sum, count FROM reading_rollups WHERE metric = 'systolic' ORDER BY minute", [])).map((r) => Object.values(r).map(Number));
    const kept = await rollups();
    expect(kept).toEqual([[1, 120, 130, 250, 2], [3, 140, 140, 140, 1]]);
    // Back to the schema before rollups, then migrated again: the same rollups, from the readings.
    await db.query('DROP TABLE reading_rollups; UPDATE vg_schema SET version = 10');
    await (await PgStore.open(url)).close();
    expect(await rollups()).toEqual(kept);
    await db.close();
  });

  it('keeps reading whole rows through its prepared statements when a newer version adds columns (a rolling upgrade)', async () => {
    const url = await server.createDatabase(migrated);
    const store = await PgStore.open(url, { poolSize: 1 });
    try {
      await store.devices.insert(deviceRecord('d1', 'bp-upper-arm', '9434765919'));
      const reads = async () => [await store.devices.get('d1'), await store.devices.list(), await store.alerts.unresolved(), await store.clinicians.list(), await store.outbox.dead('fhir'), await store.patients.allSettings(), await store.derived.due(0, 10), await store.deadLetters.list()];
      const before = await reads(); // each statement prepared on the one connection
      const db = new PgDatabase(url, { max: 1 });
      for (const table of ['devices', 'alerts', 'clinicians', 'outbox', 'patient_settings', 'derived_observations', 'dead_letters']) await db.query(`ALTER TABLE ${table} ADD COLUMN added_later TEXT`);
      await db.close();
      expect(await reads()).toEqual(before);
    } finally {
      await store.close();
    }
  });
});
