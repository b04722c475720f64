/**
 * The key that makes a stored value unique: device, measurement time (device clock), metric, and
 * then the device's message id when it sent one, else the value. A retry or replay of the same
 * message collides; a device whose message counter restarts after a battery change does not lose
 * new readings (their times differ); without a message id, the same device, metric, time and value
 * collide (as the HL7 PHD IG identifies an Observation by device identity, code, time and value).
 *
 * The key is readable and ordered by device then time, so new keys land at each device's end of
 * the unique index (cheap appends, not random page writes), and the index also serves look-ups by
 * device and time. Device ids and metric names cannot contain `|` (their schemas forbid it).
 */
export function idempotencyKey(parts: {
  deviceId: string;
  metric: string;
  messageId: string | undefined;
  deviceTakenAtMs: number;
  value: number;
}): string {
  const tail = parts.messageId !== undefined ? `m${parts.messageId}` : `v${parts.value}`;
  return `${parts.deviceId}|${timeKey(parts.deviceTakenAtMs)}|${parts.metric}|${tail}`;
}

/** Fixed-width, so keys sort by time: 15 digits cover every ms from 1970 to year 33 658. */
const timeKey = (ms: number): string => String(Math.max(0, Math.trunc(ms))).padStart(15, '0');

/** The range of keys of one device, for index range scans: `[from, to)`. */
export const deviceKeyRange = (deviceId: string): { from: string; to: string } => ({ from: `${deviceId}|`, to: `${deviceId}}` });
