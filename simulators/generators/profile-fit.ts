import type { DeviceProfile } from '../../src/profiles/index.js';
import { clamp, round, type Measurement } from './measurement.js';

/**
 * Makes a measurement fit its device's profile: metrics the profile does not declare are dropped,
 * display units it does not accept fall back to the canonical unit, values stay inside the hard
 * limits, and a required metric a generator does not know gets a mid-range value. So a profile
 * added as a data file is simulated without code.
 */
export function fitToProfile(profile: DeviceProfile, m: Measurement): Measurement {
  const values: Record<string, number> = {};
  const units: Record<string, string> = {};
  for (const [metric, spec] of Object.entries(profile.metrics)) {
    const value = m.values[metric];
    if (value === undefined) {
      if (spec.required) values[metric] = round((spec.limits.min + spec.limits.max) / 2, spec.decimals);
      continue;
    }
    values[metric] = clamp(value, spec.limits.min, spec.limits.max);
    const unit = m.units[metric];
    if (unit !== undefined && spec.alternativeUnits.includes(unit)) units[metric] = unit;
  }
  return { takenAtMs: m.takenAtMs, values, units };
}

/** True when a value crosses one of the profile's alert thresholds: what the gateway's alerting should notice. */
export function raisesAlert(profile: DeviceProfile, values: Readonly<Record<string, number>>): boolean {
  return profile.alerts.some((a) => {
    const v = values[a.metric];
    return v !== undefined && ((a.above !== undefined && v > a.above) || (a.below !== undefined && v < a.below));
  });
}
