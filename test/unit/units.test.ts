import { describe, expect, it } from 'vitest';
import { canConvert, convert, tidy, toUcum } from '../../src/domain/index.js';

describe('units', () => {
  it('maps device spellings to UCUM codes', () => {
    expect(toUcum('mmHg')).toBe('mm[Hg]');
    expect(toUcum('°F')).toBe('[degF]');
    expect(toUcum('lb')).toBe('[lb_av]');
    expect(toUcum('bpm')).toBe('/min');
    expect(toUcum('kPa')).toBe('kPa');
  });

  it.each([
    [16, 'kPa', 'mm[Hg]', 120.0106],
    [98.6, '[degF]', 'Cel', 37],
    [212, '[degF]', 'Cel', 100],
    [176.37, '[lb_av]', 'kg', 79.99994],
    [180.156, 'mg/dL', 'mmol/L', 10],
    [5.5, 'mmol/L', 'mg/dL', 99.0858],
    [72_500, 'g', 'kg', 72.5],
  ])('converts %d %s to %s', (value, from, to, expected) => {
    expect(tidy(convert(value, from, to) as number)).toBeCloseTo(expected, 3);
  });

  it('knows which conversions exist', () => {
    expect(canConvert('kPa', 'mm[Hg]')).toBe(true);
    expect(canConvert('Cel', 'Cel')).toBe(true);
    expect(canConvert('kg', 'mm[Hg]')).toBe(false);
    expect(convert(1, 'kg', 'mm[Hg]')).toBeUndefined();
  });
});
