/** The Current Time Service (0x1805) a device's clock answers with [CTS 1.1 §3.1; GATT Supplement 3.62]. */
import type { ServiceDefinition } from './gatt.js';

/** The fields of the wall clock in `timeZone` at `ms` (worked out with `Intl`, apart from the gateway's own reading). */
function wallFields(ms: number, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number; weekday: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const field = (name: string): number => Number(parts[name]);
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(String(parts['weekday'])) + 1;
  return { year: field('year'), month: field('month'), day: field('day'), hour: field('hour'), minute: field('minute'), second: field('second'), weekday };
}

/**
 * Date Time as a device set to the local time of `timeZone` shows it, `YYYY-MM-DDTHH:MM:SS` with no
 * zone [GATT 2A08]: the wall clock in the kitchen, summer time and all.
 */
export function localWall(ms: number, timeZone: string): string {
  const t = wallFields(ms, timeZone);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${String(t.year).padStart(4, '0')}-${p2(t.month)}-${p2(t.day)}T${p2(t.hour)}:${p2(t.minute)}:${p2(t.second)}`;
}

/**
 * 0x2A2B Current Time, 10 bytes: Date Time (year u16, month, day, hours, minutes, seconds), day of
 * week (1 Monday … 7 Sunday), Fractions256, adjust reason (0: no change). Date Time is the device's
 * local wall clock [GATT 2A08]: the fields of `ms` in `timeZone`.
 */
export function currentTime(ms: number, timeZone = 'UTC'): Uint8Array {
  const t = wallFields(ms, timeZone);
  return Uint8Array.of(t.year & 0xff, t.year >> 8, t.month, t.day, t.hour, t.minute, t.second, t.weekday, Math.floor(((((ms % 1000) + 1000) % 1000) * 256) / 1000), 0);
}

/** Current Time (read) of a device whose clock reads `deviceClock()` ms since the epoch, shown in `timeZone`. */
export const currentTimeService = (deviceClock: () => number, timeZone?: string): ServiceDefinition => ({
  uuid: 0x1805,
  characteristics: [{ uuid: 0x2a2b, flags: ['read', 'notify'], read: () => currentTime(deviceClock(), timeZone) }],
});
