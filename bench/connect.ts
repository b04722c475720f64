import mqtt, { type MqttClient } from 'mqtt';
import type { DeviceCredentials } from '../src/devices/index.js';

/** Waiting for CONNACK may include a scrypt check queued behind many others on a busy gateway. */
const CONNECT_TIMEOUT_MS = 60_000;

export interface ConnectOptions {
  readonly keepaliveS?: number;
  /** mqtt.js's own debug logging off (it costs a call per step of every packet, even when disabled). */
  readonly quiet?: boolean;
}

const silent = (): void => {};

/** Connects one simulated device as the gateway expects: client id = username = device id, password = secret. */
export function connectDevice(url: string, device: DeviceCredentials, { keepaliveS = 60, quiet = false }: ConnectOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    ...(quiet ? { log: silent } : {}),
    clientId: device.deviceId,
    username: device.deviceId,
    password: device.secret,
    protocolVersion: 4,
    keepalive: keepaliveS,
    reconnectPeriod: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
  });
}
