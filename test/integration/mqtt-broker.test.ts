import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { ok } from '../../src/domain/index.js';
import { MqttBroker, type BrokerPorts } from '../../src/ingest/mqtt/index.js';
import { createLogger } from '../../src/observability/index.js';
import type { IngestDone, IngestOutcome } from '../../src/pipeline/index.js';
import { shippedProfile } from '../helpers/profiles.js';

const stored = (messageId: string): IngestOutcome => ({ messageId, accepted: 1, duplicates: 0, rejected: 0, issues: [], clockDrift: false });

/**
 * The embedded broker on a real aedes and a real MQTT client, with the pipeline behind it held by
 * the test: what the broker does while a message's commit is pending, and once it settles.
 */
async function heldBroker(ingest?: (payload: string, done: IngestDone) => void) {
  const held: { payload: string; done: IngestDone }[] = [];
  const ports: BrokerPorts = {
    authenticate: async (deviceId) => ok({ deviceId: deviceId ?? '', patientNhs: '9434765919', profile: shippedProfile('bp-upper-arm') }),
    ingest: (_device, _channel, _topic, payload, done) => (ingest === undefined ? held.push({ payload: payload.toString(), done }) : ingest(payload.toString(), done)),
    banned: () => false,
  };
  const metrics = { connectionOpened: () => {}, connectionClosed: () => {}, authFailed: () => {}, aclDenied: () => {}, oversizedPacket: () => {}, floodDisconnected: () => {} };
  const broker = new MqttBroker({ host: '127.0.0.1', port: 0, maxPacketBytes: 65_536, connectTimeoutMs: 5_000 }, ports, metrics, createLogger({ level: 'silent' }));
  const port = await broker.start();
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'cuff-1', username: 'cuff-1', password: 'x', reconnectPeriod: 0 });
  client.on('error', () => {});
  const acked: string[] = [];
  const publish = (m: string) => client.publish('devices/cuff-1/readings', m, { qos: 1 }, (e) => e ?? acked.push(m));
  const ingested = async (n: number) => {
    while (held.length < n) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  return { broker, client, held, acked, publish, ingested };
}

describe('MqttBroker', () => {
  it('holds each PUBACK until the pipeline settles its message, and none for a message not committed', async () => {
    const { broker, client, held, acked, publish, ingested } = await heldBroker();
    try {
      publish('a');
      publish('b');
      await ingested(2);
      expect(acked).toEqual([]);
      held[1]?.done(stored('b'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(acked).toEqual(['b']);
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      held[0]?.done(undefined, new Error('store unavailable')); // no PUBACK: the connection closes, the device redelivers
      await closed;
      expect(acked).toEqual(['b']);
    } finally {
      client.end(true);
      await broker.stop();
    }
  });

  it('settles a message once, whether the pipeline throws before settling it (no PUBACK) or after (acknowledged)', async () => {
    const { broker, client, acked, publish } = await heldBroker((payload, done) => {
      if (payload === 'after') done(stored(payload));
      if (payload !== 'fine') throw new Error('the pipeline broke');
      done(stored(payload));
    });
    try {
      publish('after');
      publish('fine');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(acked).toEqual(['after', 'fine']); // acknowledged once, and the connection carries on
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      publish('before');
      await closed;
      expect(acked).toEqual(['after', 'fine']);
    } finally {
      client.end(true);
      await broker.stop();
    }
  });

  it('on stop, waits for the messages in the pipeline and acknowledges them before it closes', async () => {
    const { broker, client, held, acked, publish, ingested } = await heldBroker();
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    publish('a');
    publish('b');
    await ingested(2);
    let stopped = false;
    const stopping = broker.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBe(false); // both still in the pipeline
    held[0]?.done(stored('a'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBe(false); // one still in the pipeline
    held[1]?.done(stored('b'));
    await stopping;
    await closed;
    expect(acked.sort()).toEqual(['a', 'b']);
  });
});
