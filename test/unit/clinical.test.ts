import { describe, expect, it } from 'vitest';
import { addLocalDays, averageOverDays, classifyHomeBp, homeBpAverage, localDayStart, monitoringRuns, statistics, windowOf } from '../../src/clinical/index.js';

const LONDON = 'Europe/London';
const at = (iso: string): number => Date.parse(iso);
const bp = (iso: string, systolic: number, diastolic: number) => ({ takenAtMs: at(iso), systolic, diastolic });

describe('classifyHomeBp [NICE NG136: HBPM stage 1 ≥135/85, stage 2 ≥150/95]', () => {
  it.each([
    [134, 84, 'normal'],
    [135, 70, 'stage-1'],
    [120, 85, 'stage-1'],
    [149, 94, 'stage-1'],
    [150, 80, 'stage-2'],
    [130, 95, 'stage-2'],
    [180, 120, 'stage-2'],
  ] as const)('%d/%d is %s (systolic or diastolic; stage 2 first)', (s, d, expected) => {
    expect(classifyHomeBp(s, d)).toBe(expected);
  });
});

describe('homeBpAverage [NICE NG136 1.2.6]', () => {
  const week = [
    bp('2026-11-02T07:30:00Z', 190, 110), // day 1: discarded
    bp('2026-11-03T07:30:00Z', 130, 80),
    bp('2026-11-03T19:30:00Z', 140, 84),
    bp('2026-11-04T07:30:00Z', 136, 82),
    bp('2026-11-05T07:30:00Z', 138, 86),
  ];

  it('needs readings on at least 4 days, counting the first', () => {
    expect(homeBpAverage(week.slice(0, 4), LONDON)).toMatchObject({ enough: false, days: 3 });
    expect(homeBpAverage([], LONDON)).toMatchObject({ enough: false, days: 0 });
    expect(homeBpAverage(week, LONDON)).toMatchObject({ enough: true, days: 4 });
  });

  it('discards the first day and averages the remaining readings, not the daily means', () => {
    // Readings: 130, 140, 136, 138 → 136 (daily means 135, 136, 138 would give 136.3 → 136 too; diastolic tells them apart)
    // Diastolic: 80, 84, 82, 86 → 83 (daily means 82, 82, 86 → 83.3)
    const r = homeBpAverage(week, LONDON);
    expect(r).toMatchObject({ enough: true, count: 4, systolic: 136, diastolic: 83, classification: 'stage-1', fromMs: at('2026-11-03T07:30:00Z'), toMs: at('2026-11-05T07:30:00Z') });
    const skewed = homeBpAverage([...week, bp('2026-11-05T19:30:00Z', 150, 100), bp('2026-11-05T20:30:00Z', 150, 100)], LONDON);
    // Mean of readings: (130+140+136+138+150+150)/6 = 140.7; mean of daily means would be (135+136+146)/3 = 139.
    expect(skewed).toMatchObject({ systolic: 140.7, count: 6 });
  });

  it('counts local days: in summer a reading at 23:30 UTC is the next day in London', () => {
    const summer = [bp('2026-06-01T22:30:00Z', 150, 90), bp('2026-06-01T23:30:00Z', 120, 70), bp('2026-06-03T08:00:00Z', 120, 70), bp('2026-06-04T08:00:00Z', 120, 70)];
    expect(homeBpAverage(summer, LONDON)).toMatchObject({ enough: true, days: 4, count: 3, systolic: 120 });
    expect(homeBpAverage(summer, 'UTC')).toMatchObject({ enough: false, days: 3 });
  });
});

