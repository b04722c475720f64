import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { ClinicianRegistry } from '../../src/clinicians/index.js';
import { loadConfig } from '../../src/config/index.js';
import { DeviceRegistry } from '../../src/devices/index.js';
import { systemClock } from '../../src/domain/index.js';
import { loadProfiles } from '../../src/profiles/index.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { tempDir } from '../helpers/gateway.js';
import { MosquittoBroker, mosquittoMissing } from '../helpers/mosquitto.js';
import { runCli } from '../helpers/process.js';
import { until } from '../helpers/until.js';

/**
 * `broker mosquitto-files` checked with the real Mosquitto: the registry's devices and clinicians
 * get in with their own secrets only, and touch only their own topics; a reload takes in new and
 * revoked devices without a restart.
 */
describe.skipIf(mosquittoMissing)('Mosquitto password and ACL files from the registry', () => {
  const data = tempDir();
  const out = tempDir('vg-mosquitto-files-');
  const cli = (...args: string[]) => runCli([...args, '--data-dir', data.dir]);
  const secrets = new Map<string, string>();
  let broker: MosquittoBroker;
  const clients: MqttClient[] = [];

  /** The registry as `devices add`, `devices revoke` and `clinicians add` use it (the command itself is what is under test). */
  const withRegistry = async <T>(fn: (devices: DeviceRegistry, accounts: ClinicianRegistry) => Promise<T>): Promise<T> => {
    const config = loadConfig([{ source: 'test', values: { dataDir: data.dir } }]);
    const store = new SqliteStore(config.dbFile);
    try {
      return await fn(new DeviceRegistry(store.devices, loadProfiles(config.profilesDir), systemClock, store.brokerCredentials), new ClinicianRegistry(store.clinicians, systemClock, undefined, store.brokerCredentials));
    } finally {
      store.close();
    }
  };
  const addDevice = async (id: string) => {
    const { secret } = await withRegistry((devices) => devices.add({ profileId: 'bp-upper-arm', patient: '9434765919', deviceId: id }));
    secrets.set(id, secret);
  };
  const writeFiles = async (...more: string[]) => {
    const r = await cli('broker', 'mosquitto-files', '--out', out.dir, '--json', ...more);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { changed: boolean; reloaded: boolean; withoutHash: string[] };
  };
  /** An MQTT 5 connection (Mosquitto then gives reason codes for refused publishes and subscriptions). */
  const connectAs = (username: string, password: string): Promise<MqttClient> =>
    new Promise((resolve, reject) => {
      const c = mqtt.connect(broker.url, { clientId: username, username, password, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5_000 });
      clients.push(c);
      c.once('connect', () => resolve(c));
      c.once('error', reject);
    });

  beforeAll(async () => {
    await addDevice('cuff-1');
    await addDevice('cuff-2');
    secrets.set('clinician.dr-a', (await withRegistry((_, accounts) => accounts.add('dr-a', 'Dr A'))).secret);
    expect(await writeFiles()).toMatchObject({ changed: true, withoutHash: [] });
    broker = await MosquittoBroker.start([`password_file ${join(out.dir, 'passwords')}`, `acl_file ${join(out.dir, 'acl')}`, 'allow_anonymous false']);
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await broker?.stop();
    data.remove();
    out.remove();
  });

  it('lets a device and a clinician in with their own secrets, and refuses a wrong one', async () => {
    await connectAs('cuff-1', secrets.get('cuff-1') as string);
    await connectAs('clinician.dr-a', secrets.get('clinician.dr-a') as string);
    await expect(connectAs('cuff-1', secrets.get('cuff-2') as string)).rejects.toThrow(/not authorized|bad user name or password/i);
    await expect(connectAs('nobody', 'x')).rejects.toThrow(/not authorized|bad user name or password/i);
  });

  it("refuses a device another device's topics and the gateway's own channel, and a clinician another's alerts", async () => {
    const one = await connectAs('cuff-1', secrets.get('cuff-1') as string);
    const two = await connectAs('cuff-2', secrets.get('cuff-2') as string);
    const dr = await connectAs('clinician.dr-a', secrets.get('clinician.dr-a') as string);
    const seen = new Map<MqttClient, string[]>([one, two, dr].map((c) => [c, []]));
    for (const c of [one, two, dr]) c.on('message', (topic) => seen.get(c)?.push(topic));
    // Mosquitto may grant a subscription outside a client's ACL, but delivers nothing through it.
    await two.subscribeAsync('devices/cuff-2/#', { qos: 1 });
    await one.subscribeAsync(['devices/cuff-2/#', 'devices/+/readings', 'clinicians/dr-a/alerts'], { qos: 1 });
    await dr.subscribeAsync(['clinicians/dr-a/alerts', 'clinicians/dr-b/alerts', 'devices/#'], { qos: 1 });
    // mqtt.js rejects a PUBACK whose reason code is an error, with that code.
    const puback = (c: MqttClient, topic: string): Promise<number> =>
      c.publishAsync(topic, '{}', { qos: 1 }).then(
        (p) => (p as { reasonCode?: number } | undefined)?.reasonCode ?? 0,
        (e: { code?: number }) => e.code ?? -1,
      );
    // [MQTT 5 §3.4.2.1] 0x87: not authorised; 0x10: accepted, no subscriber.
    expect(await puback(one, 'devices/cuff-2/readings')).toBe(0x87);
    expect(await puback(one, 'devices/cuff-1/rejected')).toBe(0x87);
    expect(await puback(dr, 'clinicians/dr-a/alerts')).toBe(0x87);
    expect([0, 0x10]).toContain(await puback(one, 'devices/cuff-1/readings'));
    expect([0, 0x10]).toContain(await puback(two, 'devices/cuff-2/status'));
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.get(two)).toEqual(['devices/cuff-2/status']); // its own message, never cuff-1's
    expect(seen.get(one)).toEqual(['devices/cuff-1/readings']); // its own through the wildcard, never cuff-2's
    expect(seen.get(dr)).toEqual([]);
  });

  it('takes in a new device and shuts out a revoked one at a reload, without a restart', async () => {
    await addDevice('cuff-3');
    await withRegistry(async (devices) => devices.revoke('cuff-2'));
    expect(await writeFiles('--reload-pid', broker.pidFile)).toMatchObject({ changed: true, reloaded: true });
    expect(await writeFiles('--reload-pid', broker.pidFile)).toMatchObject({ changed: false, reloaded: false });
    await until(() => connectAs('cuff-3', secrets.get('cuff-3') as string).then(() => true, () => false), (ok) => ok, 'cuff-3 let in after the reload', 5_000);
    await expect(connectAs('cuff-2', secrets.get('cuff-2') as string)).rejects.toThrow(/not authorized|bad user name or password/i);
  });
});
