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

/**
 * The home BP average of one monitoring run [NICE NG136 1.2.6]: readings on at least `minDays`
 * days (counting the first), the first day's measurements discarded, and the mean of all remaining
 * measurements (of readings, not of daily means) classified — a threshold is crossed when the
 * systolic or the diastolic average reaches it, stage 2 before stage 1. Days are local calendar
 * days in `zone`. Averages are rounded to whole mmHg.
 */
export function homeBpAverage(readings: readonly HomeBpReading[], zone: string, minDays = 4): HomeBpAverage {
  if (readings.length === 0) return { enough: false, days: 0, reason: 'no readings' };
  const sorted = [...readings].sort((a, b) => a.takenAtMs - b.takenAtMs);
  const days = new Set(sorted.map((r) => localDayStart(r.takenAtMs, zone)));
  if (days.size < minDays) return { enough: false, days: days.size, reason: `readings on ${days.size} days; NICE NG136 asks for at least ${minDays}` };
  const firstDayEnd = addLocalDays(localDayStart((sorted[0] as HomeBpReading).takenAtMs, zone), 1, zone);
  const kept = sorted.filter((r) => r.takenAtMs >= firstDayEnd);
  const mean = (f: (r: HomeBpReading) => number) => Math.round(kept.reduce((s, r) => s + f(r), 0) / kept.length);
  const systolic = mean((r) => r.systolic);
  const diastolic = mean((r) => r.diastolic);
  return {
    enough: true,
    days: days.size,
    count: kept.length,
    systolic,
    diastolic,
    classification: classifyHomeBp(systolic, diastolic),
    fromMs: (kept[0] as HomeBpReading).takenAtMs,
    toMs: (kept[kept.length - 1] as HomeBpReading).takenAtMs,
  };
}

/** [NICE NG136, stages of hypertension] stage 2 if either average reaches 150/95, else stage 1 if either reaches 135/85. */
export function classifyHomeBp(systolic: number, diastolic: number): HomeBpClass {
  if (systolic >= HBPM_STAGE_2.systolic || diastolic >= HBPM_STAGE_2.diastolic) return HomeBpClass.Stage2;
  if (systolic >= HBPM_STAGE_1.systolic || diastolic >= HBPM_STAGE_1.diastolic) return HomeBpClass.Stage1;
  return HomeBpClass.Normal;
}
