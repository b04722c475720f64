import { IssueCode } from '../../../domain/index.js';
import { float32, sfloat, type MedFloat } from './ieee11073.js';
import { reject, type ByteReader } from './reader.js';

const describe = (f: MedFloat): string => (f.value === null ? f.special : String(f.value));

/** A measurement the format requires: a special value (NaN, NRes, ±INF, reserved) makes the reading invalid, not zero. */
export function required(f: MedFloat, field: string): number {
  if (f.value === null) return reject(IssueCode.InvalidValue, field, `${field} is ${describe(f)}: the device sent no usable measurement`);
  return f.value;
}

/** A mandatory SFLOAT measurement. */
export const sfloatRequired = (r: ByteReader, field: string): number => required(sfloat(r.u16(field)), field);

/** An optional SFLOAT the flags declared present: null when it holds a special value. */
export const sfloatOptional = (r: ByteReader, field: string): number | null => sfloat(r.u16(field)).value;

/** A mandatory FLOAT measurement. */
export const floatRequired = (r: ByteReader, field: string): number => required(float32(r.u32(field)), field);

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * Date Time [GATT 2A08; ble.md]: year u16 (1582–9999, 0 = not known), month (1–12, 0 = not known), day
 * (1–31, 0 = not known), hours (0–23), minutes (0–59), seconds (0–59), as local time without zone
 * 'YYYY-MM-DDTHH:MM:SS'. Out-of-range parts reject the payload.
 */
export function dateTime(r: ByteReader, field: string): string {
  const year = r.u16(`${field}.year`);
  const month = r.u8(`${field}.month`);
  const day = r.u8(`${field}.day`);
  const hours = r.u8(`${field}.hours`);
  const minutes = r.u8(`${field}.minutes`);
  const seconds = r.u8(`${field}.seconds`);
  const check = (part: string, value: number, ok: boolean): void => {
    if (!ok) reject(IssueCode.InvalidValue, `${field}.${part}`, `${field}.${part} ${value} is out of range`);
  };
  check('year', year, year === 0 || (year >= 1582 && year <= 9999));
  check('month', month, month <= 12);
  check('day', day, day <= 31);
  check('hours', hours, hours <= 23);
  check('minutes', minutes, minutes <= 59);
  check('seconds', seconds, seconds <= 59);
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hours)}:${pad(minutes)}:${pad(seconds)}`;
}

/** Whether a Date Time says its date is not known (year, month or day 0) [GATT 2A08]. */
export const dateUnknown = (timestamp: string): boolean => timestamp.startsWith('0000') || timestamp.slice(5, 7) === '00' || timestamp.slice(8, 10) === '00';
