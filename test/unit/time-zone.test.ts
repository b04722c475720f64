import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zonedParts, zonedToUtc } from '../../src/domain/index.js';

/** What Intl itself says a clock in `zone` shows: the oracle the cached reading must match. */
function intlParts(utcMs: number, zone: string) {
  const f = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3 });
  const parts = Object.fromEntries(f.formatToParts(utcMs).map((p) => [p.type, p.value]));
  return { year: Number(parts['year']), month: Number(parts['month']), day: Number(parts['day']), hour: Number(parts['hour']), minute: Number(parts['minute']), second: Number(parts['second']), millisecond: Number(parts['fractionalSecond']) };
}

// Zones with summer time both ways, half- and quarter-hour offsets, and none.
const ZONES = ['Europe/London', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Australia/Adelaide', 'America/St_Johns', 'UTC'];
// 2000–2040, and instants within a minute of each hour (where clock changes happen).
const instant = fc.oneof(fc.integer({ min: 946_684_800_000, max: 2_208_988_800_000 }), fc.tuple(fc.integer({ min: 262_968, max: 613_608 }), fc.integer({ min: -60_000, max: 60_000 })).map(([h, d]) => h * 3_600_000 + d));

describe('zoned time', () => {
  it('reads every instant as Intl does, across clock changes, in zones with odd offsets', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom(...ZONES), (t, zone) => {
        const { offsetMs, ...wall } = zonedParts(t, zone);
        expect(wall).toEqual(intlParts(t, zone));
        expect(Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, wall.millisecond) - t).toBe(offsetMs);
      }),
      { numRuns: 5000 },
    );
  });

  it('reads the hour of a clock change exactly (London, spring and autumn, relative to any year)', () => {
    const year = new Date().getUTCFullYear();
    // The last Sundays of March and October, 01:00 UTC.
    const lastSunday = (month: number) => {
      const d = new Date(Date.UTC(year, month + 1, 0, 1));
      return d.getTime() - d.getUTCDay() * 86_400_000;
    };
    for (const change of [lastSunday(2), lastSunday(9)]) {
      for (const t of [change - 1, change, change + 1, change + 1_799_999, change - 1_800_000]) expect(zonedParts(t, 'Europe/London')).toMatchObject(intlParts(t, 'Europe/London'));
    }
    // Local 01:30 on the spring day does not exist: the earlier offset wins.
    const spring = lastSunday(2);
    expect(zonedToUtc(Date.UTC(year, 2, new Date(spring).getUTCDate(), 1, 30), 'Europe/London')).toBe(spring + 1_800_000);
  });
});
