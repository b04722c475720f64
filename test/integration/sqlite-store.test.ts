import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GatewayError, ManualClock, readingsOf } from '../../src/domain/index.js';
import { createLogger } from '../../src/observability/index.js';
import { AlertEngine } from '../../src/outputs/alerts/index.js';
import { shippedProfile } from '../helpers/profiles.js';
import { CommitQueue } from '../../src/pipeline/index.js';
import { SCHEMA_VERSION, SqliteStore, SqliteWriterThread } from '../../src/store/sqlite/index.js';
import { migrate } from '../../src/store/sqlite/migrations.js';
import { INSERT_READING } from '../../src/store/sqlite/readings.js';
import type { CommitReceipt } from '../../src/store/reading-store.js';
import { describeBrokerCredentialStoreContract } from '../contracts/broker-credential-store.contract.js';
import { describeClinicianStoreContract } from '../contracts/clinician-store.contract.js';
import { describeOutboxStoreContract } from '../contracts/outbox-store.contract.js';
import { describeCareStoreContract } from '../contracts/care-store.contract.js';
import { MemorySessionStore } from '../../src/web/index.js';
import { describeAlertStoreContract } from '../contracts/alert-store.contract.js';
import { describeDeadLetterStoreContract } from '../contracts/dead-letter-store.contract.js';
import { describeDeviceStoreContract } from '../contracts/device-store.contract.js';
import { describePatientStoreContract } from '../contracts/patient-store.contract.js';
import { describeReadingStoreContract, row } from '../contracts/reading-store.contract.js';
import { tempDir } from '../helpers/gateway.js';
import type { ReadingRow } from '../../src/domain/index.js';
import { deviceRecord } from '../helpers/records.js';

function openStore() {
  const tmp = tempDir();
  const store = new SqliteStore(join(tmp.dir, 'gateway.db'));
  const addDevice = (id: string, patientNhs: string, profileId = 'bp-upper-arm') =>
    store.devices.insert(deviceRecord(id, profileId, patientNhs));
  return { tmp, store, addDevice };
}

/** The store's ports the web app reads, and their writers. */
const pick = (s: SqliteStore) => ({ readings: s.readings, devices: s.devices, clinicians: s.clinicians, views: s.views, audit: s.audit, tokens: s.tokens, research: s.research });

/** A fresh SQLite store in a temp directory, one of its ports under test, closed and removed afterwards. */
const adapter =
  <T>(port: (s: SqliteStore) => T) =>
  () => {
    const { tmp, store } = openStore();
    return { store: port(store), close: () => (store.close(), tmp.remove()) };
  };

describeReadingStoreContract('SqliteReadingStore', () => {
  const { tmp, store, addDevice } = openStore();
  return { store: store.readings, outbox: store.outbox, addDevice, close: () => (store.close(), tmp.remove()) };
});

describeDeviceStoreContract('SqliteDeviceStore', adapter((s) => s.devices));

// Sessions: a gateway on SQLite keeps them in memory.
describeCareStoreContract('SQLite (sessions in memory)', adapter((s) => ({ ...pick(s), sessions: new MemorySessionStore() })));

describePatientStoreContract('SqlitePatients', adapter((s) => s.patients));

describeDeadLetterStoreContract('SqliteDeadLetters', adapter((s) => s.deadLetters));

describeAlertStoreContract('SqliteAlerts', adapter((s) => s.alerts));

describeOutboxStoreContract('SqliteOutbox', adapter((s) => s.outbox));

describeClinicianStoreContract('SqliteClinicians', adapter((s) => s.clinicians));

describeBrokerCredentialStoreContract('SqliteBrokerCredentials', adapter((s) => s.brokerCredentials));

