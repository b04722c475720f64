import { describe, expect, it } from 'vitest';
import { decimal, float32, sfloat } from '../../src/ingest/ble/gatt/index.js';

/** An SFLOAT's raw 16 bits from a mantissa and exponent (both signed) [IEEE 11073-20601 SFLOAT]. */
const sf = (mantissa: number, exponent: number) => ((exponent & 0x0f) << 12) | (mantissa & 0x0fff);
const fl = (mantissa: number, exponent: number) => (((exponent & 0xff) << 24) | (mantissa & 0xffffff)) >>> 0;

describe('IEEE 11073 SFLOAT', () => {
  it.each([
    [0x0078, 120, 120, 0],
    [0xf3a5, 93.3, 933, -1],
    [0xf0a0, 16, 160, -1],
    [0x07fd, 2045, 2045, 0], // the largest positive mantissa
    [0x0803, -2045, -2045, 0], // the smallest non-special negative mantissa
    [0x0fff, -1, -1, 0],
    [0x8001, 1e-8, 1, -8], // the smallest exponent
    [0x7001, 1e7, 1, 7], // the largest exponent
    [0xe4d2, 12.34, 1234, -2],
    [0x0000, 0, 0, 0],
  ])('0x%s is %d (mantissa %d, exponent %d)', (raw, value, mantissa, exponent) => {
    expect(sfloat(raw)).toEqual({ value, mantissa, exponent });
  });

  it.each([
    [0x07ff, 'NaN'],
    [0x0800, 'NRes'],
    [0x07fe, '+INF'],
    [0x0802, '-INF'],
    [0x0801, 'reserved'],
  ])('0x%s is the special value %s, not a number', (raw, special) => {
    expect(sfloat(raw)).toEqual({ value: null, special });
  });

  it('a special mantissa with a non-zero exponent is an ordinary number', () => {
    expect(sfloat(0x17ff)).toEqual({ value: 20470, mantissa: 2047, exponent: 1 });
  });

  it('round-trips every mantissa and exponent it can encode', () => {
    for (let exponent = -8; exponent <= 7; exponent++) {
      for (const mantissa of [-2045, -1000, -1, 0, 1, 999, 2045]) expect(sfloat(sf(mantissa, exponent))).toEqual({ value: decimal(mantissa, exponent), mantissa, exponent });
    }
  });
});

describe('IEEE 11073 FLOAT', () => {
  it.each([
    [fl(3650, -2), 36.5, 3650, -2],
    [fl(-405, -1), -40.5, -405, -1],
    [fl(98_6, -1), 98.6, 986, -1],
    [fl(8_388_605, 0), 8_388_605, 8_388_605, 0],
    [fl(1, 127), 1e127, 1, 127],
    [fl(1, -128), 1e-128, 1, -128],
  ])('0x%s is %d', (raw, value, mantissa, exponent) => {
    expect(float32(raw)).toEqual({ value, mantissa, exponent });
  });

  it.each([
    [0x007fffff, 'NaN'],
    [0x00800000, 'NRes'],
    [0x007ffffe, '+INF'],
    [0x00800002, '-INF'],
    [0x00800001, 'reserved'],
  ])('0x%s is the special value %s', (raw, special) => {
    expect(float32(raw)).toEqual({ value: null, special });
  });
});

describe('decimal', () => {
  it('gives the double nearest the exact decimal', () => {
    expect(decimal(1234, -1)).toBe(123.4);
    expect(decimal(366, -1)).toBe(36.6);
    expect(decimal(7, -3)).toBe(0.007);
    expect(decimal(-5, 2)).toBe(-500);
  });
});
