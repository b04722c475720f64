/**
 * Device time for BLE readings. GATT Date Time is the device's local wall clock with no zone
 * [GATT 2A08]: it travels as 'YYYY-MM-DDTHH:MM:SS' and the pipeline reads it in the profile's
 * time zone, as for MQTT devices that send local time.
 */
import { dateUnknown, leadingDateTime } from './gatt/index.js';

/** A wall-clock string moved by `ms` (wall time, no zone involved). */
export const addToWall = (wall: string, ms: number): string => new Date(Date.parse(`${wall}Z`) + ms).toISOString().slice(0, 19);

/** The measurement's own time, when the device knows it (a date of year, month or day 0 is unknown). */
export function measuredAt(decoded: Record<string, unknown>): string | undefined {
  const stamp = (decoded['timestamp'] ?? decoded['baseTime']) as string | undefined;
  if (stamp === undefined || dateUnknown(stamp)) return undefined;
  // [GATT 2A18] a glucose record's time is its base time plus the time offset (minutes).
  const offset = decoded['timeOffset'];
  return typeof offset === 'number' ? addToWall(stamp, offset * 60_000) : stamp;
}

/**
 * The device's clock from Current Time [GATT 2A2B]: Exact Time 256 = Date Time (7 bytes), day of
 * week, fractions of 1/256 s, adjust reason. Undefined when it does not decode or does not know the date.
 */
export function currentTime(bytes: Uint8Array): string | undefined {
  const t = leadingDateTime(bytes);
  return t.ok && !dateUnknown(t.value) ? t.value : undefined;
}
