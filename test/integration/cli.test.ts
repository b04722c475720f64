import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, TEST_NHS } from '../helpers/gateway.js';
import { runCli, spawnGateway } from '../helpers/process.js';

let tmp: ReturnType<typeof tempDir>;
let dataArgs: string[];
beforeAll(() => {
  tmp = tempDir();
  dataArgs = ['--data-dir', tmp.dir];
});
afterAll(() => tmp.remove());

describe('command line', () => {
  let device: { deviceId: string; secret: string };

  it('devices add prints the credentials once (--json) and stores only a hash', async () => {
    const r = await runCli(['devices', 'add', '--profile', 'bp-upper-arm', '--patient', '943 476 5919', '--id', 'cuff-7', '--serial', 'SN123', '--json', ...dataArgs]);
    expect(r.code).toBe(0);
    device = JSON.parse(r.stdout) as typeof device;
    expect(device).toEqual({ deviceId: 'cuff-7', secret: expect.stringMatching(/^[\w-]{43}$/) });
    const show = await runCli(['devices', 'show', 'cuff-7', '--json', ...dataArgs]);
    expect(JSON.parse(show.stdout)).toMatchObject({ deviceId: 'cuff-7', profile: 'bp-upper-arm', patient: TEST_NHS, serial: 'SN123', status: 'active' });
    expect(show.stdout).not.toContain(device.secret);
  });

  it('refuses an invalid NHS number, an unknown profile and a duplicate id with a clear message', async () => {
    const nhs = await runCli(['devices', 'add', '--profile', 'bp-upper-arm', '--patient', '9434765918', ...dataArgs]);
    expect(nhs.code).toBe(1);
    expect(nhs.stderr).toMatch(/--patient: not a valid NHS number/);
    const profile = await runCli(['devices', 'add', '--profile', 'toaster', '--patient', TEST_NHS, ...dataArgs]);
    expect(profile.stderr).toMatch(/--profile: no device profile "toaster"/);
    const dup = await runCli(['devices', 'add', '--profile', 'bp-upper-arm', '--patient', TEST_NHS, '--id', 'cuff-7', ...dataArgs]);
    expect(dup.stderr).toMatch(/device cuff-7 already exists/);
  });

  it('exits 2 naming the bad key for invalid configuration', async () => {
    const file = join(tmp.dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ mqtt: { port: 'eighty' }, logging: {} }));
    const r = await runCli(['start', '--config', file, ...dataArgs]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/mqtt\.port: .*\(from config file/);
    expect(r.stderr).toMatch(/logging: unknown setting/);
    const env = await runCli(['devices', 'list', ...dataArgs], { VG_MQTT_PORT: '99999' });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/mqtt\.port: .*\(from environment\)/);
  });

  it('exits 0 after help and the version, and 2 on a usage error, which it names', async () => {
    const help = await runCli(['devices', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/rotate-secret/);
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const missing = await runCli(['devices', 'add', '--patient', TEST_NHS, ...dataArgs]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--profile/);
    const unknown = await runCli(['readings', '--patient', TEST_NHS, '--colour', 'blue', ...dataArgs]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--colour'/);
  });

  it('runs the gateway, shows readings, and stops gracefully on SIGTERM', async () => {
    const gw = await spawnGateway([...dataArgs, '--log-level', 'info']);
    try {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.port}`, { clientId: 'cuff-7', username: 'cuff-7', password: device.secret, reconnectPeriod: 0 });
      await client.publishAsync('devices/cuff-7/readings', JSON.stringify({ messageId: 'x1', takenAt: new Date().toISOString(), values: { systolic: 141, diastolic: 91, pulse: 77 } }), { qos: 1 });
      await client.endAsync();
    } finally {
      await gw.stop();
    }
    expect(await gw.exited).toBe(0);
    expect(gw.stderr()).toMatch(/"msg":"gateway stopped"/);
    expect(gw.stderr()).not.toContain(TEST_NHS);

    const json = await runCli(['readings', '--patient', TEST_NHS, '--metric', 'systolic', '--json', ...dataArgs]);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ metric: 'systolic', value: 141, unit: 'mm[Hg]', device: 'cuff-7', messageId: 'x1' })]);
    const table = await runCli(['readings', '--patient', TEST_NHS, ...dataArgs]);
    expect(table.stdout).toMatch(/diastolic\s+91\s+mm\[Hg\]\s+cuff-7/);
  });

  it('lists, rotates and revokes devices', async () => {
    const list = await runCli(['devices', 'list', ...dataArgs]);
    expect(list.stdout).toMatch(/cuff-7\s+bp-upper-arm\s+\*{6}5919\s+active\s+2\d{3}-/);
    const rotated = await runCli(['devices', 'rotate-secret', 'cuff-7', '--json', ...dataArgs]);
    expect(JSON.parse(rotated.stdout).secret).not.toBe(device.secret);
    const revoked = await runCli(['devices', 'revoke', 'cuff-7', '--json', ...dataArgs]);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
  });
});

describe('clinical commands', () => {
  it('news2 prints the score, partial with the missing parameters, and exits 2 on bad input', async () => {
    const full = await runCli(['news2', '--json', JSON.stringify({ respiratoryRate: 22, spo2: 93, spo2Scale: 1, onOxygen: true, systolic: 105, pulse: 112, consciousness: 'A', temperature: 38.4 })]);
    expect(full.code).toBe(0);
    // 2 + 2 + 2 + 1 + 2 + 0 + 1 = 10
    expect(JSON.parse(full.stdout)).toEqual({
      total: 10,
      subscores: { respiratoryRate: 2, spo2: 2, onOxygen: 2, systolic: 1, pulse: 2, consciousness: 0, temperature: 1 },
      response: 'emergency',
      partial: false,
      missing: [],
      spo2Scale: 1,
    });
    const partial = await runCli(['news2', '--json', '{"spo2": 96, "spo2Scale": 2, "onOxygen": true, "pulse": null}']);
    expect(JSON.parse(partial.stdout)).toMatchObject({ total: 4, partial: true, missing: ['respiratoryRate', 'systolic', 'pulse', 'consciousness', 'temperature'], response: 'ward-based' });
    const bad = await runCli(['news2', '--json', '{"consciousness": "X"}']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('consciousness');
  });

  it('hbpm averages a monitoring run by day (first day discarded), or says it is insufficient', async () => {
    const run = [
      { day: 1, time: 'morning', systolic: 170, diastolic: 100 },
      { day: 1, time: 'evening', systolic: 168, diastolic: 98 },
      ...[2, 3, 4, 5, 6, 7].flatMap((day) => [
        { day, time: 'morning', systolic: 151, diastolic: 88 },
        { day, time: 'evening', systolic: 148, diastolic: 86 },
      ]),
    ];
    const file = join(tmp.dir, 'hbpm.json');
    writeFileSync(file, JSON.stringify(run));
    const r = await runCli(['hbpm', '--file', file]);
    expect(r.code).toBe(0);
    // Mean 149.5/87: stage 1 (≥135/85), not stage 2 (≥150/95).
    expect(JSON.parse(r.stdout)).toEqual({ averageSystolic: 149.5, averageDiastolic: 87, daysUsed: 6, readingsUsed: 12, classification: 'stage1' });
    writeFileSync(file, JSON.stringify(run.filter((x) => x.day <= 3)));
    expect(JSON.parse((await runCli(['hbpm', '--file', file])).stdout)).toMatchObject({ averageSystolic: null, daysUsed: 2, classification: 'insufficient' });
    writeFileSync(file, '[{"day": 0}]');
    expect((await runCli(['hbpm', '--file', file])).code).toBe(2);
  });
});

describe('decode', () => {
  it('prints a characteristic value decoded (exit 0), its issues (exit 1), or says what it expects (exit 2)', async () => {
    const bp = await runCli(['decode', '2A35', '1e 7800 5000 5d00 ea07030e081e00 4800 01 2400']);
    expect(bp.code).toBe(0);
    expect(JSON.parse(bp.stdout)).toMatchObject({ unit: 'mmHg', systolic: 120, diastolic: 80, meanArterialPressure: 93, timestamp: '2026-03-14T08:30:00', pulseRate: 72, userId: 1, measurementStatus: { irregularPulseDetected: true } });
    const hr = await runCli(['decode', '00002a37-0000-1000-8000-00805f9b34fb', '16480004']);
    expect(JSON.parse(hr.stdout)).toEqual({ heartRate: 72, sensorContact: 'detected', rrIntervals: [1] });
    expect(JSON.parse((await runCli(['decode', 'SFLOAT', 'a5f3'])).stdout)).toEqual({ value: 93.3, mantissa: 933, exponent: -1 });
    const short = await runCli(['decode', '2A35', '02 7800 5000 5d00 ea07']);
    expect(short.code).toBe(1);
    expect(JSON.parse(short.stdout)).toEqual({ issues: [{ code: 'truncated', path: 'timestamp.month', message: expect.stringContaining('timestamp.month') }] });
    const unknown = await runCli(['decode', '2A99', '00']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no decoder for "2A99"');
    expect((await runCli(['decode', '2A37', '0g'])).code).toBe(2);
  });
});

describe('clinicians and alerts commands', () => {
  it('adds a clinician (secret once), assigns a patient, lists, and acknowledges an alert with a note', async () => {
    const add = await runCli(['clinicians', 'add', '--id', 'dr-fox', '--name', 'Dr Fox', '--json', ...dataArgs]);
    expect(add.code).toBe(0);
    expect(JSON.parse(add.stdout)).toEqual({ clinicianId: 'dr-fox', role: 'clinician', secret: expect.stringMatching(/^[\w-]{43}$/) });
    expect((await runCli(['clinicians', 'add', '--id', 'dr-fox', '--name', 'Again', ...dataArgs])).code).toBe(1);
    expect((await runCli(['clinicians', 'assign', 'dr-fox', '--patient', '943 476 5919', ...dataArgs])).code).toBe(0);
    expect((await runCli(['clinicians', 'assign', 'dr-fox', '--patient', '1234567890', ...dataArgs])).stderr).toContain('--patient');
    expect(JSON.parse((await runCli(['clinicians', 'list', '--json', ...dataArgs])).stdout)).toEqual([expect.objectContaining({ id: 'dr-fox', name: 'Dr Fox', status: 'active', patients: [TEST_NHS] })]);
    const table = await runCli(['clinicians', 'list', ...dataArgs]);
    expect(table.stdout).toContain('dr-fox');
    expect(table.stdout).not.toContain(TEST_NHS);

    // An alert as the rules engine stores one, then acknowledged on the command line.
    const { SqliteStore } = await import('../../src/store/sqlite/index.js');
    const store = new SqliteStore(join(tmp.dir, 'gateway.db'));
    const alert = { id: 'a-1', key: `${TEST_NHS}|cuff-7|severe-hypertension`, patientNhs: TEST_NHS, deviceId: 'cuff-7', ruleId: 'severe-hypertension', severity: 'critical' as const, state: 'open' as const, message: 'Severe', value: 186, openedAtMs: 1_000, updatedAtMs: 1_000 };
    store.readings.commit({ readings: [], deadLetters: [], health: [], alerts: [{ alert, by: 'rules', note: undefined }] });
    store.close();
    expect(JSON.parse((await runCli(['alerts', 'list', '--open', '--json', ...dataArgs])).stdout)).toMatchObject([{ id: 'a-1', state: 'open' }]);
    const ack = await runCli(['alerts', 'ack', 'a-1', '--note', 'phoned the patient; repeat in 1 hour', '--json', ...dataArgs]);
    expect(ack.code).toBe(0);
    const [listed] = JSON.parse((await runCli(['alerts', 'list', '--patient', TEST_NHS, '--json', ...dataArgs])).stdout) as { state: string; events: { state: string; by: string; note: string | null }[] }[];
    expect(listed).toMatchObject({ state: 'acknowledged', events: [{ state: 'open', by: 'rules' }, { state: 'acknowledged', by: expect.stringMatching(/^cli:/), note: 'phoned the patient; repeat in 1 hour' }] });
    expect((await runCli(['alerts', 'ack', 'a-1', '--note', 'again', ...dataArgs])).code).toBe(1);
    expect((await runCli(['alerts', 'list', '--open', ...dataArgs])).stdout).toContain('acknowledged');
  });
});
