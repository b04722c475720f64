import { addLocalDays, localDayStart } from './periods.js';

/** One home blood pressure measurement. */
export interface HomeBpReading {
  readonly takenAtMs: number;
  readonly systolic: number;
  readonly diastolic: number;
}

export const HomeBpClass = {
  Normal: 'normal',
  Stage1: 'stage-1',
  Stage2: 'stage-2',
} as const;
export type HomeBpClass = (typeof HomeBpClass)[keyof typeof HomeBpClass];

export type HomeBpAverage =
  | { readonly enough: false; readonly days: number; readonly reason: string }
  | {
      readonly enough: true;
      readonly days: number;
      /** Measurements averaged (the first day's discarded). */
      readonly count: number;
      readonly systolic: number;
      readonly diastolic: number;
      readonly classification: HomeBpClass;
      /** The first and last measurement averaged. */
      readonly fromMs: number;
      readonly toMs: number;
    };

/** [NICE NG136, stages of hypertension: HBPM average] stage 1 ≥135/85, stage 2 ≥150/95 (systolic or diastolic). */
export const HBPM_STAGE_1 = { systolic: 135, diastolic: 85 } as const;
export const HBPM_STAGE_2 = { systolic: 150, diastolic: 95 } as const;

/** One measurement on a numbered monitoring day (day 1 is the first day of the run). */
export interface DayReading {
  readonly day: number;
  readonly systolic: number;
  readonly diastolic: number;
}

/**
 * The home BP average of one monitoring run [NICE NG136 1.2.6]: readings on at least `minDays`
 * days (counting the first), the first day's measurements discarded, and the mean of all remaining
 * measurements (of readings, not of daily means) classified — a threshold is crossed when the
 * systolic or the diastolic average reaches it, stage 2 before stage 1. The exact means are
 * classified; the averages are given to one decimal.
 */
export function averageOverDays(readings: readonly DayReading[], minDays = 4): Omit<Extract<HomeBpAverage, { enough: true }>, 'fromMs' | 'toMs'> | Extract<HomeBpAverage, { enough: false }> {
  const days = new Set(readings.map((r) => r.day));
  if (days.size < minDays) return { enough: false, days: days.size, reason: `readings on ${days.size} days; NICE NG136 asks for at least ${minDays}` };
  const first = Math.min(...days);
  const kept = readings.filter((r) => r.day !== first);
  const mean = (f: (r: DayReading) => number) => kept.reduce((s, r) => s + f(r), 0) / kept.length;
  const systolic = mean((r) => r.systolic);
  const diastolic = mean((r) => r.diastolic);
  const oneDecimal = (n: number) => Math.round(n * 10) / 10;
  return { enough: true, days: days.size, count: kept.length, systolic: oneDecimal(systolic), diastolic: oneDecimal(diastolic), classification: classifyHomeBp(systolic, diastolic) };
}

/** {@link averageOverDays} of timed readings, days being local calendar days in `zone`. */
export function homeBpAverage(readings: readonly HomeBpReading[], zone: string, minDays = 4): HomeBpAverage {
  if (readings.length === 0) return { enough: false, days: 0, reason: 'no readings' };
  const sorted = [...readings].sort((a, b) => a.takenAtMs - b.takenAtMs);
  const day = (r: HomeBpReading) => localDayStart(r.takenAtMs, zone);
  const average = averageOverDays(sorted.map((r) => ({ day: day(r), systolic: r.systolic, diastolic: r.diastolic })), minDays);
  if (!average.enough) return average;
  const firstDay = day(sorted[0] as HomeBpReading);
  const kept = sorted.filter((r) => day(r) !== firstDay);
  return { ...average, fromMs: (kept[0] as HomeBpReading).takenAtMs, toMs: (kept[kept.length - 1] as HomeBpReading).takenAtMs };
}

/** [NICE NG136, stages of hypertension] stage 2 if either average reaches 150/95, else stage 1 if either reaches 135/85. */
export function classifyHomeBp(systolic: number, diastolic: number): HomeBpClass {
  if (systolic >= HBPM_STAGE_2.systolic || diastolic >= HBPM_STAGE_2.diastolic) return HomeBpClass.Stage2;
  if (systolic >= HBPM_STAGE_1.systolic || diastolic >= HBPM_STAGE_1.diastolic) return HomeBpClass.Stage1;
  return HomeBpClass.Normal;
}

/** A monitoring run's days: NICE NG136 1.2.6 asks for at least 4 days, ideally 7. */
export const HBPM_RUN_DAYS = 7;

/**
 * Splits home BP readings into monitoring runs [NICE NG136 1.2.6: twice daily, for at least 4 and
 * ideally 7 days]: a run is days of readings with at most `maxGapDays` days without readings
 * between them, cut every `runDays` local days from its first (a patient who measures every day
 * has a run each week). Oldest first; each run's readings in time order.
 */
export function monitoringRuns(readings: readonly HomeBpReading[], zone: string, maxGapDays = 1, runDays = HBPM_RUN_DAYS): HomeBpReading[][] {
  const sorted = [...readings].sort((a, b) => a.takenAtMs - b.takenAtMs);
  const runs: HomeBpReading[][] = [];
  let current: HomeBpReading[] = [];
  let runStart = 0;
  let lastDay = 0;
  for (const r of sorted) {
    const day = localDayStart(r.takenAtMs, zone);
    const startsNew = current.length === 0 || day > addLocalDays(lastDay, maxGapDays + 1, zone) || day >= addLocalDays(runStart, runDays, zone);
    if (startsNew) {
      if (current.length > 0) runs.push(current);
      current = [];
      runStart = day;
    }
    current.push(r);
    lastDay = day;
  }
  if (current.length > 0) runs.push(current);
  return runs;
}
