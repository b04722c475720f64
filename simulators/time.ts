import { zonedParts } from '../src/domain/index.js';
import type { DeviceProfile } from '../src/profiles/index.js';

/** Simulated patients live in the UK unless their device's profile names another zone. */
export const DEFAULT_TIME_ZONE = 'Europe/London';

/** The zone a device's clock shows. */
export const deviceZone = (profile: DeviceProfile): string => profile.timeZone ?? DEFAULT_TIME_ZONE;

/** An instant as a clock in some zone shows it. */
export interface ZonedTime {
  /** Local wall time, `YYYY-MM-DDTHH:mm:ss.sss`, no offset. */
  readonly wall: string;
  /** The zone's offset from UTC at that instant, `+01:00` or `Z`. */
  readonly offset: string;
  /** Local hour of the day, 0–23. */
  readonly hour: number;
}

/** Reads an instant in `zone`: its local wall time, UTC offset and hour. */
export function zonedTime(ms: number, zone: string): ZonedTime {
  const p = zonedParts(ms, zone);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  const abs = Math.abs(p.offsetMs) / 60_000;
  const offset = p.offsetMs === 0 ? 'Z' : `${p.offsetMs < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  return {
    wall: `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}.${pad(p.millisecond, 3)}`,
    offset,
    hour: p.hour,
  };
}

/** ISO 8601 with the zone's UTC offset, as a device whose clock knows its zone writes it. */
export function isoWithOffset(ms: number, zone: string): string {
  const t = zonedTime(ms, zone);
  return `${t.wall}${t.offset}`;
}
