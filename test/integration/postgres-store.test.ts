import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_SCHEMA_VERSION, PgDatabase, PgStore } from '../../src/store/postgres/index.js';
import { describeAlertStoreContract } from '../contracts/alert-store.contract.js';
import { describeClinicianStoreContract } from '../contracts/clinician-store.contract.js';
import { describeDeadLetterStoreContract } from '../contracts/dead-letter-store.contract.js';
import { describeDeviceStoreContract } from '../contracts/device-store.contract.js';
import { describeOutboxStoreContract } from '../contracts/outbox-store.contract.js';
import { describePatientStoreContract } from '../contracts/patient-store.contract.js';
import { describeReadingStoreContract } from '../contracts/reading-store.contract.js';
import { postgresMissing, PostgresServer } from '../helpers/postgres.js';

describe.skipIf(postgresMissing)('PostgreSQL store (a real server)', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await PostgresServer.start();
  }, 60_000);
  afterAll(() => server?.stop());

  /** A fresh database with the gateway's schema, one of its ports under test, closed afterwards. */
  const adapter =
    <T>(port: (s: PgStore) => T) =>
    async () => {
      const store = await PgStore.open(await server.createDatabase());
      return { store: port(store), close: () => store.close() };
    };

  describeDeviceStoreContract('PgDeviceStore', adapter((s) => s.devices));

  describeDeadLetterStoreContract('PgDeadLetters', adapter((s) => s.deadLetters));

  describePatientStoreContract('PgPatients', adapter((s) => s.patients));

  describeClinicianStoreContract('PgClinicians', adapter((s) => s.clinicians));

  describeAlertStoreContract('PgAlerts', adapter((s) => s.alerts));

  describeOutboxStoreContract('PgOutbox', adapter((s) => s.outbox));

  describeReadingStoreContract('PgReadingStore', async () => {
    const store = await PgStore.open(await server.createDatabase());
    const addDevice = (id: string, patientNhs: string) =>
      store.devices.insert({ id, profileId: 'bp-upper-arm', patientNhs, serial: undefined, secretHash: 'x', status: 'active', createdAtMs: 0, revokedAtMs: undefined, secretRotatedAtMs: undefined });
    return { store: store.readings, addDevice, close: () => store.close() };
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
