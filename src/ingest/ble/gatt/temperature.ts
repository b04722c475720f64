import { bit, ByteReader, decoding } from './reader.js';
import { dateTime, floatRequired } from './fields.js';

/** Temperature Type codes 1–9 [GATT 2A1D, used in 2A1C]. */
const TYPES = ['armpit', 'body', 'ear', 'finger', 'gastrointestinalTract', 'mouth', 'rectum', 'toe', 'tympanum'] as const;

export interface TemperatureMeasurement {
  readonly temperature: number;
  readonly unit: 'C' | 'F';
  readonly timestamp?: string;
  readonly temperatureType?: string;
}

/**
 * 0x2A1C Temperature Measurement [GATT 2A1C]: flags u8 — bit 0 unit (0 °C, 1 °F), bit 1 time
 * stamp present, bit 2 temperature type (u8) present — then the value as a 32-bit FLOAT and the
 * optional fields in that order.
 */
export function temperatureMeasurement(bytes: Uint8Array) {
  return decoding((): TemperatureMeasurement => {
    const r = new ByteReader(bytes);
    const flags = r.u8('flags');
    const temperature = floatRequired(r, 'temperature');
    const timestamp = bit(flags, 1) ? dateTime(r, 'timestamp') : undefined;
    const type = bit(flags, 2) ? r.u8('temperatureType') : undefined;
    r.end();
    return {
      temperature,
      unit: bit(flags, 0) ? 'F' : 'C',
      ...(timestamp !== undefined ? { timestamp } : {}),
      ...(type !== undefined ? { temperatureType: TYPES[type - 1] ?? 'reserved' } : {}),
    };
  });
}
