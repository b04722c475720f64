import type { DeviceProfile } from '../../src/profiles/index.js';
import type { Random } from '../random.js';

/** One measurement as a device takes it. Values are in the profile's canonical units. */
export interface Measurement {
  readonly takenAtMs: number;
  readonly values: Readonly<Record<string, number>>;
  /** metric → UCUM unit the device shows the value in, when it is not the canonical unit. */
  readonly units: Readonly<Record<string, string>>;
}

/**
 * A device's stream of measurements. Sources keep state (a weight that drifts, a heart rate that
 * walks) but draw only from the `Random` they are given, so a seed replays the same stream.
 */
export interface MeasurementSource {
  /** What the device uploads at `nowMs`: one measurement, or several for a device that batches. */
  next(nowMs: number): Measurement[];
}

/** Builds a device's source from its profile and its own random stream. */
export type SourceFactory = (profile: DeviceProfile, random: Random) => MeasurementSource;

/** Rounds to the resolution a device displays. */
export const round = (value: number, decimals: number): number => {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
};

/** Keeps a value inside [min, max]. */
export const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));

/** Seconds between pressing "measure" and the upload (cuff deflation, Bluetooth hop, phone app). */
export const uploadDelayMs = (random: Random): number => random.int(3, 45) * 1000;
