import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { DeviceCredentials } from '../../src/devices/index.js';
import { startGateway, tempDir, type TestGateway } from '../helpers/gateway.js';
import { collect, connectDevice } from '../helpers/mqtt.js';

let gw: TestGateway;
let tmp: ReturnType<typeof tempDir>;
beforeAll(async () => {
  tmp = tempDir();
  gw = await startGateway(tmp.dir, { 'mqtt.maxPayloadBytes': 1024, 'ingest.backlogPerSecond': 200 });
});
afterAll(async () => {
  await gw.stop();
  tmp.remove();
});

interface Rejection {
  messageId: string | null;
  topic: string;
  accepted: number;
  issues: { code: string; path: string; message: string }[];
}

/** A fresh device per case (rate limits stay per case), subscribed to its rejected topic. */
async function device(profile = 'bp-upper-arm'): Promise<{ creds: DeviceCredentials; client: MqttClient; next: () => Promise<Rejection> }> {
  const creds = await gw.addDevice(profile);
  const client = await connectDevice(gw.url, creds);
  const inbox = await collect(client, `devices/${creds.deviceId}/rejected`);
  return { creds, client, next: inbox.next as () => Promise<Rejection> };
}

const iso = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString();
const bp = (values: Record<string, unknown>, extra: Record<string, unknown> = {}) => JSON.stringify({ takenAt: iso(), values, ...extra });

const cases: [string, string | Buffer, string, string][] = [
  ['malformed JSON', '{"takenAt": ', 'payload-malformed-json', ''],
  ['a payload over the size limit', JSON.stringify({ takenAt: iso(), values: { systolic: 120, diastolic: 80 }, pad: 'x'.repeat(2000) }), 'payload-too-large', ''],
  ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'payload-malformed-json', ''],
  ['a payload of the wrong shape', JSON.stringify({ when: 'now' }), 'payload-invalid', 'takenAt'],
  ['an unknown metric', bp({ systolic: 120, diastolic: 80, glucose: 5 }), 'metric-unknown', 'values.glucose'],
  ['a wrong unit', bp({ systolic: 120, diastolic: 80 }, { units: { systolic: 'cmH2O' } }), 'unit-not-accepted', 'units.systolic'],
  ['an out-of-range value', bp({ systolic: 420, diastolic: 80 }), 'value-out-of-range', 'values.systolic'],
  ['systolic not above diastolic', bp({ systolic: 80, diastolic: 90 }), 'rule-violated', 'values.systolic'],
  ['a timestamp far in the future', JSON.stringify({ takenAt: iso(86_400_000), values: { systolic: 120, diastolic: 80 } }), 'timestamp-in-future', 'takenAt'],
  ['an unparsable timestamp', JSON.stringify({ takenAt: 'tuesday', values: { systolic: 120, diastolic: 80 } }), 'timestamp-invalid', 'takenAt'],
  ['a timestamp without offset', JSON.stringify({ takenAt: iso(-3_600_000).slice(0, 19), values: { systolic: 120, diastolic: 80 } }), 'timestamp-missing-offset', 'takenAt'],
];

