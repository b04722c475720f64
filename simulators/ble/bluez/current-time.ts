/** The Current Time Service (0x1805) a device's clock answers with [CTS 1.1 §3.1; GATT Supplement 3.62]. */
import type { ServiceDefinition } from './gatt.js';

/**
 * 0x2A2B Current Time, 10 bytes: Date Time (year u16, month, day, hours, minutes, seconds), day of
 * week (1 Monday … 7 Sunday), Fractions256, adjust reason (0: no change). Fields are the UTC
 * fields of `ms`: a device set to local time is simulated by adding the zone offset to its clock.
 */
export function currentTime(ms: number): Uint8Array {
  const t = new Date(ms);
  const year = t.getUTCFullYear();
  const day = t.getUTCDay();
  return Uint8Array.of(
    year & 0xff,
    year >> 8,
    t.getUTCMonth() + 1,
    t.getUTCDate(),
    t.getUTCHours(),
    t.getUTCMinutes(),
    t.getUTCSeconds(),
    day === 0 ? 7 : day,
    Math.floor((t.getUTCMilliseconds() * 256) / 1000),
    0,
  );
}

/** Current Time (read) of a device whose clock reads `deviceClock()` ms since the epoch. */
export const currentTimeService = (deviceClock: () => number): ServiceDefinition => ({
  uuid: 0x1805,
  characteristics: [{ uuid: 0x2a2b, flags: ['read', 'notify'], read: () => currentTime(deviceClock()) }],
});
