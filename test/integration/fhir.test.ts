import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { FhirTestServer, useFhirServer } from '../helpers/fhir-server/index.js';
import { startGateway, tempDir, TEST_NHS, type TestGateway } from '../helpers/gateway.js';
import { collect, connectDevice } from '../helpers/mqtt.js';
import { runCli, spawnGateway } from '../helpers/process.js';
import { useCleanups } from '../helpers/cleanup.js';
import { until } from '../helpers/until.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { ManualClock } from '../../src/domain/index.js';
import type { DeviceCredentials } from '../../src/devices/index.js';

let profilesDir: string;
// Transactions of at most 8 entries (the test server's cap on conditional entries in one transaction).
const fhirSettings = (url: string) => ({ profilesDir, 'fhir.url': url, 'fhir.batchSize': 8, 'fhir.flushIntervalMs': 50, 'fhir.timeoutMs': 2000, 'fhir.retryBaseMs': 50, 'fhir.retryMaxMs': 200 });

/** A whole second `hours` before now: readings of the past days, whatever day the tests run. */
const hoursAgo = (hours: number): number => Math.floor((Date.now() - hours * 3_600_000) / 1000) * 1000;

const bp = (i: number, takenAtMs: number, values: Record<string, number> = { systolic: 120 + i, diastolic: 80, pulse: 60 }) =>
  JSON.stringify({ messageId: `m${i}`, takenAt: new Date(takenAtMs).toISOString(), values });


