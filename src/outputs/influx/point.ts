import type { Reading } from '../../domain/index.js';
import type { DeviceProfile } from '../../profiles/index.js';

/** A time-series point, independent of any client library. */
export interface PointData {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, number>>;
  readonly timeMs: number;
}

/**
 * One measurement per metric family (README "Time series"): a reading's values become the fields
 * of one point, e.g. `blood_pressure` with `systolic`, `diastolic`, `pulse`.
 */
const MEASUREMENT: Readonly<Record<DeviceProfile['deviceClass'], string>> = {
  'blood-pressure-monitor': 'blood_pressure',
  'pulse-oximeter': 'pulse_oximetry',
  thermometer: 'body_temperature',
  'weight-scale': 'body_weight',
  'glucose-meter': 'blood_glucose',
  wearable: 'wearable',
};

/**
 * The point for one stored reading: its values as fields. Tags stay bounded:
 * device id, profile id and the patient's pseudonym — never the NHS number, never a message id.
 * The point's time is the reading's (clock-corrected) time, so rewriting it is idempotent.
 */
export function readingPoint(profile: DeviceProfile, reading: Reading, patientPseudonym: string): PointData {
  if (reading.values.length === 0) throw new Error('a point needs at least one value');
  return {
    measurement: MEASUREMENT[profile.deviceClass],
    tags: { device: reading.deviceId, profile: profile.id, patient: patientPseudonym },
    fields: Object.fromEntries(reading.values.map((v) => [v.metric, v.value])),
    timeMs: reading.takenAtMs,
  };
}
