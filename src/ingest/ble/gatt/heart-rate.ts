import { bit, ByteReader, decoding, reject } from './reader.js';
import { IssueCode } from '../../../domain/index.js';

export interface HeartRateMeasurement {
  readonly heartRate: number;
  readonly sensorContact: 'notSupported' | 'notDetected' | 'detected';
  readonly energyExpended?: number;
  readonly rrIntervals?: readonly number[];
}

/**
 * 0x2A37 Heart Rate Measurement [GATT 2A37]: flags u8 — bit 0 value format (u8 or u16 beats/min),
 * bits 1–2 sensor contact (bit 2 clear: not supported; bit 2 set: bit 1 says detected), bit 3
 * energy expended u16 kJ present, bit 4 RR-intervals present (u16 each in 1/1024 s, as many as
 * remain: the only variable tail). An odd byte left over, or bit 4 with no interval, is truncated.
 */
export function heartRateMeasurement(bytes: Uint8Array) {
  return decoding((): HeartRateMeasurement => {
    const r = new ByteReader(bytes);
    const flags = r.u8('flags');
    const heartRate = bit(flags, 0) ? r.u16('heartRate') : r.u8('heartRate');
    const sensorContact = !bit(flags, 2) ? 'notSupported' : bit(flags, 1) ? 'detected' : 'notDetected';
    const energyExpended = bit(flags, 3) ? r.u16('energyExpended') : undefined;
    let rrIntervals: number[] | undefined;
    if (bit(flags, 4)) {
      rrIntervals = [r.u16('rrIntervals[0]') / 1024];
      while (r.remaining >= 2) rrIntervals.push(r.u16(`rrIntervals[${rrIntervals.length}]`) / 1024);
      if (r.remaining === 1) reject(IssueCode.Truncated, `rrIntervals[${rrIntervals.length}]`, 'an RR-interval is cut short: 1 byte of 2');
    }
    r.end();
    return { heartRate, sensorContact, ...(energyExpended !== undefined ? { energyExpended } : {}), ...(rrIntervals !== undefined ? { rrIntervals } : {}) };
  });
}
