import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/index.js';
import { FhirTestServer, useFhirServer } from '../helpers/fhir-server/index.js';
import { startGateway, tempDir, type TestGateway } from '../helpers/gateway.js';
import { connectDevice } from '../helpers/mqtt.js';
import { runCli } from '../helpers/process.js';
import { FhirValidator } from '../../src/outputs/fhir/index.js';
import { useCleanups } from '../helpers/cleanup.js';
import { until } from '../helpers/until.js';

type Resource = Record<string, any>;


const at = (iso: string): number => Date.parse(iso);

describe('derived Observations: window summaries and NICE NG136 home BP averages (injected clock)', () => {
  const fhir = useFhirServer();
  let server: FhirTestServer;
  let profilesDir: string;
  const defer = useCleanups();
  beforeEach(() => {
    server = fhir.server();
    profilesDir = fhir.profilesDir();
  });

  const gateway = async (clock: ManualClock): Promise<TestGateway> => {
    const tmp = tempDir();
    defer(tmp.remove);
    // Derivations run only when the test says (a tick), on the test's clock.
    const settings = { profilesDir, 'fhir.url': server.url, 'fhir.batchSize': 8, 'fhir.flushIntervalMs': 50, 'fhir.deriveIntervalMs': 3_600_000, 'fhir.deriveGraceMs': 120_000 };
    const gw = await startGateway(tmp.dir, settings, clock);
    defer(() => gw.stop());
    return gw;
  };
  const search = async (code: string) => (await server.search('Observation', { code })) as Resource[];

  it('summarises a wearable\'s heart rate per 15-minute window once it has ended, and amends it when a late sample arrives', async () => {
    const clock = new ManualClock(at('2026-11-20T10:20:00Z'));
    const gw = await gateway(clock);
    const creds = await gw.addDevice('wrist-wearable', { id: 'watch-1' });
    const client = await connectDevice(gw.url, creds);
    defer(() => client.endAsync());
    const sample = (iso: string, heartRate: number) =>
      client.publishAsync(`devices/watch-1/readings`, JSON.stringify({ takenAt: iso, values: { heartRate } }), { qos: 1 });
    for (const [iso, hr] of [['2026-11-20T10:01:00Z', 60], ['2026-11-20T10:05:00Z', 70], ['2026-11-20T10:14:59Z', 80], ['2026-11-20T10:16:00Z', 100]] as const) await sample(iso, hr);

    await gw.derivations.tick();
    const [summary] = await until(() => search('http://loinc.org|8867-4'), (o) => o.length === 1, 'one heart-rate summary');
    expect(summary).toMatchObject({
      status: 'final',
      effectivePeriod: { start: '2026-11-20T10:00:00.000Z', end: '2026-11-20T10:15:00.000Z' },
      valueQuantity: { value: 70, code: '/min' },
      meta: { profile: ['http://hl7.org/fhir/StructureDefinition/heartrate'] },
      method: { text: expect.stringContaining('Average of 3 device samples over a 15-minute window') },
    });
    const stat = (code: string) => (summary!['component'] as Resource[]).find((c) => c['code'].coding.some((k: Resource) => k['code'] === code));
    expect(stat('minimum')?.['valueQuantity'].value).toBe(60);
    expect(stat('maximum')?.['valueQuantity'].value).toBe(80);
    expect(stat('count')?.['valueInteger']).toBe(3);

    // A sample of the closed window arrives late: the summary is recomputed and replaced.
    await sample('2026-11-20T10:10:00Z', 90);
    clock.advance(60_000);
    await gw.derivations.tick();
    const [amended] = await until(() => search('http://loinc.org|8867-4'), (o) => o[0]?.['status'] === 'amended', 'the amended summary');
    expect(amended).toMatchObject({ valueQuantity: { value: 75 } });
    expect(await search('http://loinc.org|8867-4')).toHaveLength(1);

    // The next window ends: a second summary; ticking again changes nothing.
    clock.set(at('2026-11-20T10:40:00Z'));
    await gw.derivations.tick();
    await gw.derivations.tick();
    const both = await until(() => search('http://loinc.org|8867-4'), (o) => o.length === 2, 'two summaries');
    expect(both.map((o) => o['valueQuantity'].value).sort()).toEqual([100, 75]);
    await until(async () => gw.store.outbox.stats('fhir').pending, (n) => n === 0, 'an empty outbox');
    expect(gw.store.derived.ofPatient('9434765919').map((r) => r.status)).toEqual(['amended', 'final']);

    // The watch retracts the late sample: the summary that used it is recomputed.
    await client.publishAsync('devices/watch-1/corrections', JSON.stringify({ takenAt: '2026-11-20T10:10:00Z', action: 'retract' }), { qos: 1 });
    await gw.derivations.tick();
    await until(() => search('http://loinc.org|8867-4'), (o) => o.some((x) => x['valueQuantity'].value === 70), 'the summary without the retracted sample');
    expect(await search('http://loinc.org|8867-4')).toHaveLength(2);
  });

  it('averages a home BP monitoring run (first day discarded) as one UK Core average with its NG136 stage, never LOINC 8478-0', async () => {
    const clock = new ManualClock(at('2026-11-12T09:00:00Z'));
    const gw = await gateway(clock);
    const creds = await gw.addDevice('bp-upper-arm', { id: 'cuff-hbpm-1' });
    const client = await connectDevice(gw.url, creds);
    defer(() => client.endAsync());
    let n = 0;
    const reading = (iso: string, systolic: number, diastolic: number) =>
      client.publishAsync(`devices/cuff-hbpm-1/readings`, JSON.stringify({ messageId: `r${n++}`, takenAt: iso, values: { systolic, diastolic, pulse: 70 } }), { qos: 1 });
    // Day 1 (discarded) high; days 2–5 twice a day at 140/80 and 144/82: mean 142/81 → stage 1.
    await reading('2026-11-02T07:30:00Z', 178, 104);
    await reading('2026-11-02T19:30:00Z', 176, 102);
    for (const day of ['03', '04', '05', '06']) {
      await reading(`2026-11-${day}T07:30:00Z`, 140, 80);
      await reading(`2026-11-${day}T19:30:00Z`, 144, 82);
    }
    await gw.derivations.tick();
    const [average] = await until(() => server.search('Observation', { code: 'http://snomed.info/sct|723232008' }), (o) => o.length === 1, 'one average');
    expect(average).toMatchObject({
      status: 'final',
      effectivePeriod: { start: '2026-11-02T00:00:00.000Z', end: '2026-11-09T00:00:00.000Z' },
      interpretation: [{ coding: [{ code: 'H' }], text: expect.stringContaining('Stage 1') }],
      method: { text: expect.stringContaining('mean of 8 readings over 4 days, the first of 5 days discarded') },
    });
    expect((average!['component'] as Resource[]).map((c) => [c['code'].coding[0].code, c['valueQuantity'].value])).toEqual([['413606001', 142], ['413605002', 81]]);
    expect(JSON.stringify(await server.search('Observation'))).not.toContain('"8478-0"');
    // The stage is also an alert for the patient's clinicians [NICE NG136]: stage 1 is for information.
    await gw.alerts.settled();
    expect(gw.store.alerts.list({ open: true })).toMatchObject([{ ruleId: 'hbpm', severity: 'info', message: 'Home BP average 142/81 mmHg: stage 1 hypertension (≥135/85) [NICE NG136]' }]);
    expect(await server.search('Observation', { code: 'http://loinc.org|85354-9' })).toHaveLength(10);
  });

  it('derives nothing from a run of fewer than four days, and keeps what it derived without a FHIR server', async () => {
    const clock = new ManualClock(at('2026-11-12T09:00:00Z'));
    const tmp = tempDir();
    defer(tmp.remove);
    const gw = await startGateway(tmp.dir, { profilesDir, 'fhir.deriveIntervalMs': 3_600_000 }, clock);
    defer(() => gw.stop());
    const creds = await gw.addDevice('bp-upper-arm', { id: 'cuff-hbpm-2' });
    const client = await connectDevice(gw.url, creds);
    defer(() => client.endAsync());
    for (const day of ['02', '03', '04']) {
      await client.publishAsync(`devices/${creds.deviceId}/readings`, JSON.stringify({ takenAt: `2026-11-${day}T07:30:00Z`, values: { systolic: 150, diastolic: 90 } }), { qos: 1 });
    }
    await gw.derivations.tick();
    expect(gw.store.derived.ofPatient('9434765919').map((r) => r.status)).toEqual(['insufficient']);
    for (const day of ['05', '06']) {
      await client.publishAsync(`devices/${creds.deviceId}/readings`, JSON.stringify({ takenAt: `2026-11-${day}T07:30:00Z`, values: { systolic: 152, diastolic: 96 } }), { qos: 1 });
    }
    await gw.derivations.tick();
    const [kept] = gw.store.derived.ofPatient('9434765919');
    expect(kept).toMatchObject({ status: 'final' });
    expect(JSON.parse(kept!.observation!)).toMatchObject({ observation: { interpretation: [{ coding: [{ code: 'HH' }] }] } });
    expect(gw.store.outbox.stats('fhir').pending).toBe(0);

    // Kept, so exported: five BP panels and the average, valid FHIR R4, loadable into a server (twice: once).
    const env = { VG_PROFILES_DIR: profilesDir };
    const ndjson = await runCli(['fhir', 'export', '--patient', '943 476 5919', '--ndjson', '--data-dir', tmp.dir], env);
    expect(ndjson.stderr).toBe('');
    const lines = ndjson.stdout.trim().split('\n').map((l) => JSON.parse(l) as Resource);
    expect(lines.map((r) => r['resourceType'])).toEqual(['Patient', 'Device', ...Array(6).fill('Observation')]);
    const validator = new FhirValidator();
    expect(lines.flatMap((r) => validator.validate(r as never))).toEqual([]);
    expect(lines.filter((r) => r['code']?.coding[0].code === '723232008')).toHaveLength(1);
    expect(lines.find((r) => r['code']?.coding[0].code === '85354-9')).toMatchObject({ subject: { identifier: { value: '9434765919' } }, meta: { tag: expect.arrayContaining([expect.objectContaining({ system: 'urn:vitals-gateway:profile', code: 'bp-upper-arm@1.0.0' })]) } });
    // Payload hashes are kept only while the FHIR output is on.
    expect(ndjson.stdout).not.toContain('urn:vitals-gateway:payload-sha256');
    const bundle = await runCli(['fhir', 'export', '--patient', '9434765919', '--data-dir', tmp.dir], env);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: bundle.stdout });
      expect(res.status).toBe(200);
    }
    expect(await server.search('Observation')).toHaveLength(6);
    expect(await server.search('Patient')).toHaveLength(1);
  });
});
