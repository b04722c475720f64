import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_SCHEMA_VERSION, PgDatabase, PgStore } from '../../src/store/postgres/index.js';
import { describeAlertStoreContract } from '../contracts/alert-store.contract.js';
import { describeBrokerCredentialStoreContract } from '../contracts/broker-credential-store.contract.js';
import { describeClinicianStoreContract } from '../contracts/clinician-store.contract.js';
import { describeDeadLetterStoreContract } from '../contracts/dead-letter-store.contract.js';
import { describeDeviceStoreContract } from '../contracts/device-store.contract.js';
import { describeOutboxStoreContract } from '../contracts/outbox-store.contract.js';
import { describePatientStoreContract } from '../contracts/patient-store.contract.js';
import { describeReadingStoreContract } from '../contracts/reading-store.contract.js';
import { postgresMissing, PostgresServer } from '../helpers/postgres.js';

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

  describeDeadLetterStoreContract('PgDeadLetters', adapter((s) => s.deadLetters));

  describePatientStoreContract('PgPatients', adapter((s) => s.patients));

  describeClinicianStoreContract('PgClinicians', adapter((s) => s.clinicians));

  describeAlertStoreContract('PgAlerts', adapter((s) => s.alerts));

  describeOutboxStoreContract('PgOutbox', adapter((s) => s.outbox));

  describeBrokerCredentialStoreContract('PgBrokerCredentials', adapter((s) => s.brokerCredentials));

  describeReadingStoreContract('PgReadingStore', async () => {
    const store = await PgStore.open(await server.createDatabase(migrated));
    const addDevice = (id: string, patientNhs: string) =>
      store.devices.insert({ id, profileId: 'bp-upper-arm', patientNhs, serial: undefined, secretHash: 'x', status: 'active', createdAtMs: 0, revokedAtMs: undefined, secretRotatedAtMs: undefined });
    return { store: store.readings, addDevice, close: () => store.close() };
  });

  it('hands each outbox entry to one of several senders; a dead sender\'s claims go to another when their lease ends', async () => {
    const url = await server.createDatabase(migrated);
    const [a, b] = await Promise.all([PgStore.open(url), PgStore.open(url)]);
    try {
      for (let i = 0; i < 100; i++) await a.outbox.apply([{ sink: 'fhir', payload: `obs-${i}`, firstRow: 0, rowCount: 0 }], [], [], 1_000);
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
      const results = await Promise.allSettled([a.readings.commit({ rows: [], deadLetters: [], health: [], alerts: [alert('from-a')] }), b.readings.commit({ rows: [], deadLetters: [], health: [], alerts: [alert('from-b')] })]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
      expect((await a.alerts.unresolved()).length).toBe(1);
      expect((await a.alerts.list()).length).toBe(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
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
});
