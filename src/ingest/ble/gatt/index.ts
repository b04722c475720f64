/**
 * Pure decoders of the Bluetooth SIG health characteristics [GATT Specification Supplement;
 * ble.md; gatt-decode-output.md]: bytes in, the decoded shape or the issues (`truncated`,
 * `invalid-value`, `trailing-bytes`) out. No unit conversion: the pipeline converts to canonical
 * units as it does for MQTT readings.
 */
import type { Issue, Result } from '../../../domain/index.js';
import { bloodPressureMeasurement, intermediateCuffPressure } from './blood-pressure.js';
import { glucoseMeasurement } from './glucose.js';
import { heartRateMeasurement } from './heart-rate.js';
import { float32, sfloat, type MedFloat } from './ieee11073.js';
import { plxContinuous, plxSpotCheck } from './pulse-oximeter.js';
import { dateTime } from './fields.js';
import { ByteReader, decoding } from './reader.js';
import { temperatureMeasurement } from './temperature.js';
import { weightMeasurement } from './weight.js';

export { bloodPressureMeasurement, intermediateCuffPressure, type BloodPressureMeasurement, type BloodPressureStatus, type IntermediateCuffPressure } from './blood-pressure.js';
export { glucoseMeasurement, type GlucoseMeasurement } from './glucose.js';
export { heartRateMeasurement, type HeartRateMeasurement } from './heart-rate.js';
export { decimal, float32, sfloat, type MedFloat, type Special } from './ieee11073.js';
export { plxContinuous, plxSpotCheck, type PlxContinuous, type PlxSpotCheck } from './pulse-oximeter.js';
export { temperatureMeasurement, type TemperatureMeasurement } from './temperature.js';
export { weightMeasurement, type WeightMeasurement } from './weight.js';
export { dateUnknown } from './fields.js';

/** The Date Time at the start of a value (e.g. Current Time 2A2B, whose further fields are ignored). */
export const leadingDateTime = (bytes: Uint8Array) => decoding(() => dateTime(new ByteReader(bytes), 'dateTime'));

type Decoder = (bytes: Uint8Array) => Result<object, Issue[]>;

/** The characteristics the gateway decodes, by 16-bit UUID (upper-case hex). */
export const DECODERS = {
  '2A35': bloodPressureMeasurement,
  '2A36': intermediateCuffPressure,
  '2A37': heartRateMeasurement,
  '2A18': glucoseMeasurement,
  '2A9D': weightMeasurement,
  '2A1C': temperatureMeasurement,
  '2A5E': plxSpotCheck,
  '2A5F': plxContinuous,
} as const satisfies Record<string, Decoder>;

export type CharacteristicId = keyof typeof DECODERS;

/** One raw IEEE-11073 number filling the whole value. */
const number =
  (width: 2 | 4, convert: (raw: number) => MedFloat): Decoder =>
  (bytes) =>
    decoding(() => {
      const r = new ByteReader(bytes);
      const value = convert(width === 2 ? r.u16('value') : r.u32('value'));
      r.end();
      return value;
    });

/** Raw IEEE-11073 numbers, for support engineers looking at one field. */
const NUMBERS: Readonly<Record<string, Decoder>> = { SFLOAT: number(2, sfloat), FLOAT: number(4, float32) };

/** Base UUID of SIG-assigned 16-bit UUIDs [Bluetooth Core, Assigned Numbers]: `0000xxxx-0000-1000-8000-00805f9b34fb`. */
const BASE_UUID = /^0000([0-9a-f]{4})-0000-1000-8000-00805f9b34fb$/i;

/**
 * The 16-bit id of a characteristic written as `2A35`, `0x2a35` or in its 128-bit form (as BlueZ
 * reports it); undefined when it is none of those.
 */
export function characteristicId(uuid: string): string | undefined {
  const text = uuid.trim();
  const short = BASE_UUID.exec(text)?.[1] ?? /^(?:0x)?([0-9a-f]{4})$/i.exec(text)?.[1];
  return short?.toUpperCase();
}

/** The decoder of a characteristic (or of `SFLOAT` / `FLOAT`), if the gateway has one. */
export function decoderFor(characteristic: string): Decoder | undefined {
  const upper = characteristic.trim().toUpperCase();
  if (upper in NUMBERS) return NUMBERS[upper];
  const id = characteristicId(characteristic);
  return id !== undefined && id in DECODERS ? DECODERS[id as CharacteristicId] : undefined;
}
export { BLE_FIELDS, canonicalValues } from './canonical.js';
