import type { DeviceCredentials } from '../src/devices/index.js';

/** The ids of the simulated devices: `bench-00001`, `bench-00002`, … */
export const benchDeviceIds = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => `bench-${String(i + 1).padStart(5, '0')}`);

/** Credentials for a broker that accepts anyone (raw aedes): the same ids, a placeholder secret. */
export const anonymousDevices = (count: number): DeviceCredentials[] =>
  benchDeviceIds(count).map((deviceId) => ({ deviceId, secret: 'unused' }));

/** The topic a device publishes its readings on. */
export const readingsTopic = (deviceId: string): string => `devices/${deviceId}/readings`;
