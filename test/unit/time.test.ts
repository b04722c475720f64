import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTimestamp, resolveTime } from '../../src/pipeline/index.js';
import { zonedToUtc } from '../../src/domain/index.js';

const at = (iso: string) => Date.parse(iso);
const policy = { maxFutureSkewMs: 5 * 60_000, clockDriftToleranceMs: 60_000, maxReadingAgeMs: 30 * 86_400_000 };

describe('parseTimestamp', () => {
  it('reads ISO 8601 with Z or a numeric offset', () => {
    expect(parseTimestamp('2026-03-14T08:30:00Z', 'takenAt')).toEqual({ ok: true, value: at('2026-03-14T08:30:00Z') });
    expect(parseTimestamp('2026-03-14T08:30:00+01:00', 'takenAt')).toEqual({ ok: true, value: at('2026-03-14T07:30:00Z') });
    expect(parseTimestamp('2026-03-14T08:30:00.250-0230', 'takenAt')).toEqual({ ok: true, value: at('2026-03-14T11:00:00.250Z') });
  });

  it('takes numbers as epoch milliseconds', () => {
    expect(parseTimestamp(1_773_477_000_000, 'takenAt')).toEqual({ ok: true, value: 1_773_477_000_000 });
  });

  it('rejects a time without offset unless the profile declares a zone', () => {
    const r = parseTimestamp('2026-03-14T08:30:00', 'takenAt');
    expect(!r.ok && r.error.code).toBe('timestamp-missing-offset');
  });

  it('reads local wall time in the declared zone, across daylight saving', () => {
    // Europe/London: GMT in winter, BST (UTC+1) from 29 March 2026 01:00 UTC
    expect(parseTimestamp('2026-03-14T08:30:00', 'takenAt', 'Europe/London')).toEqual({ ok: true, value: at('2026-03-14T08:30:00Z') });
    expect(parseTimestamp('2026-07-01T08:30:00', 'takenAt', 'Europe/London')).toEqual({ ok: true, value: at('2026-07-01T07:30:00Z') });
    expect(parseTimestamp('2026-07-01T08:30:00', 'takenAt', 'America/New_York')).toEqual({ ok: true, value: at('2026-07-01T12:30:00Z') });
  });

  it.each(['yesterday', '2026-02-30T10:00:00Z', '2026-13-01T10:00:00Z', '2026-00-01T10:00:00Z', '2026-03-00T10:00:00Z', '2026-04-31T10:00:00Z', '2027-02-29T10:00:00Z', '2100-02-29T10:00:00Z', '2026-03-14T25:00:00Z', '2026-03-14T10:60:00Z', '2026-03-14T10:00:61Z', '14/03/2026 08:30'])(
    'rejects %s as invalid',
    (raw) => {
      const r = parseTimestamp(raw, 'takenAt');
      expect(!r.ok && r.error.code).toBe('timestamp-invalid');
    },
  );

  it('knows leap years and reads a leap second as the next minute', () => {
    expect(parseTimestamp('2028-02-29T10:00:00Z', 'takenAt')).toEqual({ ok: true, value: at('2028-02-29T10:00:00Z') });
    expect(parseTimestamp('2000-02-29T10:00:00Z', 'takenAt')).toEqual({ ok: true, value: at('2000-02-29T10:00:00Z') });
    expect(parseTimestamp('2026-12-31T23:59:60Z', 'takenAt')).toEqual({ ok: true, value: at('2027-01-01T00:00:00Z') });
  });

  it('rejects a missing timestamp', () => {
    const r = parseTimestamp(undefined, 'takenAt');
    expect(!r.ok && r.error.code).toBe('timestamp-invalid');
  });
});

describe('resolveTime', () => {
  const now = at('2026-03-14T09:00:00Z');

  it('keeps the device time when the device sends no clock', () => {
    const r = resolveTime(at('2026-03-14T08:30:00Z'), undefined, now, policy, 'takenAt');
    expect(r).toEqual({ ok: true, value: { deviceTakenAtMs: at('2026-03-14T08:30:00Z'), takenAtMs: at('2026-03-14T08:30:00Z'), clockOffsetMs: undefined, clockDrift: false } });
  });

  it('records a small offset without correcting', () => {
    const r = resolveTime(at('2026-03-14T08:30:00Z'), now - 2_000, now, policy, 'takenAt');
    expect(r.ok && r.value).toMatchObject({ takenAtMs: at('2026-03-14T08:30:00Z'), clockOffsetMs: 2_000, clockDrift: false });
  });

  it('corrects by the coincident-timestamp offset when the clock drifts beyond tolerance', () => {
    // device clock 1 hour behind: it says 08:00 when the gateway says 09:00
    const r = resolveTime(at('2026-03-14T07:30:00Z'), at('2026-03-14T08:00:00Z'), now, policy, 'takenAt');
    expect(r.ok && r.value).toMatchObject({ deviceTakenAtMs: at('2026-03-14T07:30:00Z'), takenAtMs: at('2026-03-14T08:30:00Z'), clockOffsetMs: 3_600_000, clockDrift: true });
  });

  it('rejects readings beyond the future skew, after correction', () => {
    expect(resolveTime(now + 5 * 60_000, undefined, now, policy, 'takenAt').ok).toBe(true);
    const r = resolveTime(now + 5 * 60_000 + 1, undefined, now, policy, 'takenAt');
    expect(!r.ok && r.error.code).toBe('timestamp-in-future');
    // a device 1 h fast reporting "now" is fine once corrected
    expect(resolveTime(now + 3_600_000, now + 3_600_000, now, policy, 'takenAt').ok).toBe(true);
  });

  it('rejects readings older than the profile allows', () => {
    expect(resolveTime(now - 30 * 86_400_000, undefined, now, policy, 'takenAt').ok).toBe(true);
    const r = resolveTime(now - 30 * 86_400_000 - 1, undefined, now, policy, 'takenAt');
    expect(!r.ok && r.error.code).toBe('timestamp-too-old');
  });
});

