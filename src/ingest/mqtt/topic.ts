/**
 * Device topics: `devices/<deviceId>/<channel>`. Devices publish `readings` and `status`; the
 * gateway publishes `rejected`. A device may touch nothing outside its own `devices/<id>/` prefix.
 */
export const Channel = {
  Readings: 'readings',
  Status: 'status',
  Corrections: 'corrections',
  Rejected: 'rejected',
} as const;
export type Channel = (typeof Channel)[keyof typeof Channel];

/** Channels only the gateway publishes on. */
const GATEWAY_CHANNELS: ReadonlySet<string> = new Set([Channel.Rejected]);

export interface DeviceTopic {
  readonly deviceId: string;
  /** The rest of the topic after `devices/<id>/` (e.g. `readings`). */
  readonly channel: string;
}

/** Splits `devices/<id>/<channel>`; undefined for any other shape. */
export function parseDeviceTopic(topic: string): DeviceTopic | undefined {
  const parts = topic.split('/');
  if (parts.length !== 3 || parts[0] !== 'devices' || !parts[1] || !parts[2]) return undefined;
  return { deviceId: parts[1], channel: parts[2] };
}

/**
 * The channel a device publishes on, if it may: only under its own prefix, and never on a channel
 * the gateway owns. Runs for every message, so it reads the topic without splitting it.
 */
export function publishChannel(deviceId: string, topic: string): string | undefined {
  const prefix = DEVICES.length + deviceId.length;
  if (!topic.startsWith(DEVICES) || !topic.startsWith(deviceId, DEVICES.length) || topic.charCodeAt(prefix) !== SLASH) return undefined;
  const channel = topic.slice(prefix + 1);
  return channel !== '' && !channel.includes('/') && !GATEWAY_CHANNELS.has(channel) ? channel : undefined;
}

/** A device may publish only under its own prefix, and never on a channel the gateway owns. */
export const mayPublish = (deviceId: string, topic: string): boolean => publishChannel(deviceId, topic) !== undefined;

const DEVICES = 'devices/';
const SLASH = 0x2f;

/** A device may subscribe to filters inside its own prefix only (wildcards allowed after it). */
export function maySubscribe(deviceId: string, filter: string): boolean {
  const parts = filter.split('/');
  return parts.length >= 3 && parts[0] === 'devices' && parts[1] === deviceId && parts.slice(2).every((p) => p !== '');
}

export const topicFor = (deviceId: string, channel: Channel): string => `devices/${deviceId}/${channel}`;

/** Clinicians connect as `clinician:<id>` (device ids cannot contain `:`). */
export const CLINICIAN_USERNAME_PREFIX = 'clinician:';

/** A clinician's alert topic: the only topic a clinician may subscribe to; nothing may be published by one. */
export const clinicianAlertTopic = (clinicianId: string): string => `clinicians/${clinicianId}/alerts`;
