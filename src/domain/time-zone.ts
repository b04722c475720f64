/** Wall-clock time in IANA time zones, read through Intl (no zone data of our own). */

/** An instant as a clock in some zone shows it. */
export interface ZonedParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
  /** The zone's offset from UTC at that instant, in ms (UTC+01:00 → 3 600 000). */
  readonly offsetMs: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      fractionalSecondDigits: 3,
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Reads the instant `utcMs` on a clock in `zone` (throws RangeError for an unknown zone). */
export function zonedParts(utcMs: number, zone: string): ZonedParts {
  const offsetMs = offsetAt(utcMs, zone);
  const wall = new Date(Math.trunc(utcMs) + offsetMs);
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
    millisecond: wall.getUTCMilliseconds(),
    offsetMs,
  };
}

const HOUR_MS = 3_600_000;
/** Per zone: each UTC hour's offset, or null where the offset changes inside that hour. */
const offsets = new Map<string, Map<number, number | null>>();

/**
 * The zone's offset at an instant. Intl is slow (a few µs a call, and a day's start needs three),
 * so each UTC hour is read once: if its first and last millisecond have the same offset, so has
 * every instant between (a zone changes its offset at most once within an hour); an hour with a
 * change in it (twice a year in most zones) is read exactly for each instant.
 */
function offsetAt(utcMs: number, zone: string): number {
  let cache = offsets.get(zone);
  if (cache === undefined) {
    cache = new Map();
    offsets.set(zone, cache);
  }
  const hour = Math.floor(utcMs / HOUR_MS);
  let offset = cache.get(hour);
  if (offset === undefined) {
    const first = exactParts(hour * HOUR_MS, zone).offsetMs;
    offset = first === exactParts(hour * HOUR_MS + HOUR_MS - 1, zone).offsetMs ? first : null;
    if (cache.size >= 100_000) cache.clear(); // ~11 years of hours per zone at most
    cache.set(hour, offset);
  }
  return offset ?? exactParts(utcMs, zone).offsetMs;
}

/** What a clock in `zone` shows at `utcMs`, read through Intl. */
function exactParts(utcMs: number, zone: string): ZonedParts {
  const parts = formatter(zone).formatToParts(utcMs);
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  const wall = { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second'), millisecond: get('fractionalSecond') };
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, wall.millisecond);
  return { ...wall, offsetMs: asUtc - Math.trunc(utcMs) };
}

/** A wall-clock time in `zone` (given as ms as if it were UTC) → the UTC instant. In a DST gap or overlap the earlier offset wins. */
export function zonedToUtc(wallMs: number, zone: string): number {
  const first = wallMs - zonedParts(wallMs, zone).offsetMs;
  return wallMs - zonedParts(first, zone).offsetMs;
}

/** Whether `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
