import { round, type Measurement, type SourceFactory } from './measurement.js';

/** Share of uploads in pounds (`[lb_av]`). */
const POUNDS_RATE = 0.2;
/** Share of uploads that carry measurements the scale stored while it was offline. */
const BACKLOG_RATE = 0.15;
const HOUR_MS = 3_600_000;

/**
 * A bathroom scale. Weight drifts slowly (a per-person trend of up to ±50 g a day) with day-to-day
 * noise from hydration and clothing. A scale that was offline uploads its stored measurements
 * together, oldest first.
 */
export const weightScaleSource: SourceFactory = (_profile, random) => {
  let weightKg = random.between(55, 110);
  const trendKgPerHour = random.between(-0.05, 0.05) / 24;
  let lastMs: number | undefined;
  const weigh = (takenAtMs: number, pounds: boolean): Measurement => {
    weightKg += trendKgPerHour * ((takenAtMs - (lastMs ?? takenAtMs)) / HOUR_MS);
    lastMs = takenAtMs;
    return {
      takenAtMs,
      values: { bodyWeight: round(weightKg + random.normal(0, 0.25), 1) },
      units: pounds ? { bodyWeight: '[lb_av]' } : {},
    };
  };
  return {
    next(nowMs): Measurement[] {
      const pounds = random.chance(POUNDS_RATE);
      const stored = random.chance(BACKLOG_RATE) ? random.int(1, 2) : 0;
      // Stored measurements from previous mornings, at most a few days back.
      const times = Array.from({ length: stored }, (_, i) => nowMs - (stored - i) * random.between(20, 28) * HOUR_MS);
      return [...times, nowMs - random.int(5, 30) * 1000].map((t) => weigh(t, pounds));
    },
  };
};
