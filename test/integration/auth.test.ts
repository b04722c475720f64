import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { DeviceRegistry } from '../../src/devices/index.js';
import { systemClock } from '../../src/domain/index.js';
import { startGateway, tempDir, type TestGateway } from '../helpers/gateway.js';
import { connectDevice } from '../helpers/mqtt.js';

let gw: TestGateway;
let tmp: ReturnType<typeof tempDir>;
beforeAll(async () => {
  tmp = tempDir();
  gw = await startGateway(tmp.dir, { 'mqtt.maxPacketBytes': 4096, 'mqtt.maxPayloadBytes': 1024, 'mqtt.revocationCheckMs': 20 });
});
afterAll(async () => {
  await gw.stop();
  tmp.remove();
});

/** The CONNACK return code of a refused connection. */
async function refusal(options: mqtt.IClientOptions): Promise<number | undefined> {
  try {
    const client = await mqtt.connectAsync(gw.url, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
    await client.endAsync();
    return 0;
  } catch (error) {
    return (error as { code?: number }).code;
  }
}

/** Resolves when the client's connection closes. */
const closed = (client: mqtt.MqttClient) => new Promise<void>((resolve) => client.once('close', () => resolve()));
const reading = () => JSON.stringify({ takenAt: new Date().toISOString(), values: { systolic: 120, diastolic: 80 } });

describe('device authentication', () => {
  it('refuses an unknown device and a wrong secret with CONNACK 4', async () => {
    const creds = await gw.addDevice('bp-upper-arm');
    expect(await refusal({ clientId: 'ghost', username: 'ghost', password: 'whatever' })).toBe(4);
    expect(await refusal({ clientId: creds.deviceId, username: creds.deviceId, password: `${creds.secret}x` })).toBe(4);
    expect(await refusal({ clientId: creds.deviceId })).toBe(4);
    expect(await refusal({ clientId: creds.deviceId, username: creds.deviceId, password: creds.secret })).toBe(0);
    expect(await gw.metrics.render()).toMatch(/vg_mqtt_auth_failures_total\{reason="bad-credentials"\} 3/);
  });

  it('locks a device id out after repeated wrong secrets, without hashing', async () => {
    const creds = await gw.addDevice('bp-upper-arm');
    const login = { clientId: creds.deviceId, username: creds.deviceId };
    for (let i = 0; i < 5; i++) expect(await refusal({ ...login, password: `guess-${i}` })).toBe(4);
    expect(await refusal({ ...login, password: creds.secret })).toBe(4);
    expect(await gw.metrics.render()).toMatch(/vg_mqtt_auth_failures_total\{reason="throttled"\} 1/);
  });

  it('still lets in a device that proved its secret before, while others guess at its id', async () => {
    const creds = await gw.addDevice('bp-upper-arm');
    const login = { clientId: creds.deviceId, username: creds.deviceId };
    expect(await refusal({ ...login, password: creds.secret })).toBe(0);
    for (let i = 0; i < 6; i++) expect(await refusal({ ...login, password: `guess-${i}` })).toBe(4);
    expect(await refusal({ ...login, password: creds.secret })).toBe(0);
  });

  it('refuses a revoked device with CONNACK 5', async () => {
    const creds = await gw.addDevice('bp-upper-arm');
    new DeviceRegistry(gw.store.devices, gw.profiles, systemClock).revoke(creds.deviceId);
    expect(await refusal({ clientId: creds.deviceId, username: creds.deviceId, password: creds.secret })).toBe(5);
  });

  it('disconnects a connected device once it is revoked', async () => {
    const creds = await gw.addDevice('bp-upper-arm');
    const client = await connectDevice(gw.url, creds);
    const gone = closed(client);
    new DeviceRegistry(gw.store.devices, gw.profiles, systemClock).revoke(creds.deviceId);
    await gone;
    expect(await refusal({ clientId: creds.deviceId, username: creds.deviceId, password: creds.secret })).toBe(5);
  });

  it('refuses a client id that is not the device id with CONNACK 2', async () => {
    const creds = await gw.addDevice('bp-upper-arm');
    expect(await refusal({ clientId: 'someone-else', username: creds.deviceId, password: creds.secret })).toBe(2);
  });

  it('stops accepting the old secret after rotation, even after a cached login', async () => {
    const creds = await gw.addDevice('bp-upper-arm');
    const login = { clientId: creds.deviceId, username: creds.deviceId };
    expect(await refusal({ ...login, password: creds.secret })).toBe(0);
    const rotated = await new DeviceRegistry(gw.store.devices, gw.profiles, systemClock).rotateSecret(creds.deviceId);
    expect(await refusal({ ...login, password: creds.secret })).toBe(4);
    expect(await refusal({ ...login, password: rotated.secret })).toBe(0);
  });

  it('keeps secrets only as salted scrypt hashes', async () => {
    const a = await gw.addDevice('bp-upper-arm');
    const stored = gw.store.devices.get(a.deviceId)?.secretHash ?? '';
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(stored).not.toContain(a.secret);
  });
});

describe('device authorization', () => {
  it('closes the connection of a device publishing on another device\'s topic, storing nothing', async () => {
    const a = await gw.addDevice('bp-upper-arm');
    const b = await gw.addDevice('bp-upper-arm');
    const client = await connectDevice(gw.url, a);
    const gone = closed(client);
    client.publish(`devices/${b.deviceId}/readings`, reading(), { qos: 1 });
    await gone;
    expect(gw.store.readings.query({ deviceId: b.deviceId })).toEqual([]);
    expect(gw.store.readings.query({ deviceId: a.deviceId })).toEqual([]);
    expect(await gw.metrics.render()).toMatch(/vg_mqtt_acl_denied_total\{action="publish"\} [1-9]/);
  });

  it('closes the connection of a device publishing on the gateway\'s rejected topic or outside devices/', async () => {
    const a = await gw.addDevice('bp-upper-arm');
    for (const topic of [`devices/${a.deviceId}/rejected`, 'clinicians/c1/alerts', `devices/${a.deviceId}/readings/extra`]) {
      const client = await connectDevice(gw.url, a);
      const gone = closed(client);
      client.publish(topic, '{}', { qos: 1 });
      await gone;
    }
  });

  it('grants subscriptions inside the device\'s own prefix only', async () => {
    const a = await gw.addDevice('bp-upper-arm');
    const b = await gw.addDevice('bp-upper-arm');
    const client = await connectDevice(gw.url, a);
    try {
      const suback = await client
        .subscribeAsync([`devices/${a.deviceId}/rejected`, `devices/${b.deviceId}/rejected`, 'devices/+/readings', '#'], { qos: 1 })
        .then(() => undefined, (e: { packet?: { granted?: number[] } }) => e.packet);
      // [MQTT-3.9.3] 0x80 marks each refused filter; the granted one keeps QoS 1
      expect(suback?.granted).toEqual([1, 128, 128, 128]);
      expect(client.connected).toBe(true);
      expect(await gw.metrics.render()).toMatch(/vg_mqtt_acl_denied_total\{action="subscribe"\} 3/);
    } finally {
      await client.endAsync();
    }
  });

  it('never delivers another device\'s rejections', async () => {
    const a = await gw.addDevice('bp-upper-arm');
    const b = await gw.addDevice('bp-upper-arm');
    const ca = await connectDevice(gw.url, a);
    const cb = await connectDevice(gw.url, b);
    try {
      const seenByA: string[] = [];
      ca.on('message', (topic) => seenByA.push(topic));
      await ca.subscribeAsync(`devices/${a.deviceId}/#`, { qos: 1 });
      const bInbox = new Promise((resolve) => cb.once('message', resolve));
      await cb.subscribeAsync(`devices/${b.deviceId}/rejected`, { qos: 1 });
      await cb.publishAsync(`devices/${b.deviceId}/readings`, 'not json', { qos: 1 });
      await bInbox;
      await ca.publishAsync(`devices/${a.deviceId}/readings`, reading(), { qos: 1 });
      expect(seenByA.every((t) => t.startsWith(`devices/${a.deviceId}/`))).toBe(true);
    } finally {
      await ca.endAsync();
      await cb.endAsync();
    }
  });

  it('takes what a device publishes without echoing it back to the device, and still answers on its rejected topic', async () => {
    const a = await gw.addDevice('bp-upper-arm');
    const client = await connectDevice(gw.url, a);
    try {
      const seen: string[] = [];
      client.on('message', (topic) => seen.push(topic));
      await client.subscribeAsync(`devices/${a.deviceId}/#`, { qos: 1 });
      const rejection = new Promise((resolve) => client.once('message', resolve));
      await client.publishAsync(`devices/${a.deviceId}/readings`, reading(), { qos: 1 });
      await client.publishAsync(`devices/${a.deviceId}/status`, JSON.stringify({ batteryPct: 80 }), { qos: 0 });
      await client.publishAsync(`devices/${a.deviceId}/readings`, 'not json', { qos: 1 });
      await rejection;
      // An echo of the first two would have been written to the device before the rejection.
      expect(seen).toEqual([`devices/${a.deviceId}/rejected`]);
      expect(gw.store.readings.query({ deviceId: a.deviceId })).toHaveLength(2);
    } finally {
      await client.endAsync();
    }
  });

  it('disconnects a client that sends a packet over the size limit, before buffering it', async () => {
    const a = await gw.addDevice('bp-upper-arm');
    const client = await connectDevice(gw.url, a);
    const gone = closed(client);
    client.publish(`devices/${a.deviceId}/readings`, Buffer.alloc(10_000, 0x20), { qos: 1 });
    await gone;
    expect(await gw.metrics.render()).toMatch(/vg_mqtt_oversized_packets_total 1/);
    const again = await connectDevice(gw.url, a);
    await again.publishAsync(`devices/${a.deviceId}/readings`, reading(), { qos: 1 });
    expect(gw.store.readings.query({ deviceId: a.deviceId })).toHaveLength(2);
    await again.endAsync();
  });
});
