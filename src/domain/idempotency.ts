/**
 * The key that makes a stored value unique: device, measurement time (device clock), metric, and
 * then the device's message id when it sent one, else the value. A retry or replay of the same
 * message collides; a device whose message counter restarts after a battery change does not lose
 * new readings (their times differ); without a message id, the same device, metric, time and value
 * collide (as the HL7 PHD IG identifies an Observation by device identity, code, time and value).
 *
 * The key is readable and leads with the time, then the device: new keys land near the end of the
 * unique index (appends to a few hot pages, not inserts into every device's range), and the index
 * still serves look-ups of one device's reading at one time (a key prefix). Device ids and metric
 * names cannot contain `|` (their schemas forbid it).
 */
export function idempotencyKey(parts: {
  deviceId: string;
  metric: string;
  messageId: string | undefined;
  deviceTakenAtMs: number;
  value: number;
}): string {
  const tail = parts.messageId !== undefined ? `m${parts.messageId}` : `v${parts.value}`;
  return `${readingKeyPrefix(parts.deviceId, parts.deviceTakenAtMs)}${parts.metric}|${tail}`;
}

/** What the keys of one device's values taken at one (device) time start with. */
export const readingKeyPrefix = (deviceId: string, deviceTakenAtMs: number): string => `${timeKey(deviceTakenAtMs)}|${deviceId}|`;

/** Fixed-width, so keys sort by time: 15 digits cover every ms from 1970 to year 33 658. */
const timeKey = (ms: number): string => String(Math.max(0, Math.trunc(ms))).padStart(15, '0');
