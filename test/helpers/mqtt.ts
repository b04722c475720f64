import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { DeviceCredentials } from '../../src/devices/index.js';

/** Connects a real mqtt.js client as a device; rejects on CONNACK refusal. */
export async function connectDevice(url: string, creds: DeviceCredentials, options: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    clientId: creds.deviceId,
    username: creds.deviceId,
    password: creds.secret,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...options,
  });
}

/** Collects messages on `filter` (subscribed before it resolves). */
export async function collect(client: MqttClient, filter: string): Promise<{ messages: { topic: string; json: unknown }[]; next: () => Promise<unknown> }> {
  const messages: { topic: string; json: unknown }[] = [];
  const waiters: ((v: unknown) => void)[] = [];
  client.on('message', (topic, payload) => {
    const json: unknown = JSON.parse(payload.toString('utf8'));
    messages.push({ topic, json });
    waiters.shift()?.(json);
  });
  await client.subscribeAsync(filter, { qos: 1 });
  let taken = 0;
  return {
    messages,
    next: () => {
      const have = messages[taken];
      taken += 1;
      return have !== undefined ? Promise.resolve(have.json) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

/** Readings an hour old and a second apart, the same bytes each time they are sent (as a device keeps them). */
const streamBase = Date.now() - 3_600_000;
export const thermometerReading = (messageId: string, i: number): string =>
  JSON.stringify({ messageId, takenAt: new Date(streamBase + i * 1000).toISOString(), values: { bodyTemperature: 36 + (i % 20) / 10 } });

/**
 * Publishes `count` QoS 1 thermometer readings (`<prefix>-<deviceId>-<i>`) from `client` with at
 * most `window` unacknowledged; resolves with the ids the broker acknowledged, once all are.
 */
export function streamReadings(client: MqttClient, deviceId: string, count: number, window = 10, prefix = 'm'): Promise<string[]> {
  const acked: string[] = [];
  let next = 0;
  return new Promise((resolve) => {
    const pump = (): void => {
      if (next >= count) return;
      const i = next++;
      const id = `${prefix}-${deviceId}-${i}`;
      client.publish(`devices/${deviceId}/readings`, thermometerReading(id, i), { qos: 1 }, (error) => {
        if (error) return;
        acked.push(id);
        if (acked.length === count) resolve(acked);
        else pump();
      });
    };
    for (let w = 0; w < window; w++) pump();
  });
}

/** Mosquitto for a worker's tests, as the deployment guide asks: anonymous devices, QoS 1 queues far beyond the default 1000. */
export const WORKER_BROKER_LINES = ['allow_anonymous true', 'max_queued_messages 1000000', 'max_inflight_messages 20'] as const;

/** A device on an anonymous broker (MQTT 5, reconnecting after 100 ms); `defer` ends it after the test. */
export async function anonymousDevice(url: string, id: string, defer: (fn: () => unknown) => void): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { clientId: id, username: id, protocolVersion: 5, reconnectPeriod: 100 });
  client.on('error', () => {});
  defer(() => client.endAsync(true));
  return client;
}
