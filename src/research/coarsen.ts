/** How finely times are given in an extract (exact timestamps never are). */
export const TIME_PRECISIONS = ['hour', 'day', 'week'] as const;
export type TimePrecision = (typeof TIME_PRECISIONS)[number];

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The start (UTC) of the hour, day or week (from Monday) that holds `ms`. */
export function coarsen(ms: number, precision: TimePrecision): number {
  if (precision === 'hour') return Math.floor(ms / HOUR) * HOUR;
  if (precision === 'day') return Math.floor(ms / DAY) * DAY;
  // 1 January 1970 was a Thursday: shift by 3 days so weeks start on Mondays.
  return (Math.floor((ms / DAY + 3) / 7) * 7 - 3) * DAY;
}

/**
 * The local calendar day of an instant, as days since 1970-01-01 (a Parquet DATE), for a time
 * zone. Each 15-minute block is worked out once (every zone's offset is a multiple of 15 minutes),
 * so a year of per-second values costs a few tens of thousands of look-ups, not millions.
 */
export function localDays(zone: string): (ms: number) => number {
  const format = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
  const cache = new Map<number, number>();
  return (ms) => {
    const block = Math.floor(ms / 900_000);
    let day = cache.get(block);
    if (day === undefined) {
      const [y, m, d] = format.format(block * 900_000).split('-').map(Number) as [number, number, number];
      day = Date.UTC(y, m - 1, d) / DAY;
      cache.set(block, day);
    }
    return day;
  };
}

/** A Parquet DATE (days since 1970-01-01) as `YYYY-MM-DD`. */
export const isoDay = (days: number): string => new Date(days * DAY).toISOString().slice(0, 10);
