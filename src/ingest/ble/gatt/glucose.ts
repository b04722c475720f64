import { bit, ByteReader, decoding, setBits } from './reader.js';
import { dateTime, sfloatOptional } from './fields.js';

/** Type (low nibble of the type-sample location octet), codes 1–10 [GATT 2A18]. */
const TYPES = ['capillaryWholeBlood', 'capillaryPlasma', 'venousWholeBlood', 'venousPlasma', 'arterialWholeBlood', 'arterialPlasma', 'undeterminedWholeBlood', 'undeterminedPlasma', 'interstitialFluid', 'controlSolution'] as const;
/** Sample location (high nibble), codes 1–4 and 15 [GATT 2A18]. */
const LOCATIONS: Readonly<Record<number, string>> = { 1: 'finger', 2: 'alternateSiteTest', 3: 'earlobe', 4: 'controlSolution', 15: 'notAvailable' };
/** Sensor Status Annunciation bits 0–11 [GATT 2A18]. */
const ANNUNCIATIONS = [
  'deviceBatteryLow',
  'sensorMalfunction',
  'sampleSizeInsufficient',
  'stripInsertionError',
  'stripTypeIncorrect',
  'resultHigherThanDeviceCanProcess',
  'resultLowerThanDeviceCanProcess',
  'temperatureTooHigh',
  'temperatureTooLow',
  'readInterrupted',
  'generalDeviceFault',
  'timeFault',
] as const;

export interface GlucoseMeasurement {
  readonly sequenceNumber: number;
  readonly baseTime: string;
  readonly timeOffset?: number;
  readonly glucoseConcentration?: number | null;
  readonly unit?: 'kg/L' | 'mol/L';
  readonly type?: string;
  readonly sampleLocation?: string;
  readonly sensorStatusAnnunciation?: { readonly raw: number; readonly flags: readonly string[] };
  readonly contextInformationFollows: boolean;
}

/**
 * 0x2A18 Glucose Measurement [GATT 2A18]: flags u8 — bit 0 time offset (s16 minutes) present,
 * bit 1 concentration (SFLOAT) with type and sample location present, bit 2 concentration unit
 * (0 kg/L, 1 mol/L), bit 3 sensor status annunciation (u16) present, bit 4 a context record
 * follows — then sequence number u16, base time (Date Time), and the optional fields in that order.
 */
export function glucoseMeasurement(bytes: Uint8Array) {
  return decoding((): GlucoseMeasurement => {
    const r = new ByteReader(bytes);
    const flags = r.u8('flags');
    const sequenceNumber = r.u16('sequenceNumber');
    const baseTime = dateTime(r, 'baseTime');
    const timeOffset = bit(flags, 0) ? r.s16('timeOffset') : undefined;
    let concentration: Pick<GlucoseMeasurement, 'glucoseConcentration' | 'unit' | 'type' | 'sampleLocation'> = {};
    if (bit(flags, 1)) {
      const glucoseConcentration = sfloatOptional(r, 'glucoseConcentration');
      const typeLocation = r.u8('typeSampleLocation');
      concentration = {
        glucoseConcentration,
        unit: bit(flags, 2) ? 'mol/L' : 'kg/L',
        type: TYPES[(typeLocation & 0x0f) - 1] ?? 'reserved',
        sampleLocation: LOCATIONS[typeLocation >> 4] ?? 'reserved',
      };
    }
    const annunciation = bit(flags, 3) ? r.u16('sensorStatusAnnunciation') : undefined;
    r.end();
    return {
      sequenceNumber,
      baseTime,
      ...(timeOffset !== undefined ? { timeOffset } : {}),
      ...concentration,
      ...(annunciation !== undefined ? { sensorStatusAnnunciation: { raw: annunciation, flags: setBits(annunciation, ANNUNCIATIONS) } } : {}),
      contextInformationFollows: bit(flags, 4),
    };
  });
}
