/**
 * Encoders of the health characteristics, the inverse of the gateway's decoders
 * (src/ingest/ble/gatt): the BlueZ simulator's devices send what these build, and the decoder
 * tests round-trip through them. Layouts as in ble.md; all fields little-endian.
 */
import type { Special } from '../../src/ingest/ble/gatt/index.js';

const SFLOAT_SPECIAL: Readonly<Record<Special, number>> = { NaN: 0x07ff, NRes: 0x0800, '+INF': 0x07fe, '-INF': 0x0802, reserved: 0x0801 };
const FLOAT_SPECIAL: Readonly<Record<Special, number>> = { NaN: 0x007fffff, NRes: 0x00800000, '+INF': 0x007ffffe, '-INF': 0x00800002, reserved: 0x00800001 };

/**
 * The mantissa and exponent that hold `value` exactly, as a device would send it: exponent 0 for
 * an integer that fits (120 → 120e0), else the fewest decimals (93.3 → 933e-1), else the smallest
 * positive exponent (30,000 → 3e4 as an SFLOAT).
 */
function split(value: number, maxMantissa: number, minExponent: number, maxExponent: number): { mantissa: number; exponent: number } {
  const fits = (exponent: number): number | undefined => {
    const mantissa = Number(`${value}e${-exponent}`);
    return Number.isInteger(mantissa) && Math.abs(mantissa) <= maxMantissa ? mantissa : undefined;
  };
  const order = [0, ...Array.from({ length: -minExponent }, (_, i) => -(i + 1)), ...Array.from({ length: maxExponent }, (_, i) => i + 1)];
  for (const exponent of order) {
    const mantissa = fits(exponent);
    if (mantissa !== undefined) return { mantissa, exponent };
  }
  throw new RangeError(`${value} has no exact IEEE 11073 encoding`);
}

/** A value (or special) as a 16-bit SFLOAT. */
export function sfloatBits(value: number | Special | null): number {
  if (value === null) return SFLOAT_SPECIAL.NaN;
  if (typeof value === 'string') return SFLOAT_SPECIAL[value];
  const { mantissa, exponent } = split(value, 2045, -8, 7);
  return ((exponent & 0x0f) << 12) | (mantissa & 0x0fff);
}

/** A value (or special) as a 32-bit FLOAT. */
export function floatBits(value: number | Special | null): number {
  if (value === null) return FLOAT_SPECIAL.NaN;
  if (typeof value === 'string') return FLOAT_SPECIAL[value];
  const { mantissa, exponent } = split(value, 8_388_605, -128, 127);
  return (((exponent & 0xff) << 24) | (mantissa & 0xffffff)) >>> 0;
}

