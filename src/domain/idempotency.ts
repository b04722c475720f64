/**
 * The key that makes a stored reading unique: device, measurement time (device clock), and then the
 * device's message id when it sent one, else the reading's values. A retry or replay of the same
 * message collides; a device whose message counter restarts after a battery change does not lose
 * new readings (their times differ); without a message id, the same device, time and values collide
 * (as the HL7 PHD IG identifies an Observation by device identity, code, time and value). Every
 * value of a reading carries its reading's key: the store holds the reading as one row.
 *
 * The key is readable and leads with the time, then the device: new keys land near the end of the
 * unique index (appends to a few hot pages, not inserts into every device's range), and the index
 * still serves look-ups of one device's readings at one time (a key prefix). Device ids and metric
 * names cannot contain `|`, `=` or `,` (their schemas forbid them).
 */
export function readingKey(parts: {
  deviceId: string;
  deviceTakenAtMs: number;
  messageId: string | undefined;
  /** metric → value, canonical units (used only without a message id). */
  values: Readonly<Record<string, number>>;
}): string {
  const prefix = readingKeyPrefix(parts.deviceId, parts.deviceTakenAtMs);
  if (parts.messageId !== undefined) return `${prefix}m${parts.messageId}`;
  const values = Object.keys(parts.values)
    .sort()
    .map((m) => `${m}=${parts.values[m]}`);
  return `${prefix}v${values.join(',')}`;
}

/** What the keys of one device's readings taken at one (device) time start with. */
export const readingKeyPrefix = (deviceId: string, deviceTakenAtMs: number): string => `${timeKey(deviceTakenAtMs)}|${deviceId}|`;

/** Fixed-width, so keys sort by time: 15 digits cover every ms from 1970 to year 33 658. */
const timeKey = (ms: number): string => String(Math.max(0, Math.trunc(ms))).padStart(15, '0');
