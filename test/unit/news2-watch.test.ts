import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { news2, type News2Input } from '../../src/clinical/index.js';
import { readingsOf, type ReadingRow } from '../../src/domain/index.js';
import { News2Watch } from '../../src/outputs/alerts/index.js';
import { NEWS2_METRICS } from '../../src/outputs/alerts/news2-watch.js';

const row = (metric: string, value: number, takenAtMs: number): ReadingRow => ({
  idempotencyKey: `${metric}${takenAtMs}`, deviceId: 'd', patientNhs: 'p', profileId: 'x', metric, value, unit: '1', sourceUnit: undefined,
  deviceTakenAtMs: takenAtMs, takenAtMs, receivedAtMs: takenAtMs, clockOffsetMs: undefined, messageId: undefined,
});

describe('News2Watch', () => {
  it('starts from the stored latest values, keeps the newest of each parameter, and forgets those older than the window', () => {
    const loads: string[] = [];
    const stored: Record<string, { value: number; takenAtMs: number }> = { respiratoryRate: { value: 26, takenAtMs: 1_000 }, heartRate: { value: 120, takenAtMs: 2_000 }, pulse: { value: 60, takenAtMs: 1_500 } };
    const watch = new News2Watch(60_000, (_p, metric) => (loads.push(metric), stored[metric]), () => 1);
    const first = watch.update('p', readingsOf([row('spo2', 96, 3_000)]), 10_000);
    // RR 26 → 3, pulse from the newer heartRate 120 → 2, SpO2 96 → 0.
    expect(first).toMatchObject({ total: 5, subscores: { respiratoryRate: 3, pulse: 2, spo2: 0 }, partial: true, alerting: true });
    expect(loads).toHaveLength(6);
    // An older pulse does not replace the newer one (nothing changes, so no new score); nothing is loaded again.
    expect(watch.update('p', readingsOf([row('pulse', 45, 1_800)]), 11_000)).toBeUndefined();
    // The same value again changes nothing either; a new one does.
    expect(watch.update('p', readingsOf([row('spo2', 96, 4_000)]), 12_000)).toBeUndefined();
    expect(watch.update('p', readingsOf([row('spo2', 91, 5_000)]), 13_000)).toMatchObject({ total: 8, subscores: { spo2: 3 } });
    expect(loads).toHaveLength(6);
    // A minute later the respiratory rate is out of the window; the SpO2 of 91 (at 5 s) is not.
    expect(watch.update('p', readingsOf([row('pulse', 70, 62_000)]), 62_000)).toMatchObject({ total: 3, subscores: { respiratoryRate: null, spo2: 3, pulse: 0 }, alerting: true });
    // Later still only the new pulse is left; the SpO2 dropping out re-scores even with the same pulse.
    expect(watch.update('p', readingsOf([row('pulse', 70, 62_000)]), 70_000)).toMatchObject({ total: 0, subscores: { spo2: null }, alerting: false });
    expect(watch.update('p', readingsOf([row('bodyWeight', 80, 63_000)]), 63_000)).toBeUndefined();
  });

  it("uses the patient's SpO2 scale", () => {
    const watch = new News2Watch(60_000, () => undefined, (p) => (p === 'copd' ? 2 : 1));
    expect(watch.update('copd', readingsOf([row('spo2', 88, 1)]), 2)?.subscores.spo2).toBe(0);
    expect(watch.update('other', readingsOf([row('spo2', 88, 1)]), 2)?.subscores.spo2).toBe(3);
  });

  it('scores as the latest value of each parameter inside the window says, and answers undefined only when that score has not changed', () => {
    const WINDOW = 60_000;
    const step = fc.record({
      advanceMs: fc.integer({ min: 0, max: 40_000 }),
      rows: fc.array(
        fc.record({
          metric: fc.constantFrom('respiratoryRate', 'spo2', 'systolic', 'pulse', 'heartRate', 'bodyTemperature', 'bodyWeight'),
          value: fc.constantFrom(8, 12, 20, 25, 35.5, 38.2, 50, 70, 91, 96, 100, 115, 135, 220),
          agoMs: fc.constantFrom(0, 1_000, 30_000, 59_999, 60_000, 60_001, 90_000), // ties, and either side of the window's edge
        }),
        { maxLength: 4 },
      ),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 25 }), (steps) => {
        const watch = new News2Watch(WINDOW, () => undefined, () => 1);
        // The plain version: the newest value of each parameter (a later row wins a tie), scored whole each time.
        const latest = new Map<string, { value: number; atMs: number }>();
        let now = 1_000_000;
        let last: unknown;
        for (const { advanceMs, rows } of steps) {
          now += advanceMs;
          const stored = rows.map((r) => row(r.metric, r.value, now - r.agoMs));
          for (const r of stored) {
            const parameter = (NEWS2_METRICS as Record<string, string>)[r.metric];
            if (parameter === undefined || !Object.hasOwn(NEWS2_METRICS, r.metric)) continue;
            const known = latest.get(parameter);
            if (known === undefined || r.takenAtMs >= known.atMs) latest.set(parameter, { value: r.value, atMs: r.takenAtMs });
          }
          const input: Record<string, number> = { spo2Scale: 1 };
          for (const [parameter, v] of latest) if (v.atMs >= now - WINDOW) input[parameter] = v.value;
          const expected = news2(input as News2Input);
          const scored = watch.update('p', readingsOf(stored), now);
          if (scored !== undefined) {
            const { alerting: _, ...score } = scored;
            expect(score).toEqual(expected);
            last = expected;
          } else if (stored.some((r) => Object.hasOwn(NEWS2_METRICS, r.metric))) expect(expected).toEqual(last);
        }
      }),
      { numRuns: 500 },
    );
  });
});