describe('SQLite store', () => {
  it('opens in WAL mode with full sync and the current schema version', () => {
    const { tmp, store } = openStore();
    store.close();
    const db = new Database(join(tmp.dir, 'gateway.db'));
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    } finally {
      db.close();
      tmp.remove();
    }
  });

  it("stores a reading without filling a temporary table for its status check, which still refuses an unknown status", () => {
    const { tmp, store, addDevice } = openStore();
    addDevice('d1', '9434765919');
    store.readings.commit({ readings: readingsOf([row()]), deadLetters: [], health: [] });
    store.close();
    const db = new Database(join(tmp.dir, 'gateway.db'));
    try {
      // An IN list of three or more values is coded as a temporary table, filled on every insert.
      const program = db.prepare(`EXPLAIN ${INSERT_READING}`).all('k', 'd1', '9434765919', 'bp-upper-arm', '{}', 1, 1, 1, null, null, null) as { opcode: string }[];
      expect(program.map((step) => step.opcode)).not.toContain('OpenEphemeral');
      const setStatus = db.prepare('UPDATE readings SET status = ?');
      for (const status of ['amended', 'entered-in-error', 'final']) expect(setStatus.run(status).changes).toBe(1);
      expect(() => setStatus.run('deleted')).toThrow(/CHECK constraint failed/);
      expect(() => setStatus.run('Final')).toThrow(/CHECK constraint failed/);
    } finally {
      db.close();
      tmp.remove();
    }
  });

  it('reopens an existing store without re-running migrations, keeping its data', () => {
    const { tmp, store, addDevice } = openStore();
    addDevice('d1', '9434765919');
    store.readings.commit({ readings: readingsOf([row()]), deadLetters: [], health: [] });
    store.close();
    const again = new SqliteStore(join(tmp.dir, 'gateway.db'));
    expect(again.readings.count()).toBe(1);
    again.close();
    tmp.remove();
  });

  it('moves keys written before they led with the time to the new order and then to one per reading, so a replay is still a duplicate', () => {
    const tmp = tempDir();
    const file = join(tmp.dir, 'gateway.db');
    const old = new Database(file);
    migrate(old, 6);
    old.prepare(`INSERT INTO devices (id, profile_id, patient_nhs, secret_hash, status, created_at) VALUES ('d1', 'bp-upper-arm', '9434765919', 'x', 'active', 0)`).run();
    const insert = old.prepare(
      `INSERT INTO readings (idempotency_key, device_id, patient_nhs, profile_id, metric, value, unit, taken_at, device_taken_at, received_at, message_id)
       VALUES (?, 'd1', '9434765919', 'bp-upper-arm', ?, ?, 'mm[Hg]', 1000, 1000, 2000, 'k1')`,
    );
    insert.run('d1|000000000001000|systolic|mk1', 'systolic', 128);
    insert.run('d1|000000000001000|diastolic|mk1', 'diastolic', 82);
    old.prepare(`INSERT INTO corrections (device_id, reading_key, action, before, requested_by, at) VALUES ('d1', 'd1|000000000001000|systolic|mk1', 'retract', '{}', 'test', 3000)`).run();
    old.close();

    const store = new SqliteStore(file);
    try {
      const keys = store.readings.query({ deviceId: 'd1' }).map((r) => r.idempotencyKey);
      expect(keys).toEqual([row({ metric: 'systolic' }).idempotencyKey, row({ metric: 'diastolic', value: 82 }).idempotencyKey]);
      expect(keys).toEqual(['000000000001000|d1|mk1', '000000000001000|d1|mk1']);
      expect(store.readings.readingsAt('d1', 1000)).toHaveLength(2);
      const replay = store.readings.commit({ readings: readingsOf([row({ metric: 'systolic' }), row({ metric: 'diastolic', value: 82 })]), deadLetters: [], health: [] });
      expect(replay.inserted).toEqual([false]);
      const raw = new Database(file, { readonly: true });
      expect(raw.prepare('SELECT reading_key AS k FROM corrections').get()).toEqual({ k: '000000000001000|d1|mk1' });
      // The readings' one index is their key's; the per-patient index is a table of its own.
      expect(raw.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'readings' ORDER BY name`).all()).toEqual([{ name: 'sqlite_autoindex_readings_1' }]);
      expect(raw.prepare('SELECT patient_nhs, profile_id, id FROM reading_index').raw().all()).toEqual([['9434765919', 'bp-upper-arm', 1]]);
      raw.close();
    } finally {
      store.close();
      tmp.remove();
    }
  });

  it('keeps the running breaches of duration rules across a reopen, and drops one once it ends', () => {
    const { tmp, store } = openStore();
    const file = join(tmp.dir, 'gateway.db');
    const key = '9434765919|watch-1|sustained-tachycardia';
    try {
      store.readings.commit({ readings: [], deadLetters: [], health: [], breaches: [{ key, sinceMs: 1_000 }, { key: 'other', sinceMs: 2_000 }, { key: 'other', sinceMs: undefined }] });
      store.close();
      const again = new SqliteStore(file);
      expect(again.alerts.breaches()).toEqual([{ key, sinceMs: 1_000 }]);
      again.readings.commit({ readings: [], deadLetters: [], health: [], breaches: [{ key, sinceMs: undefined }] });
      expect(again.alerts.breaches()).toEqual([]);
      again.close();
    } finally {
      store.close();
      tmp.remove();
    }
  });

  it('refuses a store written by a newer version', () => {
    const { tmp, store } = openStore();
    store.close();
    const db = new Database(join(tmp.dir, 'gateway.db'));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    let error: unknown;
    try {
      new SqliteStore(join(tmp.dir, 'gateway.db'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('GW_STORE_NEWER_SCHEMA');
    tmp.remove();
  });
});

describe('CommitQueue (group commit)', () => {
  it('writes work submitted in one turn in one transaction and settles each with its own flags', async () => {
    const { tmp, store, addDevice } = openStore();
    addDevice('d1', '9434765919');
    const commits: number[] = [];
    const queue = new CommitQueue(store.readings, 1_000, { committed: (messages) => commits.push(messages), commitFailed: () => {} });
    const a = queue.submit({ readings: readingsOf([row({ messageId: 'a' }), row({ messageId: 'b' })]), deadLetters: [], health: [] });
    const b = queue.submit({ readings: readingsOf([row({ messageId: 'b' })]), deadLetters: [], health: [{ deviceId: 'd1', seenAtMs: 5 }] });
    expect(await Promise.all([a, b])).toEqual([[true, true], [false]]);
    expect(commits).toEqual([2]);
    expect(store.devices.health('d1')?.lastSeenAtMs).toBe(5);
    queue.close();
    store.close();
    tmp.remove();
  });

  it('keeps an outbox entry only when its rows are new, across submissions sharing a commit', async () => {
    const { tmp, store, addDevice } = openStore();
    addDevice('d1', '9434765919');
    const queue = new CommitQueue(store.readings, 1_000);
    const entry = (payload: string) => ({ sink: 's', payload, firstReading: 0, readingCount: 1 });
    const a = queue.submit({ readings: readingsOf([row({ messageId: 'x' })]), deadLetters: [], health: [], outbox: [entry('A')] });
    const b = queue.submit({ readings: readingsOf([row({ messageId: 'x' })]), deadLetters: [], health: [], outbox: [entry('B')] });
    const c = queue.submit({ readings: [], deadLetters: [], health: [], outbox: [{ sink: 's', payload: 'C', firstReading: 0, readingCount: 0 }] });
    expect(await Promise.all([a, b, c])).toEqual([[true], [false], []]);
    expect(store.outbox.pending('s', 0, 10)).toEqual([{ id: 1, payload: 'A\nC', items: 2 }]);
    expect(store.outbox.stats('s')).toMatchObject({ pending: 2, dead: 0 });
    await queue.submit({ readings: [], deadLetters: [], health: [], outboxResults: [{ id: 1, delivered: true }] });
    expect(store.outbox.stats('s')).toEqual({ pending: 0, dead: 0, oldestPendingAtMs: undefined });
    // Ids never repeat: a sender reading on after id 1 still sees the next entry once the table is empty.
    await queue.submit({ readings: [], deadLetters: [], health: [], outbox: [{ sink: 's', payload: 'D', firstReading: 0, readingCount: 0 }] });
    expect(store.outbox.pending('s', 1, 10)).toEqual([{ id: 2, payload: 'D', items: 1 }]);
    // A delivered row's refused payloads are kept on their own as dead.
    await queue.submit({ readings: [], deadLetters: [], health: [], outboxResults: [{ id: 2, delivered: true, refused: [{ sink: 's', payload: 'D', error: 'no' }] }] });
    expect(store.outbox.dead('s')).toMatchObject([{ id: 3, payload: 'D', items: 1, error: 'no' }]);
    await queue.close();
    store.close();
    tmp.remove();
  });

  it('flushes early at the row cap', async () => {
    const { tmp, store, addDevice } = openStore();
    addDevice('d1', '9434765919');
    const commits: number[] = [];
    const queue = new CommitQueue(store.readings, 2, { committed: (_m, rows) => commits.push(rows), commitFailed: () => {} });
    await Promise.all([1, 2, 3].map((i) => queue.submit({ readings: readingsOf([row({ messageId: `k${i}` })]), deadLetters: [], health: [] })));
    expect(commits).toEqual([2, 1]);
    queue.close();
    store.close();
    tmp.remove();
  });

  it('fails only the message that breaks a commit (no PUBACK for it), and refuses work once closed', async () => {
    const { tmp, store, addDevice } = openStore();
    addDevice('d1', '9434765919');
    const queue = new CommitQueue(store.readings, 1_000);
    const failing = queue.submit({ readings: readingsOf([row({ deviceId: 'unknown' })]), deadLetters: [], health: [] });
    const other = queue.submit({ readings: readingsOf([row({ messageId: 'fine' })]), deadLetters: [], health: [] });
    await expect(failing).rejects.toThrow();
    expect(await other).toEqual([true]);
    expect(store.readings.query({}).map((r) => r.messageId)).toEqual(['fine']);
    const alone = queue.submit({ readings: readingsOf([row({ deviceId: 'unknown' })]), deadLetters: [], health: [] });
    await expect(alone).rejects.toThrow();
    expect(queue.healthy()).toBe(false);
    await queue.submit({ readings: [], deadLetters: [], health: [] });
    expect(queue.healthy()).toBe(true);
    queue.close();
    await expect(queue.submit({ readings: [], deadLetters: [], health: [] })).rejects.toMatchObject({ code: 'GW_STORE_CLOSED' });
    store.close();
    tmp.remove();
  });
});

describe('CommitQueue on the writer thread with the alert rules: a commit planned beside one that fails', () => {
  it('is refused and planned again on what is committed, so the alert the failed commit would have opened is opened by it', async () => {
    const { tmp, store, addDevice } = openStore();
    addDevice('d1', '9434765919');
    const writer = new SqliteWriterThread(join(tmp.dir, 'gateway.db'));
    const queue = new CommitQueue(writer, 1_000);
    const engine = new AlertEngine({
      store: { unresolved: () => store.alerts.unresolved(), breaches: () => store.alerts.breaches(), recipientsOf: () => [], existing: (keys) => store.readings.existingKeys(keys) },
      requestCommit: () => queue.submit({ readings: [], deadLetters: [], health: [] }),
      committed: () => {},
      clock: new ManualClock(Date.now()),
      metrics: { alertChanged: () => {} },
      log: createLogger({ level: 'silent' }),
    });
    await engine.start();
    queue.usePlanner(engine);
    const device = { deviceId: 'd1', patientNhs: '9434765919', profile: shippedProfile('bp-upper-arm') }; // severe-hypertension: systolic above 179
    const systolic = (messageId: string, value: number, takenAtMs: number) => ({ readings: readingsOf([row({ messageId, value, takenAtMs, deviceTakenAtMs: takenAtMs })]), deadLetters: [], health: [] });
    // The store refuses the alert a systolic of 195 opens (a full disk or a broken table, for that write alone).
    const other = new Database(join(tmp.dir, 'gateway.db'));
    other.exec(`CREATE TRIGGER refuse_195 BEFORE INSERT ON alerts WHEN NEW.value = 195 BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    const outcome = (p: Promise<unknown>) => p.then(() => 'stored', (e: GatewayError) => e.code);
    try {
      const first = outcome(queue.submit(systolic('m1', 195, 1_000), device));
      await new Promise(setImmediate); // its commit sent to the writer thread
      // Planned beside it, on the alert it opens: a repeat, changing nothing. Were it written so, no alert would ever open.
      const second = outcome(queue.submit(systolic('m2', 196, 2_000), device));
      expect(await Promise.all([first, second])).toEqual(['GW_STORE_WRITE_FAILED', 'stored']);
      expect(store.readings.query({}).map((r) => r.messageId)).toEqual(['m2']);
      expect(store.alerts.list({}).map((a) => [a.ruleId, a.state, a.value])).toEqual([['severe-hypertension', 'open', 196]]);
      expect(queue.healthy()).toBe(true);
    } finally {
      await queue.close();
      await writer.stop();
      other.close();
      store.close();
      tmp.remove();
    }
  });
});

describe('SqliteWriterThread', () => {
  it('commits on its own thread and connection, reporting new and duplicate readings, and the outbox rows it added', async () => {
    const { tmp, store, addDevice } = openStore();
    addDevice('d1', '9434765919');
    const writer = new SqliteWriterThread(join(tmp.dir, 'gateway.db'));
    try {
      const outbox = [{ sink: 'fhir', payload: 'obs-a', firstReading: 0, readingCount: 1 }];
      const batch = { readings: readingsOf([row({ messageId: 'a' }), row({ messageId: 'b' })]), outbox, deadLetters: [{ deviceId: 'd1', topic: 't', receivedAtMs: 1, payload: Buffer.from('{x'), issues: [] }], health: [{ deviceId: 'd1', seenAtMs: 9 }] };
      const receipt = await writer.commit(batch);
      expect(receipt).toEqual({ inserted: [true, true], outbox: [{ sink: 'fhir', id: store.outbox.pendingIds('fhir', 0, 10)[0], payload: 'obs-a', items: 1 }] });
      expect(await writer.commit(batch)).toEqual({ inserted: [false, false], outbox: [] });
      // visible to the main thread's connection at once
      expect(store.readings.count()).toBe(2);
      expect(store.deadLetters.list()[0]?.payload.toString()).toBe('{x');
      expect(store.devices.health('d1')?.lastSeenAtMs).toBe(9);
    } finally {
      await writer.stop();
      await writer.stop();
      store.close();
      tmp.remove();
    }
  });

  it('fails a commit the store refuses with GW_STORE_WRITE_FAILED, writing none of it, and carries on', async () => {
    const { tmp, store, addDevice } = openStore();
    addDevice('d1', '9434765919');
    const writer = new SqliteWriterThread(join(tmp.dir, 'gateway.db'));
    try {
      await expect(writer.commit({ readings: readingsOf([row({ messageId: 'ok' }), row({ deviceId: 'ghost' })]), deadLetters: [], health: [] })).rejects.toMatchObject({
        code: 'GW_STORE_WRITE_FAILED',
      });
      expect(store.readings.count()).toBe(0);
      expect(await writer.commit({ readings: readingsOf([row({ messageId: 'ok' })]), deadLetters: [], health: [] })).toMatchObject({ inserted: [true] });
    } finally {
      await writer.stop();
      store.close();
      tmp.remove();
    }
  });

  it('writes commits in the order sent, and refuses unwritten each one sent planned on a commit that failed', async () => {
    const { tmp, store, addDevice } = openStore();
    addDevice('d1', '9434765919');
    const writer = new SqliteWriterThread(join(tmp.dir, 'gateway.db'));
    const batch = (deviceId: string, messageId: string) => ({ readings: readingsOf([row({ deviceId, messageId })]), deadLetters: [], health: [] });
    const outcome = (p: Promise<CommitReceipt>) => p.then((r) => ({ inserted: r.inserted }), (e: GatewayError) => e.code);
    try {
      // Sent together, none awaited: the thread takes each in turn.
      const answers = await Promise.all([
        outcome(writer.commit(batch('d1', 'a'), true)), // planned on a commit this thread never wrote: refused
        outcome(writer.commit(batch('d1', 'b'))),
        outcome(writer.commit(batch('ghost', 'c'), true)), // fails: no such device
        outcome(writer.commit(batch('d1', 'd'), true)), // planned on the failed one: refused
        outcome(writer.commit(batch('d1', 'e'), true)), // planned on the refused one: refused
        outcome(writer.commit(batch('d1', 'f'))), // planned afresh
        outcome(writer.commit(batch('d1', 'g'), true)),
      ]);
      expect(answers).toEqual(['GW_COMMIT_UNSETTLED', { inserted: [true] }, 'GW_STORE_WRITE_FAILED', 'GW_COMMIT_UNSETTLED', 'GW_COMMIT_UNSETTLED', { inserted: [true] }, { inserted: [true] }]);
      expect(store.readings.query({}).map((r) => r.messageId).sort()).toEqual(['b', 'f', 'g']);
    } finally {
      await writer.stop();
      store.close();
      tmp.remove();
    }
  });

  it('keeps per-minute rollups and latest values of what is shown: duplicates add nothing, a retraction or amendment works them out again', () => {
    const { tmp, store, addDevice } = openStore();
    try {
      addDevice('d1', '9434765919');
      const minute = 29_000_000; // a minute number: its values at 0, 10 and 50 s past it
      const at = (s: number) => minute * 60_000 + s * 1000;
      const rows = [row({ value: 120, deviceTakenAtMs: at(0), takenAtMs: at(0) }), row({ value: 140, deviceTakenAtMs: at(10), takenAtMs: at(10) }), row({ value: 200, deviceTakenAtMs: at(50), takenAtMs: at(50) })];
      store.readings.commit({ readings: readingsOf(rows), deadLetters: [], health: [] });
      store.readings.commit({ readings: readingsOf([rows[0] as ReadingRow]), deadLetters: [], health: [] }); // a replay
      const rollup = () => new Database(join(tmp.dir, 'gateway.db'), { readonly: true }).prepare('SELECT minute, min, max, sum, count FROM reading_rollups').all();
      expect(rollup()).toEqual([{ minute, min: 120, max: 200, sum: 460, count: 3 }]);
      const latest = () => store.views.latest('9434765919', ['systolic']).map((v) => [v.value, v.takenAtMs]);
      expect(latest()).toEqual([[200, at(50)]]);
      const correct = (r: ReadingRow, action: 'retract' | 'amend', after?: Record<string, number>) =>
        store.readings.commit({ readings: [], deadLetters: [], health: [], corrections: [{ deviceId: 'd1', readingKey: r.idempotencyKey, action, before: { systolic: r.value }, after, reason: 'test', requestedBy: 'test', atMs: at(55) }] });
      correct(rows[2] as ReadingRow, 'retract');
      expect(rollup()).toEqual([{ minute, min: 120, max: 140, sum: 260, count: 2 }]);
      expect(latest()).toEqual([[140, at(10)]]); // the retracted latest value gives way to the one before
      correct(rows[1] as ReadingRow, 'amend', { systolic: 130 });
      expect(rollup()).toEqual([{ minute, min: 120, max: 130, sum: 250, count: 2 }]);
      expect(latest()).toEqual([[130, at(10)]]);
      correct(rows[0] as ReadingRow, 'retract');
      correct(rows[1] as ReadingRow, 'retract');
      expect(rollup()).toEqual([]);
      expect(latest()).toEqual([]);
      // The chart of that minute: retracted values are not in it.
      expect(store.views.series('9434765919', 'systolic', at(0), at(60), 2)).toEqual({ points: [] });
    } finally {
      store.close();
      tmp.remove();
    }
  });

  it("gives a NEWS2 input's latest value since a time, from whichever profile has the newest, never a retracted one", () => {
    const { tmp, store, addDevice } = openStore();
    try {
      addDevice('cuff', '9434765919');
      addDevice('ox', '9434765919', 'pulse-oximeter');
      const pulse = (deviceId: string, profileId: string, at: number, value: number) => row({ deviceId, profileId, metric: 'pulse', value, unit: '/min', takenAtMs: at, deviceTakenAtMs: at, messageId: `${deviceId}-${at}` });
      const later = pulse('cuff', 'bp-upper-arm', 300_000, 75);
      store.readings.commit({ readings: readingsOf([pulse('cuff', 'bp-upper-arm', 100_000, 70), pulse('ox', 'pulse-oximeter', 200_000, 88), row({ deviceId: 'cuff', takenAtMs: 250_000, deviceTakenAtMs: 250_000, messageId: 'no-pulse' }), later]), deadLetters: [], health: [] });
      expect(store.readings.latest('9434765919', 'pulse', 0)).toEqual({ value: 75, takenAtMs: 300_000 });
      store.readings.commit({ readings: [], deadLetters: [], health: [], corrections: [{ deviceId: 'cuff', readingKey: later.idempotencyKey, action: 'retract', before: { pulse: 75 }, after: undefined, reason: 'test', requestedBy: 'test', atMs: 400_000 }] });
      expect(store.readings.latest('9434765919', 'pulse', 0)).toEqual({ value: 88, takenAtMs: 200_000 });
      expect(store.readings.latest('9434765919', 'pulse', 200_001)).toBeUndefined();
      expect(store.readings.latest('9434765919', 'spo2', 0)).toBeUndefined();
    } finally {
      store.close();
      tmp.remove();
    }
  });

  it('builds the rollups of a store written before them, and finds its latest values', () => {
    const tmp = tempDir();
    const file = join(tmp.dir, 'gateway.db');
    const old = new Database(file);
    migrate(old, 10); // the last version before rollups and latest values (migration 11)
    old.prepare(`INSERT INTO devices (id, profile_id, patient_nhs, secret_hash, status, created_at) VALUES ('d1', 'bp-upper-arm', '9434765919', 'x', 'active', 0)`).run();
    const insert = old.prepare(
      `INSERT INTO readings (idempotency_key, device_id, patient_nhs, profile_id, metric, value, unit, taken_at, device_taken_at, received_at, status) VALUES (?, 'd1', '9434765919', 'bp-upper-arm', 'systolic', ?, 'mm[Hg]', ?, ?, 0, ?)`,
    );
    insert.run('k1', 120, 60_000, 60_000, 'final');
    insert.run('k2', 150, 61_000, 61_000, 'entered-in-error');
    insert.run('k3', 130, 125_000, 125_000, 'amended');
    old.close();
    const store = new SqliteStore(file);
    expect(store.views.latest('9434765919', ['systolic']).map((v) => [v.value, v.takenAtMs])).toEqual([[130, 125_000]]);
    expect(store.readings.latest('9434765919', 'systolic', 0)).toEqual({ value: 130, takenAtMs: 125_000 });
    store.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT minute, min, max, sum, count FROM reading_rollups ORDER BY minute').all()).toEqual([
      { minute: 1, min: 120, max: 120, sum: 120, count: 1 },
      { minute: 2, min: 130, max: 130, sum: 130, count: 1 },
    ]);
    db.close();
    tmp.remove();
  });
});
