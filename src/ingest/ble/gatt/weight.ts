import { IssueCode } from '../../../domain/index.js';
import { bit, ByteReader, decoding, reject } from './reader.js';
import { dateTime } from './fields.js';

export interface WeightMeasurement {
  readonly unit: 'kg' | 'lb';
  readonly weight: number;
  readonly timestamp?: string;
  readonly userId?: number;
  readonly bmi?: number;
  readonly height?: number;
  readonly heightUnit?: 'm' | 'in';
}

/** [GATT 2A9D] a weight of 0xFFFF means "measurement unsuccessful". */
const UNSUCCESSFUL = 0xffff;

/**
 * 0x2A9D Weight Measurement [GATT 2A9D]: flags u8 — bit 0 units (0 SI: weight ×0.005 kg, height
 * ×0.001 m; 1 imperial: ×0.01 lb, ×0.1 in), bit 1 time stamp, bit 2 user id, bit 3 BMI (u16 ×0.1
 * kg/m²) and height (u16) — then weight u16 and the optional fields in that order.
 */
export function weightMeasurement(bytes: Uint8Array) {
  return decoding((): WeightMeasurement => {
    const r = new ByteReader(bytes);
    const flags = r.u8('flags');
    const imperial = bit(flags, 0);
    const raw = r.u16('weight');
    if (raw === UNSUCCESSFUL) reject(IssueCode.InvalidValue, 'weight', 'weight is 0xFFFF: the scale reports the measurement unsuccessful');
    // Integer arithmetic first, then one division: the exact decimal, e.g. 14000 × 0.005 = 70.
    const weight = imperial ? raw / 100 : (raw * 5) / 1000;
    const timestamp = bit(flags, 1) ? dateTime(r, 'timestamp') : undefined;
    const userId = bit(flags, 2) ? r.u8('userId') : undefined;
    let body: Pick<WeightMeasurement, 'bmi' | 'height' | 'heightUnit'> = {};
    if (bit(flags, 3)) {
      const bmi = r.u16('bmi') / 10;
      const height = r.u16('height');
      body = { bmi, height: imperial ? height / 10 : height / 1000, heightUnit: imperial ? 'in' : 'm' };
    }
    r.end();
    return { unit: imperial ? 'lb' : 'kg', weight, ...(timestamp !== undefined ? { timestamp } : {}), ...(userId !== undefined ? { userId } : {}), ...body };
  });
}
