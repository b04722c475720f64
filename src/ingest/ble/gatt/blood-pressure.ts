import { bit, ByteReader, decoding } from './reader.js';
import { dateTime, sfloatOptional, sfloatRequired } from './fields.js';

export interface BloodPressureStatus {
  readonly raw: number;
  readonly bodyMovementDetected: boolean;
  readonly cuffFitTooLoose: boolean;
  readonly irregularPulseDetected: boolean;
  readonly pulseRateRange: 'withinRange' | 'exceedsUpperLimit' | 'belowLowerLimit' | 'reserved';
  readonly improperMeasurementPosition: boolean;
}

export interface BloodPressureMeasurement {
  readonly unit: 'mmHg' | 'kPa';
  readonly systolic: number;
  readonly diastolic: number;
  readonly meanArterialPressure: number;
  readonly timestamp?: string;
  readonly pulseRate?: number | null;
  readonly userId?: number;
  readonly measurementStatus?: BloodPressureStatus;
}

export interface IntermediateCuffPressure {
  readonly unit: 'mmHg' | 'kPa';
  readonly cuffPressure: number;
  readonly timestamp?: string;
  readonly pulseRate?: number | null;
  readonly userId?: number;
  readonly measurementStatus?: BloodPressureStatus;
}

const PULSE_RATE_RANGE = ['withinRange', 'exceedsUpperLimit', 'belowLowerLimit', 'reserved'] as const;

/** Blood Pressure Measurement Status [GATT 2A35 measurement status]: bits 0–2 and 5 flags, bits 3–4 the pulse rate range. */
function status(raw: number): BloodPressureStatus {
  return {
    raw,
    bodyMovementDetected: bit(raw, 0),
    cuffFitTooLoose: bit(raw, 1),
    irregularPulseDetected: bit(raw, 2),
    pulseRateRange: PULSE_RATE_RANGE[(raw >> 3) & 0b11] as BloodPressureStatus['pulseRateRange'],
    improperMeasurementPosition: bit(raw, 5),
  };
}

/** The optional tail both characteristics share, in flag order: bit 1 time stamp, bit 2 pulse rate, bit 3 user id, bit 4 status. */
function tail(r: ByteReader, flags: number) {
  return {
    ...(bit(flags, 1) ? { timestamp: dateTime(r, 'timestamp') } : {}),
    ...(bit(flags, 2) ? { pulseRate: sfloatOptional(r, 'pulseRate') } : {}),
    ...(bit(flags, 3) ? { userId: r.u8('userId') } : {}),
    ...(bit(flags, 4) ? { measurementStatus: status(r.u16('measurementStatus')) } : {}),
  };
}

/**
 * 0x2A35 Blood Pressure Measurement [GATT 2A35]: flags u8 (bit 0 unit kPa, bits 1–4
 * optional fields), systolic, diastolic and mean arterial pressure as SFLOAT, then the optional
 * fields. The three pressures are mandatory: a special value rejects the reading.
 */
export function bloodPressureMeasurement(bytes: Uint8Array) {
  return decoding((): BloodPressureMeasurement => {
    const r = new ByteReader(bytes);
    const flags = r.u8('flags');
    const unit = bit(flags, 0) ? 'kPa' : 'mmHg';
    const systolic = sfloatRequired(r, 'systolic');
    const diastolic = sfloatRequired(r, 'diastolic');
    const meanArterialPressure = sfloatRequired(r, 'meanArterialPressure');
    const rest = tail(r, flags);
    r.end();
    return { unit, systolic, diastolic, meanArterialPressure, ...rest };
  });
}

/**
 * 0x2A36 Intermediate Cuff Pressure [GATT 2A36]: the 2A35 layout with the current
 * cuff pressure in the systolic slot; the diastolic and mean arterial slots are unused (NaN).
 */
export function intermediateCuffPressure(bytes: Uint8Array) {
  return decoding((): IntermediateCuffPressure => {
    const r = new ByteReader(bytes);
    const flags = r.u8('flags');
    const unit = bit(flags, 0) ? 'kPa' : 'mmHg';
    const cuffPressure = sfloatRequired(r, 'cuffPressure');
    r.u16('diastolic (unused)');
    r.u16('meanArterialPressure (unused)');
    const rest = tail(r, flags);
    r.end();
    return { unit, cuffPressure, ...rest };
  });
}
