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