/**
 * The form the scanner reads, as a regular expression (its earlier implementation): the oracle a
 * property test holds it to, accepted and refused strings alike.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;
function oracle(raw: string, timeZone?: string): number | 'not ISO' | 'not real' | 'no offset' {
  const m = ISO.exec(raw);
  if (m === null) return 'not ISO';
  const [, y, mo, d, h, mi, s, frac, offset] = m;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s ?? '0'].map(Number) as [number, number, number, number, number, number];
  const days = month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  if (month < 1 || month > 12 || day < 1 || day > days || hour > 23 || minute > 59 || second > 60) return 'not real';
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, frac === undefined ? 0 : Math.round(Number(frac) * 1000));
  if (offset !== undefined) {
    if (offset === 'Z') return wall;
    const hhmm = offset.slice(1).replace(':', '');
    return wall - (offset.startsWith('-') ? -1 : 1) * (Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(2, 4))) * 60_000;
  }
  return timeZone === undefined ? 'no offset' : zonedToUtc(wall, timeZone);
}

describe('parseTimestamp: the scanner', () => {
  const digitsOf = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });
  const near = fc.constantFrom(...'0123456789-:T Z+.tz');
  // A two-digit field: mostly within `max` (so most dates are real and the rest of the string is
  // what decides), sometimes any two digits.
  const field = (max: number, min = 0) => fc.oneof({ weight: 4, arbitrary: fc.integer({ min, max }).map((n) => String(n).padStart(2, '0')) }, { weight: 1, arbitrary: digitsOf(2) });
  // Well-formed timestamps (impossible dates among them), and mutations of them.
  const wellFormed = fc
    .tuple(digitsOf(4), field(12, 1), field(28, 1), fc.constantFrom('T', ' '), field(23), field(59), fc.option(fc.tuple(field(60), fc.option(fc.integer({ min: 1, max: 11 }).chain(digitsOf)))), fc.option(fc.oneof(fc.constant('Z'), fc.tuple(fc.constantFrom('+', '-'), digitsOf(2), fc.constantFrom(':', ''), digitsOf(2)).map((p) => p.join('')))))
    .map(([y, mo, d, t, h, mi, sec, off]) => `${y}-${mo}-${d}${t}${h}:${mi}${sec === null ? '' : `:${sec[0]}${sec[1] === null ? '' : `.${sec[1]}`}`}${off ?? ''}`);
  const mutated = fc.tuple(wellFormed, fc.nat(), near, fc.constantFrom('replace', 'insert', 'delete')).map(([s, at, c, how]) => {
    const i = at % (s.length + 1);
    return how === 'replace' ? s.slice(0, i) + c + s.slice(i + 1) : how === 'insert' ? s.slice(0, i) + c + s.slice(i) : s.slice(0, i) + s.slice(i + 1);
  });
  const realistic = fc.integer({ min: Date.now() - 400 * 86_400_000, max: Date.now() + 400 * 86_400_000 }).map((t) => new Date(t).toISOString());

  it('accepts and reads exactly what the ISO 8601 pattern does, with and without a profile time zone', () => {
    fc.assert(
      fc.property(fc.oneof(wellFormed, mutated, realistic, fc.string({ unit: near, maxLength: 30 })), fc.constantFrom(undefined, 'Europe/London'), (raw, zone) => {
        const got = parseTimestamp(raw, 'takenAt', zone);
        const want = oracle(raw, zone);
        if (typeof want === 'number') expect(got).toEqual({ ok: true, value: want });
        else if (want === 'no offset') expect(got.ok ? got.value : got.error.code).toBe('timestamp-missing-offset');
        else expect(got.ok ? got.value : `${got.error.code}: ${got.error.message}`).toMatch(want === 'not ISO' ? /^timestamp-invalid: .* is not an ISO 8601 date-time$/ : /^timestamp-invalid: .* is not a real date-time$/);
      }),
      { numRuns: 20_000 },
    );
  });
});
