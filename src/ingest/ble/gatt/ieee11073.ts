/**
 * IEEE 11073-20601 numbers as the GATT Specification Supplement uses them [IEEE 11073-20601 SFLOAT
 * (medfloat16) and FLOAT (medfloat32); ble.md]: value = mantissa × 10^exponent, both signed, with reserved
 * bit patterns for special values.
 */

export type Special = 'NaN' | 'NRes' | '+INF' | '-INF' | 'reserved';

export type MedFloat = { readonly value: number; readonly mantissa: number; readonly exponent: number } | { readonly value: null; readonly special: Special };

/** SFLOAT specials: the exponent is 0 and the mantissa one of 0x07FE..0x0802 [ble.md SFLOAT]. */
const SFLOAT_SPECIAL: ReadonlyMap<number, Special> = new Map([
  [0x07ff, 'NaN'],
  [0x0800, 'NRes'],
  [0x07fe, '+INF'],
  [0x0802, '-INF'],
  [0x0801, 'reserved'],
]);

/** FLOAT specials: exponent 0, mantissa 0x7FFFFE..0x800002 [ble.md FLOAT]. */
const FLOAT_SPECIAL: ReadonlyMap<number, Special> = new Map([
  [0x007fffff, 'NaN'],
  [0x00800000, 'NRes'],
  [0x007ffffe, '+INF'],
  [0x00800002, '-INF'],
  [0x00800001, 'reserved'],
]);

/**
 * mantissa × 10^exponent as the double nearest the exact decimal: parsed from its decimal text,
 * which rounds correctly (multiplying by a power of ten would not: 1234 × 0.1 is 123.4000…01).
 */
export const decimal = (mantissa: number, exponent: number): number => Number(`${mantissa}e${exponent}`);

/** A 16-bit SFLOAT: signed 4-bit exponent (high nibble), signed 12-bit mantissa. */
export function sfloat(raw: number): MedFloat {
  const special = SFLOAT_SPECIAL.get(raw & 0xffff);
  if (special !== undefined) return { value: null, special };
  let exponent = (raw >> 12) & 0x0f;
  let mantissa = raw & 0x0fff;
  if (exponent >= 0x08) exponent -= 0x10;
  if (mantissa >= 0x0800) mantissa -= 0x1000;
  return { value: decimal(mantissa, exponent), mantissa, exponent };
}

/** A 32-bit FLOAT: signed 8-bit exponent (high octet), signed 24-bit mantissa. */
export function float32(raw: number): MedFloat {
  const special = FLOAT_SPECIAL.get(raw >>> 0);
  if (special !== undefined) return { value: null, special };
  let exponent = (raw >>> 24) & 0xff;
  let mantissa = raw & 0x00ffffff;
  if (exponent >= 0x80) exponent -= 0x100;
  if (mantissa >= 0x800000) mantissa -= 0x1000000;
  return { value: decimal(mantissa, exponent), mantissa, exponent };
}
