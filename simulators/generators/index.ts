/**
 * Realistic measurement generators, one per device class, seeded and free of I/O. The class comes
 * from the device's profile; what a generator produces is then fitted to that profile's metrics,
 * units and limits.
 */
import type { DeviceProfile } from '../../src/profiles/index.js';
import type { Random } from '../random.js';
import { bloodPressureSource } from './blood-pressure.js';
import type { MeasurementSource, SourceFactory } from './measurement.js';
import { fitToProfile } from './profile-fit.js';
import { glucoseSource, pulseOximeterSource, thermometerSource } from './spot-checks.js';
import { wearableSource } from './wearable.js';
import { weightScaleSource } from './weight-scale.js';

export type { Measurement, MeasurementSource } from './measurement.js';
export { raisesAlert } from './profile-fit.js';

function factoryFor(deviceClass: DeviceProfile['deviceClass']): SourceFactory {
  switch (deviceClass) {
    case 'blood-pressure-monitor':
      return bloodPressureSource;
    case 'pulse-oximeter':
      return pulseOximeterSource;
    case 'thermometer':
      return thermometerSource;
    case 'weight-scale':
      return weightScaleSource;
    case 'glucose-meter':
      return glucoseSource;
    case 'wearable':
      return wearableSource;
    default:
      return deviceClass satisfies never;
  }
}

/** The measurement stream of one device with this profile. */
export function measurementSource(profile: DeviceProfile, random: Random): MeasurementSource {
  const source = factoryFor(profile.deviceClass)(profile, random);
  return { next: (nowMs) => source.next(nowMs).map((m) => fitToProfile(profile, m)) };
}
