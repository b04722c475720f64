import type { Random } from '../random.js';
import { clamp, round, type Measurement, type SourceFactory } from './measurement.js';

const SECOND_MS = 1000;
/** Samples per upload: at least a few, at most the latest half minute (after a longer gap in range). */
const MIN_SAMPLES = 5;
const MAX_SAMPLES = 30;
/** Share of uploads that include a wrist SpO2 spot reading. */
const SPO2_RATE = 0.1;

type Activity = 'resting' | 'walking' | 'running';

/** Heart rate each activity settles towards, and steps per second while doing it. */
const ACTIVITY: Readonly<Record<Activity, { heartRate: number; stepsPerSecond: number }>> = {
  resting: { heartRate: 66, stepsPerSecond: 0 },
  walking: { heartRate: 96, stepsPerSecond: 1.8 },
  running: { heartRate: 142, stepsPerSecond: 2.7 },
};

/** State of the walk: heart rate, what the wearer is doing, steps not yet reported. */
export interface HeartRateWalk {
  heartRate: number;
  activity: Activity;
  pendingSteps: number;
}

/**
 * One second of the walk: heart rate relaxes towards the activity's level (time constant ~20 s)
 * with beat-to-beat noise; the wearer changes activity now and then. Deterministic given the random stream.
 */
export function stepHeartRate(walk: HeartRateWalk, random: Random): void {
  if (random.chance(1 / 120)) walk.activity = random.pick<Activity>(['resting', 'resting', 'walking', 'walking', 'running']);
  const target = ACTIVITY[walk.activity];
  walk.heartRate = clamp(walk.heartRate + (target.heartRate - walk.heartRate) / 20 + random.normal(0, 1.2), 40, 185);
  walk.pendingSteps += target.stepsPerSecond * random.between(0.8, 1.2);
}

/**
 * A wrist wearable streaming per-second heart rate. Each upload is a batch of the samples since the
 * last one (5–30 of them); steps since the last upload ride on the final sample, and an occasional
 * SpO2 spot reading with it. Uploading faster than real time (a compressed run), a batch overlaps
 * the previous one in time rather than running ahead of the clock.
 */
export const wearableSource: SourceFactory = (_profile, random) => {
  const walk: HeartRateWalk = { heartRate: random.between(60, 75), activity: random.pick<Activity>(['resting', 'walking']), pendingSteps: 0 };
  let lastSampleMs = Number.NEGATIVE_INFINITY;
  return {
    next(nowMs): Measurement[] {
      const since = Math.floor((nowMs - lastSampleMs) / SECOND_MS);
      const count = clamp(since, MIN_SAMPLES, MAX_SAMPLES);
      lastSampleMs = nowMs;
      return Array.from({ length: count }, (_, i) => {
        stepHeartRate(walk, random);
        const values: Record<string, number> = { heartRate: round(walk.heartRate, 0) };
        if (i === count - 1) {
          values['steps'] = Math.floor(walk.pendingSteps);
          walk.pendingSteps -= values['steps'];
          if (random.chance(SPO2_RATE)) values['spo2'] = clamp(round(random.normal(97, 1.2), 0), 94, 99);
        }
        return { takenAtMs: nowMs - (count - 1 - i) * SECOND_MS, values, units: {} };
      });
    },
  };
};
