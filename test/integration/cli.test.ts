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

  it('runs the gateway, shows readings, and stops gracefully on SIGTERM', async () => {
    const gw = await spawnGateway([...dataArgs, '--log-level', 'info']);
    try {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.port}`, { clientId: 'cuff-7', username: 'cuff-7', password: device.secret, reconnectPeriod: 0 });
      await client.publishAsync('devices/cuff-7/readings', JSON.stringify({ messageId: 'x1', takenAt: new Date().toISOString(), values: { systolic: 141, diastolic: 91, pulse: 77 } }), { qos: 1 });
      await client.endAsync();
    } finally {
      gw.child.kill('SIGTERM');
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