describe('local periods', () => {
  it('starts a local day at local midnight, 23 or 25 hours long across DST', () => {
    expect(localDayStart(at('2026-07-10T12:00:00Z'), LONDON)).toBe(at('2026-07-09T23:00:00Z'));
    const spring = localDayStart(at('2026-03-29T12:00:00Z'), LONDON);
    expect(spring).toBe(at('2026-03-29T00:00:00Z'));
    expect(addLocalDays(spring, 1, LONDON) - spring).toBe(23 * 3_600_000);
    const autumn = localDayStart(at('2026-10-25T12:00:00Z'), LONDON);
    expect(addLocalDays(autumn, 1, LONDON) - autumn).toBe(25 * 3_600_000);
  });

  it('tiles the local day with windows; a daily window is the local day', () => {
    expect(windowOf(at('2026-11-20T10:14:59Z'), 15, LONDON)).toEqual({ startMs: at('2026-11-20T10:00:00Z'), endMs: at('2026-11-20T10:15:00Z') });
    expect(windowOf(at('2026-07-20T10:14:59Z'), 15, LONDON)).toEqual({ startMs: at('2026-07-20T10:00:00Z'), endMs: at('2026-07-20T10:15:00Z') });
    expect(windowOf(at('2026-07-20T10:00:00Z'), 1440, LONDON)).toEqual({ startMs: at('2026-07-19T23:00:00Z'), endMs: at('2026-07-20T23:00:00Z') });
    // 7-hour windows on the 23-hour spring day start 0, 7, 14 and 21 hours after midnight; the last is cut at the next midnight.
    expect(windowOf(at('2026-03-29T22:30:00Z'), 420, LONDON)).toEqual({ startMs: at('2026-03-29T21:00:00Z'), endMs: at('2026-03-29T23:00:00Z') });
  });
});

describe('statistics', () => {
  it('states count, mean, min, max and sum, rounding mean and sum', () => {
    expect(statistics([60, 70, 81], 0)).toEqual({ count: 3, mean: 70, min: 60, max: 81, sum: 211 });
    expect(statistics([36.55, 36.6], 1)).toEqual({ count: 2, mean: 36.6, min: 36.55, max: 36.6, sum: 73.2 });
    expect(statistics([], 0)).toBeUndefined();
  });
});

describe('averageOverDays [NICE NG136 1.2.6]', () => {
  const day = (d: number, systolic: number, diastolic: number) => ({ day: d, systolic, diastolic });

  it('needs 4 days counting the first; 4 days use 3', () => {
    expect(averageOverDays([day(1, 140, 90), day(2, 140, 90), day(3, 140, 90)])).toMatchObject({ enough: false, days: 3 });
    expect(averageOverDays([day(1, 200, 120), day(2, 140, 90), day(3, 140, 90), day(4, 140, 90)])).toMatchObject({ enough: true, days: 4, count: 3, systolic: 140, diastolic: 90 });
  });

  it('classifies the exact mean (134.96 is normal though it shows as 135) and gives one decimal', () => {
    const r = averageOverDays([day(1, 0, 0), ...Array.from({ length: 20 }, (_, i) => day(2 + (i % 5), 134.96, 80))]);
    expect(r).toMatchObject({ enough: true, systolic: 135, classification: 'normal' });
  });

  it('crosses a threshold on systolic or diastolic alone, stage 2 first', () => {
    expect(averageOverDays([day(1, 0, 0), day(2, 120, 95), day(3, 120, 95), day(4, 120, 95)])).toMatchObject({ classification: 'stage-2' });
    expect(averageOverDays([day(1, 0, 0), day(2, 135, 60), day(3, 135, 60), day(4, 135, 60)])).toMatchObject({ classification: 'stage-1' });
  });

  it('counts days, not readings: many readings on 3 days are not enough', () => {
    expect(averageOverDays(Array.from({ length: 30 }, (_, i) => day(1 + (i % 3), 140, 90)))).toMatchObject({ enough: false, days: 3 });
  });
});

describe('monitoringRuns [NICE NG136 1.2.6: at least 4, ideally 7 days]', () => {
  // Relative to now, in London days, so it holds on any date (clock changes included).
  const zone = 'Europe/London';
  const day0 = localDayStart(Date.now(), zone);
  const at = (day: number, hour: number) => addLocalDays(day0, day, zone) + hour * 3_600_000;
  const twice = (days: number[]) => days.flatMap((d) => [at(d, 8), at(d, 20)].map((takenAtMs) => ({ takenAtMs, systolic: 140, diastolic: 85 })));

  it('cuts a run at a gap of more than one day without readings, and every 7 days of a longer one', () => {
    const runs = monitoringRuns(twice([-40, -39, -37, -36, -30, -29, -28, -27, -26, -25, -24, -23, -22, -21]), zone);
    expect(runs.map((r) => r.length / 2)).toEqual([4, 7, 3]);
    expect(runs.map((r) => homeBpAverage(r, zone).enough)).toEqual([true, true, false]);
  });

  it('keeps an empty list empty and one day as one run', () => {
    expect(monitoringRuns([], zone)).toEqual([]);
    expect(monitoringRuns(twice([-1]), zone)).toHaveLength(1);
  });
});
