import { describe, expect, it } from 'vitest';
import { coarsen, disclose, isoDay, localDays, parseOptOutFile, projectKey } from '../../src/research/index.js';

describe('disclosure control', () => {
  it('shows 0, suppresses 1 to 7, and rounds 8 and above to the nearest 5', () => {
    expect([0, 1, 7, 8, 12, 13].map(disclose)).toEqual([0, null, null, 10, 10, 15]);
    expect([2, 5, 6, 9, 10, 17, 18, 1002, 1003].map(disclose)).toEqual([null, null, null, 10, 10, 15, 20, 1000, 1005]);
    expect(() => disclose(-1)).toThrow(RangeError);
    expect(() => disclose(2.5)).toThrow(RangeError);
  });
});

describe('pseudonyms', () => {
  const secret = Buffer.alloc(32, 7);
  it('are the same for a patient within a project, differ across projects, and keep the key out of its id', () => {
    const a = projectKey(secret, 'study-a');
    const again = projectKey(secret, 'study-a');
    const b = projectKey(secret, 'study-b');
    expect(a.pseudonym('9434765919')).toBe(again.pseudonym('9434765919'));
    expect(a.pseudonym('9434765919')).toMatch(/^[0-9a-f]{32}$/);
    expect(a.pseudonym('9434765919')).not.toBe(b.pseudonym('9434765919'));
    expect(a.pseudonym('9434765919')).not.toBe(a.pseudonym('4010232137'));
    expect(a.keyId).toBe(again.keyId);
    expect(a.keyId).not.toBe(b.keyId);
    expect(projectKey(Buffer.alloc(32, 8), 'study-a').pseudonym('9434765919')).not.toBe(a.pseudonym('9434765919'));
  });
});

describe('time coarsening', () => {
  const t = Date.UTC(2026, 11, 3, 14, 42, 37, 512); // a Thursday
  it('truncates to the hour, the day, or the Monday of the week (UTC)', () => {
    expect(new Date(coarsen(t, 'hour')).toISOString()).toBe('2026-12-03T14:00:00.000Z');
    expect(new Date(coarsen(t, 'day')).toISOString()).toBe('2026-12-03T00:00:00.000Z');
    expect(new Date(coarsen(t, 'week')).toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(new Date(coarsen(Date.UTC(2026, 10, 30), 'week')).toISOString()).toBe('2026-11-30T00:00:00.000Z');
  });
  it('gives local calendar days across a clock change', () => {
    const day = localDays('Europe/London');
    // 23:30 UTC on 1 July is 00:30 on 2 July in London (BST); in January it is still the 1st.
    expect(isoDay(day(Date.UTC(2026, 6, 1, 23, 30)))).toBe('2026-07-02');
    expect(isoDay(day(Date.UTC(2026, 0, 1, 23, 30)))).toBe('2026-01-01');
  });
});

describe('opt-out files', () => {
  it('reads one number per line with trailing commas (the MESH .dat form), skipping blanks and repeats, reporting invalid lines', () => {
    const f = parseOptOutFile('9434765919,\n\n943 476 5919,\r\n4010232137\n12345,\n4010232138\n');
    expect(f.numbers).toEqual(['9434765919', '4010232137']);
    expect(f.invalid.map((i) => i.line)).toEqual([5, 6]);
    expect(f.invalid[1]?.reason).toMatch(/check digit/);
  });
  it('reads the NHS number column of a CSV file with a header', () => {
    const f = parseOptOutFile('"Date","NHS Number"\n2026-01-01,9434765919\n"2026-01-02","4010232137"\n2026-01-03,x\n');
    expect(f.numbers).toEqual(['9434765919', '4010232137']);
    expect(f.invalid).toEqual([{ line: 4, reason: expect.any(String) }]);
  });
});
