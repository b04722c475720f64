import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReadingTuple } from '../../src/store/reading-encoding.js';
import { CommitRollups, type MinuteRollup } from '../../src/store/rollups.js';

/** What a commit's rollups mean, written plainly: one entry per `patient|metric|minute` key. */
function oracle(readings: readonly ReadingTuple[]): MinuteRollup[] {
  const minutes = new Map<string, MinuteRollup>();
  for (const t of readings) {
    const [, , patient, , , takenAt, , , , , , metrics, values] = t;
    metrics.forEach((metric, v) => {
      const value = values[v] as number;
      const minute = Math.floor(takenAt / 60_000);
      const m = minutes.get(`${patient}|${metric}|${minute}`);
      if (m === undefined) minutes.set(`${patient}|${metric}|${minute}`, [patient, metric, minute, value, value, value, 1]);
      else minutes.set(`${patient}|${metric}|${minute}`, [patient, metric, minute, Math.min(m[3], value), Math.max(m[4], value), m[5] + value, m[6] + 1]);
    });
  }
  return [...minutes.values()];
}

const METRICS = ['systolic', 'diastolic', 'pulse', 'spo2'];

/** A stored reading: some of the metrics (each once) and their values, taken within a few minutes. */
const reading: fc.Arbitrary<ReadingTuple> = fc
  .record({
    device: fc.constantFrom('d1', 'd2', 'd3'),
    patient: fc.constantFrom('9000000009', '9000000017'),
    takenAt: fc.integer({ min: 0, max: 5 }).map((s) => 1_700_000_000_000 + s * 45_000),
    metrics: fc.subarray(METRICS, { minLength: 1 }),
    values: fc.array(fc.integer({ min: 30, max: 250 }), { minLength: 4, maxLength: 4 }),
  })
  .map(({ device, patient, takenAt, metrics, values }) => [
    `${device}|${takenAt}`, device, patient, 'bp', '{}', takenAt, takenAt, takenAt, null, null, null,
    metrics, values.slice(0, metrics.length),
  ]);

const sorted = <T extends readonly unknown[]>(rows: T[]): T[] => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe('CommitRollups', () => {
  it('sums each patient, metric and minute once, as the plain keyed version does', () => {
    fc.assert(
      fc.property(fc.array(reading, { maxLength: 40 }), (readings) => {
        const rollups = new CommitRollups();
        for (const r of readings) rollups.add(r);
        expect(sorted(rollups.minutes())).toEqual(sorted(oracle(readings)));
      }),
      { numRuns: 300 },
    );
  });

  it('goes back to a minute met before when a later value falls in it again', () => {
    const at = (s: number, value: number): ReadingTuple => ['k', 'd1', 'p', 'bp', '{}', s * 1000, s * 1000, s * 1000, null, null, null, ['pulse'], [value]];
    const rollups = new CommitRollups();
    for (const [s, v] of [[0, 60], [70, 80], [10, 70]] as const) rollups.add(at(s, v));
    expect(sorted(rollups.minutes())).toEqual([
      ['p', 'pulse', 0, 60, 70, 130, 2],
      ['p', 'pulse', 1, 80, 80, 80, 1],
    ]);
  });
});
