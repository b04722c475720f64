/**
 * Derived Observations (window summaries, home BP averages) on workers sharing PostgreSQL: what
 * changed is read in commit order, so a reading whose transaction commits after a later-numbered
 * one is never skipped; one worker derives at a time (a lease), and another takes over when it
 * lapses. Real PostgreSQL, real group commits and derivations on an injected clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledProfilesDir, loadConfig } from '../../src/config/index.js';
import { addLocalDays, localDayStart } from '../../src/clinical/index.js';
import { ManualClock, readingsOf } from '../../src/domain/index.js';
import { Closers } from '../../src/lifecycle.js';
import { HBPM } from '../../src/outputs/alerts/index.js';
import { sharedAlertEngine } from '../../src/backends/index.js';
import { createLogger, GatewayMetrics } from '../../src/observability/index.js';
import { DERIVATION_NAME, Derivations, FHIR_SINK } from '../../src/outputs/fhir/index.js';
import { CommitQueue } from '../../src/pipeline/index.js';
import { loadProfiles } from '../../src/profiles/index.js';
import { PgDatabase, PgStore } from '../../src/store/postgres/index.js';
import { row } from '../contracts/reading-store.contract.js';
import { useCleanups } from '../helpers/cleanup.js';
import { postgresMissing, PostgresServer } from '../helpers/postgres.js';
import { deviceRecord } from '../helpers/records.js';

const defer = useCleanups();
const profiles = loadProfiles(bundledProfilesDir());
const PATIENT = '9434765919';
const MIN = 60_000;
const LEASE_MS = 60_000;
const ZONE = 'Europe/London';

const device = (id: string, profileId: string) =>
  deviceRecord(id, profileId, PATIENT);

const heartRate = (at: number, value: number) =>
  row({ deviceId: 'watch-1', patientNhs: PATIENT, profileId: 'wrist-wearable', metric: 'heartRate', value, unit: '/min', takenAtMs: at, deviceTakenAtMs: at, messageId: `hr-${at}` });

describe.skipIf(postgresMissing)('derived Observations on workers sharing PostgreSQL', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await PostgresServer.start();
  }, 60_000);
  afterAll(() => server?.stop());

  /** One worker's derivation path: its own pool, group commit and derivations, taking turns by lease. */
  async function worker(url: string, holder: string, clock: ManualClock) {
    const store = await PgStore.open(url, { poolSize: 2 });
    defer(() => store.close());
    const queue = new CommitQueue(store.readings, 1000);
    defer(() => queue.close());
    const derivations = new Derivations(
      { gatewayId: 'svc', gatewayVersion: 'test', timeZone: 'Europe/London', graceMs: MIN, intervalMs: 3_600_000, send: true, turn: () => store.derived.claim(DERIVATION_NAME, holder, clock.now(), LEASE_MS) },
      store.derived,
      (id) => store.devices.get(id),
      profiles,
      (batch) => queue.submit(batch),
      clock,
      createLogger({ level: 'silent' }),
    );
    return { store, queue, derivations };
  }

  it('reads what changed in commit order: a reading committed after a later-numbered one is still read', async () => {
    const url = await server.createDatabase();
    const store = await PgStore.open(url, { poolSize: 3 });
    defer(() => store.close());
    await store.devices.insert(device('watch-1', 'wrist-wearable'));
    await store.readings.commit({ readings: readingsOf([heartRate(1_000, 60)]), deadLetters: [], health: [] });
    const first = await store.derived.readingsAfter(0, 100, ['heartRate']);
    expect(first.inputs.map((i) => i.value)).toEqual([60]);

    // A transaction takes its reading's id first and commits last.
    const db = new PgDatabase(url, { max: 1 });
    defer(() => db.close());
    let release = (): void => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserted = (): void => {};
    const insertedYet = new Promise<void>((resolve) => (inserted = resolve));
    const slow = db.transaction(async (tx) => {
      await tx.execute(
        `INSERT INTO readings (reading_key, device_id, patient_nhs, profile_id, values_json, taken_at, device_taken_at, received_at)
         VALUES ('slow', 'watch-1', $1, 'wrist-wearable', '{"heartRate":[70,"/min"]}', 2000, 2000, 2000)`,
        [PATIENT],
      );
      inserted();
      await held;
    });
    await insertedYet;
    await store.readings.commit({ readings: readingsOf([heartRate(3_000, 80)]), deadLetters: [], health: [] });
    const meanwhile = await store.derived.readingsAfter(first.readToId, 100, ['heartRate']);
    expect(meanwhile.inputs).toEqual([]); // the later commit waits behind the running transaction
    release();
    await slow;
    // The slow reading's id is the smaller: read by id, it would have been passed over.
    expect((await db.query('SELECT reading_key FROM readings ORDER BY id', [])).map((r) => r['reading_key'])).toEqual([expect.any(String), 'slow', expect.any(String)]);
    const after = await store.derived.readingsAfter(meanwhile.readToId, 100, ['heartRate']);
    expect(after.inputs.map((i) => i.value).sort()).toEqual([70, 80]);
    expect((await store.derived.readingsAfter(after.readToId, 100, ['heartRate'])).inputs).toEqual([]);
  });

  it('summarises a window once between two workers, amends it when a late sample arrives, and passes the turn on when the lease lapses', async () => {
    const url = await server.createDatabase();
    // A quarter-hour window that ended a while ago (windows are whole quarter hours in UK local time).
    const start = Math.floor(Date.now() / (15 * MIN)) * 15 * MIN - 4 * 15 * MIN;
    const clock = new ManualClock(start + 15 * MIN + 2 * MIN);
    const a = await worker(url, 'worker-a', clock);
    const b = await worker(url, 'worker-b', clock);
    await a.store.devices.insert(device('watch-1', 'wrist-wearable'));
    await a.queue.submit({ readings: readingsOf([heartRate(start + MIN, 60), heartRate(start + 5 * MIN, 70)]), deadLetters: [], health: [] });
    await b.queue.submit({ readings: readingsOf([heartRate(start + 14 * MIN, 80)]), deadLetters: [], health: [] });

    await Promise.all([a.derivations.tick(), b.derivations.tick()]);
    const fhirEntries = async () => (await a.store.outbox.pending(FHIR_SINK, 0, 100)).map((e) => JSON.parse(e.payload) as { observation: { status: string; valueQuantity?: { value: number } } });
    const summaries = await a.store.derived.ofPatient(PATIENT);
    expect(summaries.map((r) => [r.key.split('|')[0], r.status])).toEqual([['summary', 'final']]);
    expect((await fhirEntries()).map((e) => [e.observation.status, e.observation.valueQuantity?.value])).toEqual([['final', 70]]);
    const db = new PgDatabase(url, { max: 1 });
    defer(() => db.close());
    const holder = async () => (await db.query('SELECT claimed_by FROM derivation_state WHERE name = $1', [DERIVATION_NAME]))[0]?.['claimed_by'];
    const deriving = String(await holder());
    const [first, second] = deriving === 'worker-a' ? [a, b] : [b, a];

    // A late sample of the closed window, stored by the worker not deriving: the deriving one amends the summary.
    await second.queue.submit({ readings: readingsOf([heartRate(start + 10 * MIN, 90)]), deadLetters: [], health: [] });
    clock.advance(MIN);
    await second.derivations.tick(); // not its turn: nothing
    expect((await fhirEntries()).length).toBe(1);
    await first.derivations.tick();
    expect((await fhirEntries()).map((e) => [e.observation.status, e.observation.valueQuantity?.value])).toEqual([['final', 70], ['amended', 75]]);

    // The deriving worker stops ticking (it died): once its lease lapses the other derives, from the same watermark.
    await second.queue.submit({ readings: readingsOf([heartRate(start + 20 * MIN, 100)]), deadLetters: [], health: [] });
    clock.advance(LEASE_MS + 20 * MIN);
    await second.derivations.tick();
    expect(await holder()).toBe(deriving === 'worker-a' ? 'worker-b' : 'worker-a');
    expect((await a.store.derived.ofPatient(PATIENT)).map((r) => r.status)).toEqual(['amended', 'final']);
    expect((await fhirEntries()).map((e) => e.observation.valueQuantity?.value)).toEqual([70, 75, 100]);
  }, 30_000);

  it("raises the home BP alert from a monitoring run's average derived on PostgreSQL, through the worker's shared alert rules", async () => {
    const url = await server.createDatabase();
    const config = loadConfig([{ source: 'test', values: { 'store.postgres.url': url, 'broker.url': 'mqtt://127.0.0.1:1', 'ble.enabled': false } }]);
    // A 7-day run that ended two days ago, two readings a day at 150/95 [NICE NG136 1.2.6]: stage 2.
    const firstDay = addLocalDays(localDayStart(Date.now(), ZONE), -9, ZONE);
    const clock = new ManualClock(addLocalDays(firstDay, 8, ZONE));
    const w = await worker(url, 'worker-a', clock);
    const closers = new Closers();
    defer(() => closers.closeAll());
    const engine = await sharedAlertEngine({ config, store: w.store, queue: w.queue, profiles, clock, metrics: new GatewayMetrics(), log: createLogger({ level: 'silent' }), closers, committed: () => {} });
    w.derivations.onHomeBpAverage((nhs, average) => engine.homeBpAverage(nhs, average));
    await w.store.devices.insert(device('cuff-1', 'bp-upper-arm'));
    const rows = Array.from({ length: 7 }, (_, d) => addLocalDays(firstDay, d, ZONE)).flatMap((day) =>
      [8, 20].flatMap((hour) => {
        const at = day + hour * 3_600_000;
        const bp = { deviceId: 'cuff-1', patientNhs: PATIENT, profileId: 'bp-upper-arm', unit: 'mm[Hg]', takenAtMs: at, deviceTakenAtMs: at, messageId: `bp-${at}` };
        return [row({ ...bp, metric: 'systolic', value: 150 }), row({ ...bp, metric: 'diastolic', value: 95 })];
      }),
    );
    await w.queue.submit({ readings: readingsOf(rows), deadLetters: [], health: [] });
    expect((await w.store.alerts.list({ patientNhs: PATIENT })).map((x) => x.ruleId)).not.toContain(HBPM);
    await w.derivations.tick();
    await engine.settled();
    const [hbpm] = (await w.store.alerts.list({ patientNhs: PATIENT })).filter((x) => x.ruleId === HBPM);
    expect(hbpm).toMatchObject({ state: 'open', severity: 'warning', message: expect.stringContaining('stage 2 hypertension') });
    expect((await w.store.derived.ofPatient(PATIENT)).map((r) => [r.key.split('|')[0], r.status])).toEqual([['hbpm', 'final']]);
  }, 30_000);
});
