import { bit, ByteReader, decoding, setBits } from './reader.js';
import { dateTime, sfloatOptional, sfloatRequired } from './fields.js';

/** PLX Measurement Status bits 5–15 (0–4 reserved) [GATT 2A5E/2A5F]. */
const MEASUREMENT_STATUS = [
  'measurementOngoing',
  'earlyEstimatedData',
  'validatedData',
  'fullyQualifiedData',
  'dataFromMeasurementStorage',
  'dataForDemonstration',
  'dataForTesting',
  'calibrationOngoing',
  'measurementUnavailable',
  'questionableMeasurementDetected',
  'invalidMeasurementDetected',
] as const;
/** PLX Device and Sensor Status bits 0–15 (16–23 reserved) [GATT 2A5E/2A5F]. */
const DEVICE_AND_SENSOR_STATUS = [
  'extendedDisplayUpdateOngoing',
  'equipmentMalfunctionDetected',
  'signalProcessingIrregularityDetected',
  'inadequateSignalDetected',
  'poorSignalDetected',
  'lowPerfusionDetected',
  'erraticSignalDetected',
  'nonpulsatileSignalDetected',
  'questionablePulseDetected',
  'signalAnalysisOngoing',
  'sensorInterferenceDetected',
  'sensorUnconnectedToUser',
  'unknownSensorConnected',
  'sensorDisplaced',
  'sensorMalfunctioning',
  'sensorDisconnected',
] as const;

type Status = { readonly raw: number; readonly flags: readonly string[] };

export interface PlxSpotCheck {
  readonly spo2: number;
  readonly pulseRate: number;
  readonly timestamp?: string;
  readonly measurementStatus?: Status;
  readonly deviceAndSensorStatus?: Status;
  readonly pulseAmplitudeIndex?: number | null;
  readonly deviceClockNotSet: boolean;
}

export interface PlxContinuous {
  readonly spo2: number;
  readonly pulseRate: number;
  readonly spo2Fast?: number | null;
  readonly pulseRateFast?: number | null;
  readonly spo2Slow?: number | null;
  readonly pulseRateSlow?: number | null;
  readonly measurementStatus?: Status;
  readonly deviceAndSensorStatus?: Status;
  readonly pulseAmplitudeIndex?: number | null;
}

const measurementStatus = (r: ByteReader): Status => {
  const raw = r.u16('measurementStatus');
  return { raw, flags: setBits(raw, MEASUREMENT_STATUS, 5) };
};
const deviceAndSensorStatus = (r: ByteReader): Status => {
  const raw = r.u24('deviceAndSensorStatus');
  return { raw, flags: setBits(raw, DEVICE_AND_SENSOR_STATUS) };
};

/**
 * 0x2A5E PLX Spot-Check Measurement [GATT 2A5E; PLXS 1.0]: flags u8 — bit 0 time stamp, bit 1
 * measurement status (u16), bit 2 device and sensor status (u24), bit 3 pulse amplitude index
 * (SFLOAT %), bit 4 device clock not set — then SpO2 and pulse rate (SFLOAT, mandatory) and the
 * optional fields in that order.
 */
export function plxSpotCheck(bytes: Uint8Array) {
  return decoding((): PlxSpotCheck => {
    const r = new ByteReader(bytes);
    const flags = r.u8('flags');
    const spo2 = sfloatRequired(r, 'spo2');
    const pulseRate = sfloatRequired(r, 'pulseRate');
    const timestamp = bit(flags, 0) ? dateTime(r, 'timestamp') : undefined;
    const status = bit(flags, 1) ? measurementStatus(r) : undefined;
    const sensor = bit(flags, 2) ? deviceAndSensorStatus(r) : undefined;
    const pai = bit(flags, 3) ? sfloatOptional(r, 'pulseAmplitudeIndex') : undefined;
    r.end();
    return {
      spo2,
      pulseRate,
      ...(timestamp !== undefined ? { timestamp } : {}),
      ...(status !== undefined ? { measurementStatus: status } : {}),
      ...(sensor !== undefined ? { deviceAndSensorStatus: sensor } : {}),
      ...(pai !== undefined ? { pulseAmplitudeIndex: pai } : {}),
      deviceClockNotSet: bit(flags, 4),
    };
  });
}

/**
 * 0x2A5F PLX Continuous Measurement [GATT 2A5F; PLXS 1.0]: flags u8 — bit 0 SpO2PR-Fast, bit 1
 * SpO2PR-Slow (each SpO2 and pulse rate SFLOAT), bit 2 measurement status, bit 3 device and sensor
 * status, bit 4 pulse amplitude index — after the normal SpO2 and pulse rate (mandatory).
 */
export function plxContinuous(bytes: Uint8Array) {
  return decoding((): PlxContinuous => {
    const r = new ByteReader(bytes);
    const flags = r.u8('flags');
    const spo2 = sfloatRequired(r, 'spo2');
    const pulseRate = sfloatRequired(r, 'pulseRate');
    const fast = bit(flags, 0) ? { spo2Fast: sfloatOptional(r, 'spo2Fast'), pulseRateFast: sfloatOptional(r, 'pulseRateFast') } : {};
    const slow = bit(flags, 1) ? { spo2Slow: sfloatOptional(r, 'spo2Slow'), pulseRateSlow: sfloatOptional(r, 'pulseRateSlow') } : {};
    const status = bit(flags, 2) ? measurementStatus(r) : undefined;
    const sensor = bit(flags, 3) ? deviceAndSensorStatus(r) : undefined;
    const pai = bit(flags, 4) ? sfloatOptional(r, 'pulseAmplitudeIndex') : undefined;
    r.end();
    return {
      spo2,
      pulseRate,
      ...fast,
      ...slow,
      ...(status !== undefined ? { measurementStatus: status } : {}),
      ...(sensor !== undefined ? { deviceAndSensorStatus: sensor } : {}),
      ...(pai !== undefined ? { pulseAmplitudeIndex: pai } : {}),
    };
  });
}