describe('readings reach the care record as FHIR R4 Observations', () => {
  const fhir = useFhirServer();
  let server: FhirTestServer;
  const defer = useCleanups();
  beforeEach(() => {
    server = fhir.server();
    profilesDir = fhir.profilesDir();
  });

  const gateway = async (dir: string): Promise<TestGateway> => {
    const gw = await startGateway(dir, fhirSettings(server.url));
    defer(() => gw.stop());
    return gw;
  };
  const device = async (gw: TestGateway, id: string): Promise<{ creds: DeviceCredentials; client: MqttClient }> => {
    const creds = await gw.addDevice('bp-upper-arm', { id });
    const client = await connectDevice(gw.url, creds);
    defer(() => client.endAsync());
    return { creds, client };
  };

  it('a BP reading becomes a valid panel Observation, searchable by patient and code, with the patient, the device and provenance', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const gw = await gateway(tmp.dir);
    const { creds, client } = await device(gw, 'cuff-fhir-1');
    const takenAtMs = hoursAgo(48);
    await client.publishAsync(`devices/${creds.deviceId}/readings`, bp(1, takenAtMs, { systolic: 185, diastolic: 90, pulse: 72 }), { qos: 1 });

    const observations = await until(() => server.search('Observation'), (o) => o.length === 2, 'two Observations');
    const [patient] = await server.search('Patient', { identifier: `https://fhir.nhs.uk/Id/nhs-number|${TEST_NHS}` });
    expect(patient).toBeDefined();
    const found = await server.search('Observation', { patient: `Patient/${patient!.id}`, code: 'http://loinc.org|85354-9' });
    expect(found).toHaveLength(1);
    const panel = found[0] as Record<string, any>;
    expect(panel).toMatchObject({
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
      code: { coding: expect.arrayContaining([{ system: 'http://snomed.info/sct', code: '75367002', display: 'Blood pressure' }]) },
      effectiveDateTime: new Date(takenAtMs).toISOString(),
      subject: { reference: `Patient/${patient!.id}` },
      interpretation: [{ coding: [{ code: 'HH' }] }],
      meta: { profile: ['http://hl7.org/fhir/StructureDefinition/bp'] },
    });
    expect(panel['component']).toEqual([
      expect.objectContaining({ code: expect.objectContaining({ coding: expect.arrayContaining([expect.objectContaining({ code: '8480-6' })]) }), valueQuantity: { value: 185, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' }, interpretation: [expect.objectContaining({ coding: [expect.objectContaining({ code: 'HH' })] })] }),
      expect.objectContaining({ code: expect.objectContaining({ coding: expect.arrayContaining([expect.objectContaining({ code: '8462-4' })]) }), valueQuantity: { value: 90, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } }),
    ]);
    const tags = Object.fromEntries((panel['meta'].tag as { system: string; code: string }[]).map((t) => [t.system, t.code]));
    expect(tags).toMatchObject({ 'urn:vitals-gateway:profile': 'bp-upper-arm@1.0.0', 'urn:vitals-gateway:decoder': 'canonical-json', 'urn:vitals-gateway:payload-sha256': expect.stringMatching(/^[0-9a-f]{64}$/) });
    const heartRate = observations.find((o) => o !== undefined && JSON.stringify(o['code']).includes('8867-4')) as Record<string, any>;
    expect(heartRate).toMatchObject({ valueQuantity: { value: 72, code: '/min' }, interpretation: [{ coding: [{ code: 'N' }] }] });
    const devices = await server.search('Device');
    expect(devices).toHaveLength(1);
    expect(devices[0]).toMatchObject({ identifier: [{ system: 'urn:vitals-gateway:device-id', value: 'vitals-gateway/cuff-fhir-1' }] });
    expect(panel['device']).toEqual({ reference: `Device/${devices[0]!.id}` });
    expect(gw.store.outbox.stats('fhir')).toEqual({ pending: 0, dead: 0, oldestPendingAtMs: undefined });
  });

  it('an alert becomes one FHIR Flag pointing at the Observation that raised it, made inactive when it resolves after a restart', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    let gw = await gateway(tmp.dir);
    const { creds, client } = await device(gw, 'cuff-flag-1');
    const takenAtMs = hoursAgo(48);
    await client.publishAsync(`devices/${creds.deviceId}/readings`, bp(1, takenAtMs, { systolic: 186, diastolic: 90 }), { qos: 1 });
    const [flag] = await until(() => server.search('Flag'), (f) => f.length === 1, 'a Flag');
    const [panel] = await server.search('Observation', { code: 'http://loinc.org|85354-9' });
    const [patient] = await server.search('Patient');
    const [alert] = gw.store.alerts.list({ open: true });
    expect(flag).toMatchObject({
      status: 'active',
      identifier: [{ system: 'urn:ietf:rfc:3986', value: `urn:uuid:${alert!.id}` }],
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/flag-category', code: 'clinical' }] }],
      code: { coding: [{ system: 'urn:vitals-gateway:alert-rule', code: 'severe-hypertension' }], text: expect.stringContaining('≥180') },
      subject: { reference: `Patient/${patient!.id}` },
      author: { type: 'Device', identifier: { system: 'urn:vitals-gateway:device-id', value: 'vitals-gateway/cuff-flag-1' } },
      period: { start: new Date(alert!.openedAtMs).toISOString() },
      extension: [
        { url: 'http://hl7.org/fhir/StructureDefinition/flag-priority', valueCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/flag-priority-code', code: 'PH' }] } },
        { url: 'http://hl7.org/fhir/StructureDefinition/flag-detail', valueReference: { type: 'Observation', identifier: (panel!['identifier'] as unknown[])[0] } },
      ],
    });
    await client.endAsync();
    await gw.stop();

    gw = await gateway(tmp.dir);
    const again = await connectDevice(gw.url, creds);
    defer(() => again.endAsync());
    await again.publishAsync(`devices/${creds.deviceId}/readings`, bp(2, takenAtMs + 60_000, { systolic: 150, diastolic: 85 }), { qos: 1 });
    const [resolved] = await until(() => server.search('Flag'), (f) => f[0]?.['status'] === 'inactive', 'the Flag made inactive');
    expect(await server.search('Flag')).toHaveLength(1);
    // The monitor, by identifier, and by id once the server has it (its Observations went first).
    expect(flag!['author']).toMatchObject({ reference: `Device/${(await server.search('Device'))[0]!.id}` });
    expect(resolved).toMatchObject({ id: flag!.id, period: { start: new Date(alert!.openedAtMs).toISOString(), end: expect.any(String) }, extension: flag!['extension'] });
  });

  it('makes one Observation of a reading published twice, and of the same messages replayed into a fresh store (restored from a backup)', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    let gw = await gateway(tmp.dir);
    const { creds, client } = await device(gw, 'cuff-fhir-2');
    const t0 = hoursAgo(48);
    for (const i of [0, 1, 1, 2]) await client.publishAsync(`devices/${creds.deviceId}/readings`, bp(i, t0 + i * 60_000), { qos: 1 });
    await until(() => server.search('Observation'), (o) => o.length === 6, 'six Observations');
    await client.endAsync();
    await gw.stop();

    // The store forgets nothing, but a replay of the same messages to a new store (e.g. restored from a backup) is absorbed by the server.
    const other = tempDir();
    defer(other.remove);
    gw = await gateway(other.dir);
    const again = await device(gw, 'cuff-fhir-2');
    for (const i of [0, 1, 2, 3]) await again.client.publishAsync(`devices/${again.creds.deviceId}/readings`, bp(i, t0 + i * 60_000), { qos: 1 });
    await until(() => server.search('Observation'), (o) => o.length === 8, 'eight Observations');
    await until(async () => gw.store.outbox.stats('fhir').pending, (n) => n === 0, 'an empty outbox');
    expect(await server.search('Observation')).toHaveLength(8);
    expect(await server.search('Patient')).toHaveLength(1);
    expect(await server.search('Device')).toHaveLength(1);
  });

  it('sends again a transaction whose answer was lost (applied by the server), without a second Observation', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const gw = await gateway(tmp.dir);
    const { creds, client } = await device(gw, 'cuff-fhir-7');
    await server.drop(2);
    await client.publishAsync(`devices/${creds.deviceId}/readings`, bp(0, hoursAgo(36)), { qos: 1 });
    await until(async () => gw.store.outbox.stats('fhir').pending, (n) => n === 0, 'an empty outbox');
    expect(await gw.metrics.render()).toMatch(/vg_outbox_failures_total\{sink="fhir",retry="ambiguous"\} 2/);
    expect(await server.search('Observation')).toHaveLength(2);
    expect(await server.search('Patient')).toHaveLength(1);
    expect(await server.search('Device')).toHaveLength(1);
  });

  it('keeps every Observation through a server outage spanning a gateway restart, and sends each once when it is back', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const first = await gateway(tmp.dir);
    const { creds, client } = await device(first, 'cuff-fhir-3');
    await server.down();
    defer(() => server.up());
    const t0 = hoursAgo(36);
    for (let i = 0; i < 10; i++) await client.publishAsync(`devices/${creds.deviceId}/readings`, bp(i, t0 + i * 60_000), { qos: 1 });
    await until(async () => (await first.metrics.render()).match(/vg_outbox_failures_total\{sink="fhir",retry="ambiguous"\} (\d+)/)?.[1], (n) => Number(n) >= 2, 'failed sends');
    expect(first.store.outbox.stats('fhir').pending).toBe(20);
    await client.endAsync();
    await first.stop();
    const gw = await gateway(tmp.dir);
    expect(gw.store.outbox.stats('fhir').pending).toBe(20);
    await server.up();
    await until(async () => gw.store.outbox.stats('fhir').pending, (n) => n === 0, 'an empty outbox');
    const observations = await server.search('Observation');
    expect(observations).toHaveLength(20);
    expect(new Set(observations.map((o) => JSON.stringify(o['identifier']))).size).toBe(20);
  });

  it('keeps an Observation the server refuses (400) as dead with its OperationOutcome, and sends the others', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const gw = await gateway(tmp.dir);
    const { creds, client } = await device(gw, 'cuff-fhir-4');
    const outcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'business-rule', diagnostics: 'patient not registered with this practice' }] };
    // The batch is refused, then the first Observation alone; the second alone goes through.
    await server.fail(400, 2, outcome);
    await client.publishAsync(`devices/${creds.deviceId}/readings`, bp(0, hoursAgo(24)), { qos: 1 });
    await until(async () => gw.store.outbox.stats('fhir'), (s) => s.pending === 0 && s.dead === 1, 'one dead entry');
    expect(await server.search('Observation')).toHaveLength(1);
    const dead = gw.store.outbox.dead('fhir');
    expect(dead).toHaveLength(1);
    expect(dead[0]!.error).toContain('FHIR server answered 400');
    expect(dead[0]!.error).toContain('patient not registered with this practice');
    expect(JSON.parse(dead[0]!.payload)).toMatchObject({ observation: { resourceType: 'Observation' } });
    const metrics = await gw.metrics.render();
    expect(metrics).toMatch(/vg_outbox_fhir_dead 1\n/);
    expect(metrics).toMatch(/vg_outbox_fhir_pending 0\n/);
    expect(metrics).toMatch(/vg_outbox_delivered_total\{sink="fhir"\} 1\n/);

    // The practice registers the patient; the operator puts the refused entry back, and it arrives once.
    const listed = await runCli(['outbox', 'list', '--sink', 'fhir', '--json', '--data-dir', tmp.dir]);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ sink: 'fhir', reason: expect.stringContaining('patient not registered') })]);
    const requeued = await runCli(['outbox', 'requeue', '--sink', 'fhir', '--reason', 'not registered', '--json', '--data-dir', tmp.dir]);
    expect(JSON.parse(requeued.stdout)).toEqual({ requeued: 1 });
    await until(async () => gw.store.outbox.stats('fhir'), (st) => st.pending === 0 && st.dead === 0, 'the requeued entry sent');
    expect(await server.search('Observation')).toHaveLength(2);
  });

  const observationsOf = async (status?: string) => (await server.search('Observation', status === undefined ? {} : { status })).map((o) => o as Record<string, any>);

  it('a reading retracted on the command line becomes entered-in-error on the server (the same Observation, not a new one)', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const gw = await gateway(tmp.dir);
    const { creds, client } = await device(gw, 'cuff-fhir-5');
    await client.publishAsync(`devices/${creds.deviceId}/readings`, bp(0, hoursAgo(24)), { qos: 1 });
    await until(() => observationsOf(), (o) => o.length === 2, 'two Observations');
    const row = gw.store.readings.query({ deviceId: creds.deviceId, metric: 'diastolic' })[0]!;
    const cli = await runCli(['readings', 'retract', String(row.id), '--reason', 'cuff fitted over clothing', '--data-dir', tmp.dir, '--json'], { VG_FHIR_URL: server.url, VG_PROFILES_DIR: profilesDir });
    expect(cli.stderr).toBe('');
    expect(JSON.parse(cli.stdout)).toMatchObject({ id: row.id, values: 3, status: 'entered-in-error', queued: ['fhir', 'fhir'] });
    const retracted = await until(() => observationsOf('entered-in-error'), (o) => o.length === 2, 'two retracted Observations');
    expect(await observationsOf()).toHaveLength(2);
    expect(retracted.map((o) => o['identifier'][0].value).sort()).toEqual((await observationsOf()).map((o) => o['identifier'][0].value).sort());
    expect(gw.store.readings.query({ deviceId: creds.deviceId }).map((r) => r.status)).toEqual(['entered-in-error', 'entered-in-error', 'entered-in-error']);
    const again = await runCli(['readings', 'retract', String(row.id), '--data-dir', tmp.dir, '--json'], { VG_FHIR_URL: server.url, VG_PROFILES_DIR: profilesDir });
    expect(JSON.parse(again.stdout)).toMatchObject({ alreadyRetracted: true, queued: [] });
  });

  it('an alert resolved by hand on the command line makes its Flag inactive', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const gw = await gateway(tmp.dir);
    const { creds, client } = await device(gw, 'cuff-flag-2');
    await client.publishAsync(`devices/${creds.deviceId}/readings`, bp(0, hoursAgo(24), { systolic: 190, diastolic: 100 }), { qos: 1 });
    await until(() => server.search('Flag'), (f) => f[0]?.['status'] === 'active', 'an active Flag');
    const [alert] = gw.store.alerts.list({ open: true });
    const cli = await runCli(['alerts', 'resolve', alert!.id, '--note', 'cuff repositioned, 128/84 on recheck', '--data-dir', tmp.dir, '--json'], { VG_FHIR_URL: server.url, VG_PROFILES_DIR: profilesDir });
    expect(cli.stderr).toBe('');
    await until(() => server.search('Flag'), (f) => f[0]?.['status'] === 'inactive', 'the Flag made inactive');
    expect(await server.search('Flag')).toHaveLength(1);
  });

  it('a device amends then retracts a reading on its corrections topic; a repeat changes nothing and an unknown reading is rejected', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const gw = await gateway(tmp.dir);
    const { creds, client } = await device(gw, 'cuff-fhir-6');
    const rejected = await collect(client, `devices/${creds.deviceId}/rejected`);
    const takenAt = new Date(hoursAgo(12)).toISOString();
    const corrections = `devices/${creds.deviceId}/corrections`;
    await client.publishAsync(`devices/${creds.deviceId}/readings`, bp(0, Date.parse(takenAt)), { qos: 1 });
    await until(() => observationsOf(), (o) => o.length === 2, 'two Observations');

    await client.publishAsync(corrections, JSON.stringify({ takenAt, action: 'amend', values: { systolic: 18.9 }, units: { systolic: 'kPa' }, reason: 'entered in the wrong unit' }), { qos: 1 });
    const amended = await until(() => observationsOf('amended'), (o) => o.length === 1, 'an amended panel');
    expect(amended[0]!['component'][0].valueQuantity).toMatchObject({ value: 142, code: 'mm[Hg]' });
    expect(amended[0]!['interpretation'][0].coding[0].code).toBe('H');
    expect(gw.store.readings.query({ deviceId: creds.deviceId, metric: 'systolic' })[0]).toMatchObject({ value: 142, status: 'amended' });

    await client.publishAsync(corrections, JSON.stringify({ takenAt, messageId: 'm0', action: 'retract' }), { qos: 1 });
    await client.publishAsync(corrections, JSON.stringify({ takenAt, messageId: 'm0', action: 'retract' }), { qos: 1 });
    await until(() => observationsOf('entered-in-error'), (o) => o.length === 2, 'two retracted Observations');
    expect(await observationsOf()).toHaveLength(2);
    expect(await gw.metrics.render()).toMatch(/vg_readings_corrected_total\{action="retract"\} 1\n/);

    await client.publishAsync(corrections, JSON.stringify({ takenAt: new Date(Date.parse(takenAt) + 60_000).toISOString(), action: 'retract' }), { qos: 1 });
    await client.publishAsync(corrections, JSON.stringify({ takenAt, action: 'amend', values: { systolic: 150 } }), { qos: 1 });
    await until(async () => rejected.messages.length, (n) => n === 2, 'two rejections');
    expect(rejected.messages.map((m) => (m.json as { issues: { code: string }[] }).issues[0]?.code)).toEqual(['reading-unknown', 'reading-retracted']);
  });

  it('a gateway started with --fhir-url and killed (SIGKILL) with Observations queued sends each once after restart', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const provisioned = await runCli(['devices', 'add', '--profile', 'thermometer', '--patient', TEST_NHS, '--id', 'thermo-fhir-1', '--data-dir', tmp.dir, '--json'], { VG_PROFILES_DIR: profilesDir });
    const creds = JSON.parse(provisioned.stdout) as DeviceCredentials;
    const args = ['--data-dir', tmp.dir, '--profiles-dir', profilesDir, '--log-level', 'silent', '--fhir-url', server.url];
    await server.down();
    defer(() => server.up());
    const first = await spawnGateway(args);
    defer(() => first.child.kill('SIGKILL'));
    const client = await connectDevice(`mqtt://127.0.0.1:${first.port}`, creds);
    const t0 = Date.now() - 60_000;
    for (let i = 0; i < 5; i++) {
      await client.publishAsync(`devices/${creds.deviceId}/readings`, JSON.stringify({ messageId: `t${i}`, takenAt: new Date(t0 + i * 1000).toISOString(), values: { bodyTemperature: 36.5 + i / 10 } }), { qos: 1 });
    }
    await client.endAsync(true);
    first.child.kill('SIGKILL');
    await first.exited;
    await server.up();
    const second = await spawnGateway(args);
    defer(() => second.child.kill('SIGKILL'));
    const observations = await until(() => server.search('Observation'), (o) => o.length === 5, 'five Observations');
    expect(observations.map((o) => (o['valueQuantity'] as { value: number }).value).sort()).toEqual([36.5, 36.6, 36.7, 36.8, 36.9]);
    await second.stop();
    expect(await server.search('Observation')).toHaveLength(5);
  });

  it('authenticates with OAuth 2.0 client credentials from the config: one token fetched, sent as a bearer token', async () => {
    const tokenRequests: { authorization: string | undefined; body: string }[] = [];
    const tokens = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        tokenRequests.push({ authorization: req.headers.authorization, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'tok-1', token_type: 'bearer', expires_in: 300 }));
      });
    });
    await new Promise<void>((r) => tokens.listen(0, '127.0.0.1', r));
    defer(() => new Promise((r) => tokens.close(r)));
    const tmp = tempDir();
    defer(tmp.remove);
    const tokenUrl = `http://127.0.0.1:${(tokens.address() as AddressInfo).port}/token`;
    const gw = await startGateway(tmp.dir, { ...fhirSettings(server.url), 'fhir.oauth': { tokenUrl, clientId: 'gw-1', clientSecret: 's3cret' } });
    defer(() => gw.stop());
    const { creds, client } = await device(gw, 'cuff-fhir-8');
    for (const i of [0, 1]) await client.publishAsync(`devices/${creds.deviceId}/readings`, bp(i, hoursAgo(6) + i * 60_000), { qos: 1 });
    await until(() => server.search('Observation'), (o) => o.length === 4, 'four Observations');
    const seen = await server.authorizations();
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set(['Bearer tok-1']));
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]!.authorization).toBe(`Basic ${Buffer.from('gw-1:s3cret').toString('base64')}`);
    expect(new URLSearchParams(tokenRequests[0]!.body).get('grant_type')).toBe('client_credentials');
  });

  it('pauses on 401, 403 and 404 for 10 minutes (injected clock) losing nothing, then sends each Observation once', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const proxy = await FaultProxy.start(server.url);
    defer(() => proxy.close());
    const clock = new ManualClock(Date.now());
    const gw = await startGateway(tmp.dir, fhirSettings(proxy.url), clock);
    defer(() => gw.stop());
    const { creds, client } = await device(gw, 'cuff-fhir-paused');
    let i = 0;
    for (const status of [401, 403, 404]) {
      proxy.answering(status);
      await client.publishAsync(`devices/${creds.deviceId}/readings`, bp(i++, clock.now() - 3_600_000 + i * 60_000), { qos: 1 });
      for (let minute = 0; minute < 4 && !proxy.answered.includes(status); minute++) {
        clock.advance(60_000);
        await until(async () => proxy.answered.includes(status), (seen) => seen, `a transaction answered ${status}`, 2_000).catch(() => undefined);
      }
      expect(proxy.answered).toContain(status);
      expect(gw.store.outbox.stats('fhir').dead).toBe(0);
    }
    expect(await gw.metrics.render()).toMatch(/vg_outbox_paused\{sink="fhir"\} 1\n/);
    proxy.answering(undefined);
    // The paused output retries on its long back-off: move the clock a minute at a time until it has.
    for (let minute = 0; minute < 10 && (await server.search('Observation')).length < 6; minute++) {
      clock.advance(60_000);
      await until(() => server.search('Observation'), (o) => o.length === 6, 'six Observations', 2_000).catch(() => undefined);
    }
    await until(() => server.search('Observation'), (o) => o.length === 6, 'six Observations (three panels, three heart rates)', 10_000);
    await until(async () => gw.store.outbox.stats('fhir').pending, (n) => n === 0, 'an empty outbox');
    expect(await server.search('Observation')).toHaveLength(6);
    expect(gw.store.outbox.stats('fhir')).toMatchObject({ pending: 0, dead: 0 });
  });
});
