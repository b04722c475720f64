import { clamp, round, uploadDelayMs, type Measurement, type SourceFactory } from './measurement.js';

/**
 * The single-value spot checks: pulse oximeter, thermometer and glucose meter. Each takes one
 * measurement per upload, mostly in the healthy range and now and then abnormal.
 */

const ABNORMAL_RATE = 0.03;
/** Share of uploads in the metric's other unit (a household's devices differ in their display setting). */
const OTHER_UNIT_RATE = 0.2;

/** Fingertip oximeter: SpO2 95–99 % with pulse, perfusion index when the probe reports it. */
export const pulseOximeterSource: SourceFactory = (_profile, random) => {
  const restingPulse = random.between(58, 82);
  return {
    next(nowMs): Measurement[] {
      const abnormal = random.chance(ABNORMAL_RATE);
      // [NEWS2 chart 1, scale 1] SpO2 ≤ 91 % scores 3: a low reading worth an alert
      const spo2 = abnormal ? random.int(87, 91) : clamp(round(random.normal(97.2, 1.1), 0), 95, 99);
      const pulse = round(random.normal(restingPulse + (abnormal ? 22 : 0), 4), 0);
      const values: Record<string, number> = { spo2, pulse };
      if (random.chance(0.6)) values['perfusionIndex'] = round(random.between(0.6, 9), 1);
      return [{ takenAtMs: nowMs - uploadDelayMs(random), values, units: {} }];
    },
  };
};

/** Oral/ear thermometer: 36.2–37.4 °C, a fever now and then, sometimes shown in °F. */
export const thermometerSource: SourceFactory = (_profile, random) => ({
  next(nowMs): Measurement[] {
    const fahrenheit = random.chance(OTHER_UNIT_RATE);
    const abnormal = random.chance(ABNORMAL_RATE);
    // [NEWS2 chart 1] 38.1–39.0 °C scores 1; 39.1 and above scores 2
    const celsius = abnormal ? round(random.between(38.2, 39.4), 1) : clamp(round(random.normal(36.8, 0.3), 1), 36.2, 37.4);
    return [{ takenAtMs: nowMs - uploadDelayMs(random), values: { bodyTemperature: celsius }, units: fahrenheit ? { bodyTemperature: '[degF]' } : {} }];
  },
});

/** Capillary glucose meter in mmol/L (some meters, set up abroad, in mg/dL): fasting to post-meal values. */
export const glucoseSource: SourceFactory = (_profile, random) => {
  const usual = random.between(5.2, 7.4);
  return {
    next(nowMs): Measurement[] {
      const milligrams = random.chance(OTHER_UNIT_RATE);
      const roll = random.next();
      // [NICE NG28] hypoglycaemia below 4 mmol/L; above 15 mmol/L needs attention
      const mmol = roll < ABNORMAL_RATE
        ? roll < ABNORMAL_RATE / 2
          ? round(random.between(2.8, 3.8), 1)
          : round(random.between(15.5, 19), 1)
        : clamp(round(random.normal(usual, 1.1), 1), 4.2, 10.5);
      return [{ takenAtMs: nowMs - uploadDelayMs(random), values: { bloodGlucose: mmol }, units: milligrams ? { bloodGlucose: 'mg/dL' } : {} }];
    },
  };
};
