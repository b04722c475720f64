/**
 * The FHIR output of workers on PostgreSQL: two worker processes on real Mosquitto and PostgreSQL
 * send to the real FHIR test server, each Observation once whichever worker stored its reading and
 * whichever claimed its entry, under one Device per monitor.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledProfilesDir } from '../../src/config/index.js';
import { ClinicianRegistry } from '../../src/clinicians/index.js';
import { DeviceRegistry } from '../../src/devices/index.js';
import { systemClock } from '../../src/domain/index.js';
import { loadProfiles } from '../../src/profiles/index.js';
import { PgDatabase, PgStore } from '../../src/store/postgres/index.js';
import { useCleanups } from '../helpers/cleanup.js';
import { useFhirServer } from '../helpers/fhir-server/index.js';
import { TEST_NHS } from '../helpers/gateway.js';
import { mosquittoMissing } from '../helpers/mosquitto.js';
import { anonymousDevice } from '../helpers/mqtt.js';
import { postgresMissing, PostgresServer, workerGroup } from '../helpers/postgres.js';
import { runCli, spawnWorker } from '../helpers/process.js';
import { until } from '../helpers/until.js';

const defer = useCleanups();

describe.skipIf(postgresMissing || mosquittoMissing)('the FHIR output of workers sharing PostgreSQL', () => {
  const fhir = useFhirServer();
  let server: PostgresServer;
  beforeAll(async () => {
    server = await PostgresServer.start();
  }, 60_000);
  afterAll(() => server?.stop());

  it('two workers send each Observation once, under one Device for the monitor, and the alert as a Flag naming its Observation', async () => {
    const { url, broker, dir } = await workerGroup(server, defer);
    const store = await PgStore.open(url);
    await new DeviceRegistry(store.devices, loadProfiles(bundledProfilesDir()), systemClock).add({ profileId: 'bp-upper-arm', patient: TEST_NHS, deviceId: 'cuff-1' });
    const accounts = new ClinicianRegistry(store.clinicians, systemClock);
    await accounts.add('dr-a', 'Dr A');
    await accounts.assign('dr-a', TEST_NHS);
    await store.close();
    const settings = (id: string) => ({
      gatewayId: id,
      webhookKeyFile: join(dir, 'webhook.key'),
      store: { postgres: { url, poolSize: 4 } },
      broker: { session: 'persistent', connections: 4, reconnectMs: 100 },
      fhir: { url: fhir.server().url, serviceId: 'north-rpm', flushIntervalMs: 100 },
      web: { enabled: false },
      ble: { enabled: false },
    });
    // Without one service id for all workers, each would make its own Device: start refuses.
    writeFileSync(join(dir, 'unnamed.json'), JSON.stringify({ ...settings('worker-x'), fhir: { url: fhir.server().url } }));
    const refused = await runCli(['start', '--config', join(dir, 'unnamed.json'), '--broker', broker.url]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('fhir.serviceId: workers sharing PostgreSQL');
    for (const id of ['worker-a', 'worker-b']) {
      writeFileSync(join(dir, `${id}.json`), JSON.stringify(settings(id)));
      const w = await spawnWorker(['--config', join(dir, `${id}.json`), '--broker', broker.url, '--log-level', 'silent']);
      defer(() => w.stop());
    }
    // Ten readings, several in flight at once, so both workers take some; the last is severe.
    const cuff = await anonymousDevice(broker.url, 'cuff-1', defer);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        cuff.publishAsync('devices/cuff-1/readings', JSON.stringify({ messageId: `m${i}`, takenAt: new Date(Date.now() - (20 - i) * 60_000).toISOString(), values: { systolic: i === 9 ? 186 : 120 + i, diastolic: 80, pulse: 60 } }), { qos: 1 }),
      ),
    );
    const db = new PgDatabase(url);
    defer(() => db.close());
    // The broker acknowledges the device on receipt: the workers store the readings after that.
    await until(async () => (await db.query('SELECT COUNT(*)::int AS n FROM readings'))[0]?.['n'], (n) => n === 10, 'the readings stored', 30_000);
    await until(async () => (await db.query(`SELECT COUNT(*)::int AS n FROM outbox WHERE sink = 'fhir'`))[0]?.['n'], (n) => n === 0, 'every FHIR entry sent', 30_000);
    // A BP panel and a heart rate per reading, each once.
    const observations = await fhir.server().search('Observation');
    expect(observations).toHaveLength(20);
    const devices = await fhir.server().search('Device');
    expect(devices.map((d) => d['identifier'])).toEqual([[{ system: 'urn:vitals-gateway:device-id', value: 'north-rpm/cuff-1' }]]);
    const [flag] = await until(() => fhir.server().search('Flag'), (f) => f.length === 1, 'the alert as a Flag');
    const [alert] = await db.query(`SELECT observation_id FROM alerts WHERE rule_id = 'severe-hypertension'`);
    expect(alert?.['observation_id']).toEqual(expect.any(String));
    const raisedBy = observations.find((o) => (o['identifier'] as { value: string }[])[0]?.value === alert?.['observation_id']);
    expect(raisedBy).toMatchObject({ component: expect.arrayContaining([expect.objectContaining({ valueQuantity: expect.objectContaining({ value: 186 }) })]) });
    expect(flag).toMatchObject({
      status: 'active',
      code: { coding: [{ system: 'urn:vitals-gateway:alert-rule', code: 'severe-hypertension' }] },
      author: { type: 'Device', identifier: { system: 'urn:vitals-gateway:device-id', value: 'north-rpm/cuff-1' } },
      extension: expect.arrayContaining([{ url: 'http://hl7.org/fhir/StructureDefinition/flag-detail', valueReference: { type: 'Observation', identifier: (raisedBy?.['identifier'] as unknown[])[0] } }]),
    });
  }, 120_000);
});