describe('rejections', () => {
  it.each(cases)('rejects %s with a reason on the rejected topic and a dead letter', async (_name, payload, code, path) => {
    const { creds, client, next } = await device();
    try {
      await client.publishAsync(`devices/${creds.deviceId}/readings`, payload, { qos: 1 });
      const rejection = await next();
      expect(rejection).toMatchObject({ topic: `devices/${creds.deviceId}/readings`, accepted: 0 });
      expect(rejection.issues).toContainEqual(expect.objectContaining({ code, path }));
      const [dead] = gw.store.deadLetters.list({ deviceId: creds.deviceId });
      expect(dead?.issues.map((i) => i.code)).toContain(code);
      expect(dead?.payloadBytes).toBe(Buffer.byteLength(payload));
      expect(gw.store.readings.query({ deviceId: creds.deviceId })).toEqual([]);
    } finally {
      await client.endAsync();
    }
  });

  it('slows a burst past the per-minute allowance instead of refusing it, without disturbing another device', async () => {
    const burst = await device();
    const calm = await device('thermometer');
    try {
      const sends = Array.from({ length: 10 }, (_, i) =>
        burst.client.publishAsync(`devices/${burst.creds.deviceId}/readings`, bp({ systolic: 120 + i, diastolic: 80 }, { messageId: `f-${i}` }), { qos: 1 }),
      );
      const calmSend = calm.client.publishAsync(`devices/${calm.creds.deviceId}/readings`, JSON.stringify({ takenAt: iso(), values: { bodyTemperature: 36.8 } }), { qos: 1 });
      await Promise.all([...sends, calmSend]);
      // bp-upper-arm allows 6 messages a minute: 6 at once, 4 held to their paced turn, all stored (2 values each)
      expect(gw.store.readings.query({ deviceId: burst.creds.deviceId })).toHaveLength(20);
      expect(gw.store.deadLetters.list({ deviceId: burst.creds.deviceId })).toEqual([]);
      expect(await gw.metrics.render()).toMatch(/vg_messages_slowed_total [4-9]/);
      expect(gw.store.readings.query({ deviceId: calm.creds.deviceId })).toHaveLength(1);
    } finally {
      await burst.client.endAsync();
      await calm.client.endAsync();
    }
  });

  it('stores a cuff\'s backlog of 100 stored readings sent as separate messages as fast as it can', async () => {
    const cuff = await device();
    try {
      const t0 = Date.now() - 100 * 3_600_000;
      // Its stored readings, oldest first, all at once: one per hour over the last 100 hours.
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          cuff.client.publishAsync(`devices/${cuff.creds.deviceId}/readings`, JSON.stringify({ messageId: `s-${i}`, takenAt: new Date(t0 + i * 3_600_000).toISOString(), values: { systolic: 120 + (i % 20), diastolic: 80 } }), { qos: 1 }),
        ),
      );
      expect(new Set(gw.store.readings.query({ deviceId: cuff.creds.deviceId }).map((r) => r.messageId)).size).toBe(100);
      expect(gw.store.deadLetters.list({ deviceId: cuff.creds.deviceId })).toEqual([]);
    } finally {
      await cuff.client.endAsync();
    }
  });

  it('stores the good readings of a batch and reports the bad ones by index', async () => {
    const { creds, client, next } = await device();
    try {
      const batch = [
        { messageId: 'a', takenAt: iso(), values: { systolic: 121, diastolic: 79 } },
        { messageId: 'b', takenAt: iso(), values: { systolic: 70, diastolic: 90 } },
        { messageId: 'c', takenAt: iso(), values: { systolic: 122, diastolic: 78 } },
      ];
      await client.publishAsync(`devices/${creds.deviceId}/readings`, JSON.stringify(batch), { qos: 1 });
      expect(await next()).toMatchObject({ messageId: null, accepted: 4, issues: [{ code: 'rule-violated', path: '[1].values.systolic' }] });
      expect(gw.store.readings.query({ deviceId: creds.deviceId }).map((r) => r.messageId)).toEqual(['a', 'a', 'c', 'c']);
    } finally {
      await client.endAsync();
    }
  });

  it('rejects a message on an unknown channel of the device\'s own prefix', async () => {
    const { creds, client, next } = await device();
    try {
      await client.publishAsync(`devices/${creds.deviceId}/telemetry`, '{}', { qos: 1 });
      expect(await next()).toMatchObject({ topic: `devices/${creds.deviceId}/telemetry`, issues: [{ code: 'topic-unknown' }] });
    } finally {
      await client.endAsync();
    }
  });

  it('counts rejections by code in the metrics', async () => {
    const text = await gw.metrics.render();
    for (const code of ['payload-malformed-json', 'value-out-of-range']) expect(text).toMatch(new RegExp(`vg_messages_rejected_total\\{code="${code}"\\} [1-9]`));
  });
});

describe('flooding', () => {
  it('slows a flood, refuses it once past the backlog allowance, disconnects and bans the device (CONNACK 3); another device\'s PUBACKs go on', async () => {
    const dir = tempDir();
    const floodGw = await startGateway(dir.dir, { 'ingest.floodDisconnectAfter': 5, 'ingest.floodBanMs': 600_000, 'ingest.backlogPerSecond': 1_000 });
    try {
      const flooder = await floodGw.addDevice('bp-upper-arm');
      const calm = await floodGw.addDevice('thermometer');
      const other = await connectDevice(floodGw.url, calm);
      const client = await connectDevice(floodGw.url, flooder);
      client.on('error', () => {});
      const gone = new Promise<void>((resolve) => client.once('close', () => resolve()));
      // 6 a minute, a backlog of 200 slowed behind them, then refused: the 5th refusal ends the connection.
      for (let i = 0; i < 10_000; i++) client.publish(`devices/${flooder.deviceId}/readings`, bp({ systolic: 120, diastolic: 80 }, { messageId: `f${i}` }), { qos: 1 });
      let calmAcks = 0;
      const calmSending = (async () => {
        for (let i = 0; i < 20; i++, calmAcks++) await other.publishAsync(`devices/${calm.deviceId}/readings`, JSON.stringify({ messageId: `c${i}`, takenAt: iso(-i * 1000), values: { bodyTemperature: 36.6 } }), { qos: 1 });
      })();
      await gone;
      await calmSending;
      expect(calmAcks).toBe(20);
      expect(floodGw.store.readings.query({ deviceId: calm.deviceId })).toHaveLength(20);
      const stored = floodGw.store.readings.query({ deviceId: flooder.deviceId }).length / 2;
      // In arrival order: the minute's allowance and the whole backlog stored (slowed) before any
      // refusal; then exactly the 5 refusals that ban it, and nothing after them judged or kept
      // (those messages are not acknowledged: the device still has them).
      expect(stored).toBe(206);
      const refusals = floodGw.store.deadLetters.list({ deviceId: flooder.deviceId, limit: 1000 });
      expect(refusals.map((d) => d.issues[0]?.code)).toEqual(Array.from({ length: 5 }, () => 'rate-limited'));
      expect(await floodGw.metrics.render()).toMatch(/vg_messages_slowed_total 214\n/); // the cuff's 200, and the thermometer's 20 beyond its 6 a minute
      const retry = await connectDevice(floodGw.url, flooder).then(
        async (c) => (await c.endAsync(), 0),
        (e: { code?: number }) => e.code,
      );
      expect(retry).toBe(3);
      await other.endAsync();
      expect(await floodGw.metrics.render()).toMatch(/vg_mqtt_flood_disconnects_total 1/);
    } finally {
      await floodGw.stop();
      dir.remove();
    }
  });
});
