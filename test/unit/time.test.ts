import { describe, expect, it } from 'vitest';
import { parseTimestamp, resolveTime } from '../../src/pipeline/index.js';

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
