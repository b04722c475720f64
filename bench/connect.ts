import mqtt, { type MqttClient } from 'mqtt';
import type { DeviceCredentials } from '../src/devices/index.js';

/** Waiting for CONNACK may include a scrypt check queued behind many others on a busy gateway. */
const CONNECT_TIMEOUT_MS = 60_000;

/** Connects one simulated device as the gateway expects: client id = username = device id, password = secret. */
export function connectDevice(url: string, device: DeviceCredentials, keepaliveS = 60): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    clientId: device.deviceId,
    username: device.deviceId,
    password: device.secret,
    protocolVersion: 4,
    keepalive: keepaliveS,
    reconnectPeriod: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
  });
}
