import type { Random } from '../random.js';
import { deviceZone, zonedTime } from '../time.js';
import { round, uploadDelayMs, type Measurement, type SourceFactory } from './measurement.js';

/** A patient's usual daytime pressures. */
export interface BloodPressureBaseline {
  readonly systolic: number;
  readonly diastolic: number;
  readonly pulse: number;
}

/** Rate of clinically abnormal readings (severe hypertension, hypotension). */
const ABNORMAL_RATE = 0.03;

/**
 * Circadian shift by local hour: pressure rises on waking (the "morning surge"), eases through the
 * evening and dips at night [NICE NG136 §1.2: home readings taken morning and evening for this reason].
 */
function circadianShift(hour: number): { systolic: number; diastolic: number } {
  if (hour >= 6 && hour < 10) return { systolic: 9, diastolic: 5 };
  if (hour >= 18 && hour < 23) return { systolic: -4, diastolic: -3 };
  if (hour >= 23 || hour < 6) return { systolic: -10, diastolic: -7 };
  return { systolic: 0, diastolic: 0 };
}

/** One seated reading: deterministic given the hour, the baseline and the random stream. */
export function bloodPressureValues(hour: number, baseline: BloodPressureBaseline, random: Random): Record<string, number> {
  const roll = random.next();
  if (roll < ABNORMAL_RATE * 0.7) {
    // [NICE NG136 §1.5] severe hypertension: systolic ≥ 180 or diastolic ≥ 120
    return { systolic: random.int(181, 192), diastolic: random.int(118, 126), pulse: random.int(78, 98) };
  }
  if (roll < ABNORMAL_RATE) {
    return { systolic: random.int(82, 89), diastolic: random.int(48, 56), pulse: random.int(88, 108) };
  }
  const shift = circadianShift(hour);
  const systolic = round(random.normal(baseline.systolic + shift.systolic, 6), 0);
  // Pulse pressure stays at least 20 mmHg in a normal reading.
  const diastolic = Math.min(round(random.normal(baseline.diastolic + shift.diastolic, 4), 0), systolic - 20);
  const pulse = round(random.normal(baseline.pulse + (shift.systolic > 0 ? 4 : 0), 5), 0);
  return { systolic, diastolic, pulse };
}

/** An upper-arm or wrist cuff: one reading per upload, at the patient's usual times of day. */
export const bloodPressureSource: SourceFactory = (profile, random) => {
  const baseline: BloodPressureBaseline = {
    systolic: random.between(116, 146),
    diastolic: random.between(72, 90),
    pulse: random.between(60, 80),
  };
  const zone = deviceZone(profile);
  return {
    next(nowMs): Measurement[] {
      const takenAtMs = nowMs - uploadDelayMs(random);
      return [{ takenAtMs, values: bloodPressureValues(zonedTime(takenAtMs, zone).hour, baseline, random), units: {} }];
    },
  };
};