/** Builds a value field by field. */
class Bytes {
  readonly out: number[] = [];
  u8(v: number): this {
    this.out.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >> 8);
  }
  u24(v: number): this {
    return this.u16(v).u8(v >> 16);
  }
  u32(v: number): this {
    return this.u16(v).u16(v >>> 16);
  }
  sfloat(v: number | Special | null): this {
    return this.u16(sfloatBits(v));
  }
  float(v: number | Special | null): this {
    return this.u32(floatBits(v));
  }
  /** Date Time from 'YYYY-MM-DDTHH:MM:SS' (local time, as the device's clock shows it). */
  dateTime(t: string): this {
    const [y, mo, d, h, mi, s] = t.split(/[-T:]/).map(Number) as [number, number, number, number, number, number];
    return this.u16(y).u8(mo).u8(d).u8(h).u8(mi).u8(s);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

const flagsOf = (...bits: boolean[]): number => bits.reduce((f, on, i) => (on ? f | (1 << i) : f), 0);

export interface BloodPressureInput {
  readonly unit?: 'mmHg' | 'kPa';
  readonly systolic: number | Special;
  readonly diastolic: number | Special;
  readonly meanArterialPressure: number | Special;
  readonly timestamp?: string;
  readonly pulseRate?: number | Special | null;
  readonly userId?: number;
  readonly measurementStatus?: number;
}

/** 0x2A35 Blood Pressure Measurement (and, with `intermediate`, 0x2A36 with the cuff pressure in the systolic slot). */
export function bloodPressure(m: BloodPressureInput): Uint8Array {
  const b = new Bytes().u8(flagsOf(m.unit === 'kPa', m.timestamp !== undefined, m.pulseRate !== undefined, m.userId !== undefined, m.measurementStatus !== undefined));
  b.sfloat(m.systolic).sfloat(m.diastolic).sfloat(m.meanArterialPressure);
  if (m.timestamp !== undefined) b.dateTime(m.timestamp);
  if (m.pulseRate !== undefined) b.sfloat(m.pulseRate);
  if (m.userId !== undefined) b.u8(m.userId);
  if (m.measurementStatus !== undefined) b.u16(m.measurementStatus);
  return b.bytes();
}

/** 0x2A36 Intermediate Cuff Pressure: the cuff pressure in the systolic slot, the others NaN. */
export const intermediateCuffPressure = (m: Omit<BloodPressureInput, 'systolic' | 'diastolic' | 'meanArterialPressure'> & { cuffPressure: number }): Uint8Array =>
  bloodPressure({ ...m, systolic: m.cuffPressure, diastolic: 'NaN', meanArterialPressure: 'NaN' });

/** 0x2A37 Heart Rate Measurement. */
export function heartRate(m: { heartRate: number; wide?: boolean; sensorContact?: 'notSupported' | 'notDetected' | 'detected'; energyExpended?: number; rrIntervals?: readonly number[] }): Uint8Array {
  const contact = m.sensorContact ?? 'notSupported';
  const wide = m.wide === true || m.heartRate > 255;
  const b = new Bytes().u8(flagsOf(wide, contact === 'detected', contact !== 'notSupported', m.energyExpended !== undefined, m.rrIntervals !== undefined));
  if (wide) b.u16(m.heartRate);
  else b.u8(m.heartRate);
  if (m.energyExpended !== undefined) b.u16(m.energyExpended);
  for (const rr of m.rrIntervals ?? []) b.u16(Math.round(rr * 1024));
  return b.bytes();
}

const GLUCOSE_TYPES = ['capillaryWholeBlood', 'capillaryPlasma', 'venousWholeBlood', 'venousPlasma', 'arterialWholeBlood', 'arterialPlasma', 'undeterminedWholeBlood', 'undeterminedPlasma', 'interstitialFluid', 'controlSolution'];
const GLUCOSE_LOCATIONS: Readonly<Record<string, number>> = { finger: 1, alternateSiteTest: 2, earlobe: 3, controlSolution: 4, notAvailable: 15 };

/** 0x2A18 Glucose Measurement. */
export function glucose(m: {
  sequenceNumber: number;
  baseTime: string;
  timeOffset?: number;
  glucoseConcentration?: number | Special | null;
  unit?: 'kg/L' | 'mol/L';
  type?: string;
  sampleLocation?: string;
  sensorStatusAnnunciation?: number;
  contextInformationFollows?: boolean;
}): Uint8Array {
  const concentration = m.glucoseConcentration !== undefined;
  const b = new Bytes().u8(flagsOf(m.timeOffset !== undefined, concentration, m.unit === 'mol/L', m.sensorStatusAnnunciation !== undefined, m.contextInformationFollows === true));
  b.u16(m.sequenceNumber).dateTime(m.baseTime);
  if (m.timeOffset !== undefined) b.u16(m.timeOffset);
  if (concentration) {
    b.sfloat(m.glucoseConcentration ?? null);
    b.u8((GLUCOSE_TYPES.indexOf(m.type ?? 'capillaryWholeBlood') + 1) | ((GLUCOSE_LOCATIONS[m.sampleLocation ?? 'finger'] ?? 15) << 4));
  }
  if (m.sensorStatusAnnunciation !== undefined) b.u16(m.sensorStatusAnnunciation);
  return b.bytes();
}

/** 0x2A9D Weight Measurement from raw fields (weight in 0.005 kg or 0.01 lb steps). */
export function weight(m: { unit?: 'kg' | 'lb'; weight: number; timestamp?: string; userId?: number; bmi?: number; height?: number }): Uint8Array {
  const imperial = m.unit === 'lb';
  const body = m.bmi !== undefined && m.height !== undefined;
  const b = new Bytes().u8(flagsOf(imperial, m.timestamp !== undefined, m.userId !== undefined, body));
  b.u16(Math.round(imperial ? m.weight * 100 : m.weight * 200));
  if (m.timestamp !== undefined) b.dateTime(m.timestamp);
  if (m.userId !== undefined) b.u8(m.userId);
  if (body) b.u16(Math.round((m.bmi as number) * 10)).u16(Math.round(imperial ? (m.height as number) * 10 : (m.height as number) * 1000));
  return b.bytes();
}

const TEMPERATURE_TYPES = ['armpit', 'body', 'ear', 'finger', 'gastrointestinalTract', 'mouth', 'rectum', 'toe', 'tympanum'];

/** 0x2A1C Temperature Measurement. */
export function temperature(m: { temperature: number | Special; unit?: 'C' | 'F'; timestamp?: string; temperatureType?: string }): Uint8Array {
  const b = new Bytes().u8(flagsOf(m.unit === 'F', m.timestamp !== undefined, m.temperatureType !== undefined));
  b.float(m.temperature);
  if (m.timestamp !== undefined) b.dateTime(m.timestamp);
  if (m.temperatureType !== undefined) b.u8(TEMPERATURE_TYPES.indexOf(m.temperatureType) + 1);
  return b.bytes();
}

/** 0x2A5E PLX Spot-Check Measurement. */
export function plxSpotCheck(m: { spo2: number | Special; pulseRate: number | Special; timestamp?: string; measurementStatus?: number; deviceAndSensorStatus?: number; pulseAmplitudeIndex?: number | Special | null; deviceClockNotSet?: boolean }): Uint8Array {
  const b = new Bytes().u8(flagsOf(m.timestamp !== undefined, m.measurementStatus !== undefined, m.deviceAndSensorStatus !== undefined, m.pulseAmplitudeIndex !== undefined, m.deviceClockNotSet === true));
  b.sfloat(m.spo2).sfloat(m.pulseRate);
  if (m.timestamp !== undefined) b.dateTime(m.timestamp);
  if (m.measurementStatus !== undefined) b.u16(m.measurementStatus);
  if (m.deviceAndSensorStatus !== undefined) b.u24(m.deviceAndSensorStatus);
  if (m.pulseAmplitudeIndex !== undefined) b.sfloat(m.pulseAmplitudeIndex);
  return b.bytes();
}

/** 0x2A5F PLX Continuous Measurement. */
export function plxContinuous(m: {
  spo2: number | Special;
  pulseRate: number | Special;
  fast?: { spo2: number | Special | null; pulseRate: number | Special | null };
  slow?: { spo2: number | Special | null; pulseRate: number | Special | null };
  measurementStatus?: number;
  deviceAndSensorStatus?: number;
  pulseAmplitudeIndex?: number | Special | null;
}): Uint8Array {
  const b = new Bytes().u8(flagsOf(m.fast !== undefined, m.slow !== undefined, m.measurementStatus !== undefined, m.deviceAndSensorStatus !== undefined, m.pulseAmplitudeIndex !== undefined));
  b.sfloat(m.spo2).sfloat(m.pulseRate);
  if (m.fast !== undefined) b.sfloat(m.fast.spo2).sfloat(m.fast.pulseRate);
  if (m.slow !== undefined) b.sfloat(m.slow.spo2).sfloat(m.slow.pulseRate);
  if (m.measurementStatus !== undefined) b.u16(m.measurementStatus);
  if (m.deviceAndSensorStatus !== undefined) b.u24(m.deviceAndSensorStatus);
  if (m.pulseAmplitudeIndex !== undefined) b.sfloat(m.pulseAmplitudeIndex);
  return b.bytes();
}

/** Lower-case hex of bytes, as `vitals-gateway decode` takes them. */
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
