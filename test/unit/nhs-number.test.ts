import { describe, expect, it } from 'vitest';
import { maskNhsNumber, parseNhsNumber } from '../../src/domain/index.js';

describe('NHS number (modulus 11)', () => {
  it('accepts a valid number, with or without the 3-3-4 spacing', () => {
    expect(parseNhsNumber('9434765919')).toEqual({ ok: true, value: '9434765919' });
    expect(parseNhsNumber('943 476 5919')).toEqual({ ok: true, value: '9434765919' });
  });

  it('rejects a wrong check digit', () => {
    const r = parseNhsNumber('9434765918');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/check digit does not match/);
  });

  it('rejects numbers whose check digit would be 10', () => {
    const candidate = findWithCheck(10);
    const r = parseNhsNumber(`${candidate}0`);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/check digit would be 10/);
  });

  it('maps a computed check of 11 to 0', () => {
    const nine = findWithCheck(11);
    expect(parseNhsNumber(`${nine}0`).ok).toBe(true);
  });

  it('rejects anything that is not 10 digits', () => {
    for (const bad of ['', '943476591', '94347659190', '94347659a9']) expect(parseNhsNumber(bad).ok).toBe(false);
  });

  it('masks all but the last 4 digits', () => {
    expect(maskNhsNumber('9434765919')).toBe('******5919');
  });
});

/** First 9-digit prefix whose modulus 11 check value is `check`. */
function findWithCheck(check: number): string {
  for (let n = 100_000_000; ; n++) {
    const d = String(n);
    let sum = 0;
    for (let i = 0; i < 9; i++) sum += Number(d[i]) * (10 - i);
    if (11 - (sum % 11) === check) return d;
  }
}
