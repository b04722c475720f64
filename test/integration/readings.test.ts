import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, tempDir, TEST_NHS, type TestGateway } from '../helpers/gateway.js';
import { collect, connectDevice } from '../helpers/mqtt.js';
import { clockFrom, isoAgo } from '../helpers/clock.js';

let gw: TestGateway;
let tmp: ReturnType<typeof tempDir>;
beforeEach(async () => {
  tmp = tempDir();
  gw = await startGateway(tmp.dir);
});
afterEach(async () => {
  await gw.stop();
  tmp.remove();
});

const nowIso = () => new Date().toISOString();

describe('readings over MQTT', () => {
  it('has the reading committed when the QoS 1 PUBACK arrives', async () => {
    const creds = await gw.addDevice('bp-upper-arm');
    const device = await connectDevice(gw.url, creds);
    try {
      await device.publishAsync(
        `devices/${creds.deviceId}/readings`,
        JSON.stringify({ messageId: 'm-1', takenAt: nowIso(), values: { systolic: 128, diastolic: 82, pulse: 71 } }),
        { qos: 1 },
      );
      // No waiting: the rows must already be in the SQLite file when PUBACK is received.
      const rows = gw.store.readings.query({ deviceId: creds.deviceId });
      expect(rows.map((r) => [r.metric, r.value, r.unit])).toEqual([
        ['systolic', 128, 'mm[Hg]'],
        ['diastolic', 82, 'mm[Hg]'],
        ['pulse', 71, '/min'],
      ]);
      expect(rows[0]).toMatchObject({ patientNhs: TEST_NHS, profileId: 'bp-upper-arm', messageId: 'm-1' });
    } finally {
      await device.endAsync();
    }
  });

  it('stores a duplicate publish once, whether keyed by message id or by content', async () => {
    const creds = await gw.addDevice('pulse-oximeter');
    const device = await connectDevice(gw.url, creds);
    try {
      const withId = JSON.stringify({ messageId: 'ox-1', takenAt: nowIso(), values: { spo2: 97, pulse: 64 } });
      const withoutId = JSON.stringify({ takenAt: isoAgo(3_600_000), values: { spo2: 96 } });
      for (const payload of [withId, withId, withoutId, withoutId, withId]) {
        await device.publishAsync(`devices/${creds.deviceId}/readings`, payload, { qos: 1 });
      }
      expect(gw.store.readings.count()).toBe(3);
      expect(await gw.metrics.render()).toMatch(/vg_readings_duplicate_total\{profile="pulse-oximeter"\} 5/);
    } finally {
      await device.endAsync();
    }
  });

  it('counts each message\'s new and repeated values right when many share one commit', async () => {
    const creds = await gw.addDevice('pulse-oximeter');
    const device = await connectDevice(gw.url, creds);
    try {
      const takenAt = nowIso(); // a repeat is the same message: same id, same time
      const payload = (id: string) => JSON.stringify({ messageId: id, takenAt, values: { spo2: 97, pulse: 64 } });
      await device.publishAsync(`devices/${creds.deviceId}/readings`, payload('ox-0'), { qos: 1 });
      // Published together: they share commits, the repeats of ox-0 and ox-1 behind new readings.
      const ids = ['ox-1', 'ox-0', 'ox-2', 'ox-0', 'ox-1', 'ox-3'];
      await Promise.all(ids.map((id) => device.publishAsync(`devices/${creds.deviceId}/readings`, payload(id), { qos: 1 })));
      expect(gw.store.readings.count()).toBe(8); // values: 4 readings of 2
      const metrics = await gw.metrics.render();
      expect(metrics).toMatch(/vg_readings_accepted_total\{profile="pulse-oximeter"\} 8/);
      expect(metrics).toMatch(/vg_readings_duplicate_total\{profile="pulse-oximeter"\} 6/);
    } finally {
      await device.endAsync();
    }
  });

  it('stores every reading of a batch, and the wearable\'s continuous stream', async () => {
    const creds = await gw.addDevice('wrist-wearable');
    const device = await connectDevice(gw.url, creds);
    try {
      const start = Date.now() - 60_000;
      const batch = Array.from({ length: 60 }, (_, i) => ({
        takenAt: new Date(start + i * 1000).toISOString(),
        values: { heartRate: 60 + (i % 7), ...(i % 30 === 0 ? { steps: 12 } : {}) },
      }));
      await device.publishAsync(`devices/${creds.deviceId}/readings`, JSON.stringify(batch), { qos: 1 });
      expect(gw.store.readings.query({ metric: 'heartRate' })).toHaveLength(60);
      expect(gw.store.readings.query({ metric: 'steps' })).toHaveLength(2);
    } finally {
      await device.endAsync();
    }
  });

  it('corrects only a reading it can single out: two readings of one time need their message ids', async () => {
    const creds = await gw.addDevice('pulse-oximeter');
    const device = await connectDevice(gw.url, creds);
    try {
      const rejected = await collect(device, `devices/${creds.deviceId}/rejected`);
      const at = isoAgo(600_000);
      const later = isoAgo(300_000);
      // Two readings taken at one time, without message ids (keyed by their values), and one with an id.
      await device.publishAsync(`devices/${creds.deviceId}/readings`, JSON.stringify([{ takenAt: at, values: { spo2: 97 } }, { takenAt: at, values: { spo2: 95 } }]), { qos: 1 });
      await device.publishAsync(`devices/${creds.deviceId}/readings`, JSON.stringify({ messageId: 'ox-9', takenAt: later, values: { spo2: 93 } }), { qos: 1 });
      await device.publishAsync(`devices/${creds.deviceId}/corrections`, JSON.stringify({ takenAt: at, action: 'retract' }), { qos: 1 });
      expect(await rejected.next()).toMatchObject({ issues: [{ code: 'reading-unknown', path: 'messageId' }] });
      await device.publishAsync(`devices/${creds.deviceId}/corrections`, JSON.stringify({ takenAt: later, messageId: 'ox-9', action: 'retract' }), { qos: 1 });
      expect(gw.store.readings.query({ deviceId: creds.deviceId }).map((r) => [r.value, r.status])).toEqual([[97, 'final'], [95, 'final'], [93, 'entered-in-error']]);
      expect(rejected.messages).toHaveLength(1);
    } finally {
      await device.endAsync();
    }
  });

  it('accepts vendor-shaped payloads through their profiles, converting units', async () => {
    // The scale sends local time (its profile's time zone, Europe/London): on this clock's day,
    // 20 November, London keeps GMT, so 07:15 local is 07:15 UTC.
    const clock = clockFrom('2026-11-20T09:00:00Z');
    const other = tempDir();
    const gw = await startGateway(other.dir, {}, clock);
    const cuff = await gw.addDevice('northwind-bp3');
    const scale = await gw.addDevice('contoso-scale');
    const a = await connectDevice(gw.url, cuff);
    const b = await connectDevice(gw.url, scale);
    try {
      const ts = Math.floor(clock.now() / 1000) - 120;
      await a.publishAsync(`devices/${cuff.deviceId}/readings`, JSON.stringify({ seq: 9, ts, clock: Math.floor(clock.now() / 1000), bp: { sys: 17.3, dia: 11.2, unit: 'kPa' }, hr: 66 }), { qos: 1 });
      await b.publishAsync(
        `devices/${scale.deviceId}/readings`,
        JSON.stringify({ device: 'WS-20', measurements: [{ id: 'w1', time: '2026-11-20T07:15:00', weight_lb: 165.3 }] }),
        { qos: 1 },
      );
      expect(gw.store.readings.query({ deviceId: cuff.deviceId }).map((r) => [r.metric, r.value, r.sourceUnit])).toEqual([
        ['systolic', 130, 'kPa'],
        ['diastolic', 84, 'kPa'],
        ['pulse', 66, undefined],
      ]);
      const [weight] = gw.store.readings.query({ deviceId: scale.deviceId });
      expect(weight).toMatchObject({ value: 74.98, unit: 'kg', sourceUnit: '[lb_av]', takenAtMs: Date.parse('2026-11-20T07:15:00Z') });
    } finally {
      await a.endAsync();
      await b.endAsync();
      await gw.stop();
      other.remove();
    }
  });

  it('keeps device time, receive time and offset, and corrects a drifting clock', async () => {
    const creds = await gw.addDevice('thermometer');
    const device = await connectDevice(gw.url, creds);
    try {
      const hour = 3_600_000;
      const deviceNow = Date.now() - hour; // the thermometer's clock is an hour slow
      await device.publishAsync(
        `devices/${creds.deviceId}/readings`,
        JSON.stringify({ takenAt: new Date(deviceNow - 60_000).toISOString(), deviceTime: new Date(deviceNow).toISOString(), values: { bodyTemperature: 37.1 } }),
        { qos: 1 },
      );
      const [row] = gw.store.readings.query({ deviceId: creds.deviceId });
      expect(row?.clockOffsetMs).toBeGreaterThanOrEqual(hour);
      expect((row?.takenAtMs ?? 0) - (row?.deviceTakenAtMs ?? 0)).toBe(row?.clockOffsetMs);
      expect(Math.abs((row?.receivedAtMs ?? 0) - 60_000 - (row?.takenAtMs ?? 0))).toBeLessThan(1_000);
      expect(gw.store.devices.health(creds.deviceId)).toMatchObject({ clockDrift: true });
      expect(await gw.metrics.render()).toMatch(/vg_clock_drift_messages_total\{profile="thermometer"\} 1/);
    } finally {
      await device.endAsync();
    }
  });

  it('records device status (battery, signal, firmware) and last-seen', async () => {
    const creds = await gw.addDevice('glucose-meter');
    const device = await connectDevice(gw.url, creds);
    try {
      await device.publishAsync(`devices/${creds.deviceId}/status`, JSON.stringify({ batteryPct: 64, signalDbm: -71, firmware: '2.4.1', deviceTime: nowIso() }), { qos: 1 });
      await device.publishAsync(`devices/${creds.deviceId}/readings`, JSON.stringify({ takenAt: nowIso(), values: { bloodGlucose: 5.4 } }), { qos: 1 });
      expect(gw.store.devices.health(creds.deviceId)).toMatchObject({ batteryPct: 64, signalDbm: -71, firmware: '2.4.1', clockDrift: false });
      expect(gw.store.devices.health(creds.deviceId)?.lastReadingAtMs).toBeGreaterThan(Date.now() - 10_000);
    } finally {
      await device.endAsync();
    }
  });

  it('stores QoS 0 readings too (no acknowledgement to wait for)', async () => {
    const creds = await gw.addDevice('wrist-wearable');
    const device = await connectDevice(gw.url, creds);
    try {
      await device.publishAsync(`devices/${creds.deviceId}/readings`, JSON.stringify({ messageId: 'q0', takenAt: nowIso(), values: { heartRate: 64 } }), { qos: 0 });
      // a QoS 1 publish behind it on the same connection is handled after it
      await device.publishAsync(`devices/${creds.deviceId}/readings`, JSON.stringify({ messageId: 'q1', takenAt: nowIso(), values: { heartRate: 65 } }), { qos: 1 });
      expect(gw.store.readings.query({ deviceId: creds.deviceId }).map((r) => r.messageId).sort()).toEqual(['q0', 'q1']);
    } finally {
      await device.endAsync();
    }
  });

  it('refuses MQTT 5 connections cleanly (the embedded broker speaks 3.1.1)', async () => {
    const creds = await gw.addDevice('thermometer');
    const outcome = await connectDevice(gw.url, creds, { protocolVersion: 5, connectTimeout: 2_000 }).then(
      async (c) => (await c.endAsync(), 'connected'),
      () => 'refused',
    );
    expect(outcome).toBe('refused');
    // and the gateway carries on
    const v4 = await connectDevice(gw.url, creds);
    await v4.endAsync();
  });
});
