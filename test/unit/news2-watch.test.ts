import { describe, expect, it } from 'vitest';
import type { ReadingRow } from '../../src/domain/index.js';
import { News2Watch } from '../../src/outputs/alerts/index.js';

const row = (metric: string, value: number, takenAtMs: number): ReadingRow => ({
  idempotencyKey: `${metric}${takenAtMs}`, deviceId: 'd', patientNhs: 'p', profileId: 'x', metric, value, unit: '1', sourceUnit: undefined,
  deviceTakenAtMs: takenAtMs, takenAtMs, receivedAtMs: takenAtMs, clockOffsetMs: undefined, messageId: undefined,
});

describe('News2Watch', () => {
  it('starts from the stored latest values, keeps the newest of each parameter, and forgets those older than the window', () => {
    const loads: string[] = [];
    const stored: Record<string, { value: number; takenAtMs: number }> = { respiratoryRate: { value: 26, takenAtMs: 1_000 }, heartRate: { value: 120, takenAtMs: 2_000 }, pulse: { value: 60, takenAtMs: 1_500 } };
    const watch = new News2Watch(60_000, (_p, metric) => (loads.push(metric), stored[metric]), () => 1);
    const first = watch.update('p', [row('spo2', 96, 3_000)], 10_000);
    // RR 26 → 3, pulse from the newer heartRate 120 → 2, SpO2 96 → 0.
    expect(first).toMatchObject({ total: 5, subscores: { respiratoryRate: 3, pulse: 2, spo2: 0 }, partial: true, alerting: true });
    expect(loads).toHaveLength(6);
    // An older pulse does not replace the newer one (nothing changes, so no new score); nothing is loaded again.
    expect(watch.update('p', [row('pulse', 45, 1_800)], 11_000)).toBeUndefined();
    // The same value again changes nothing either; a new one does.
    expect(watch.update('p', [row('spo2', 96, 4_000)], 12_000)).toBeUndefined();
    expect(watch.update('p', [row('spo2', 91, 5_000)], 13_000)).toMatchObject({ total: 8, subscores: { spo2: 3 } });
    expect(loads).toHaveLength(6);
    // A minute later the respiratory rate is out of the window; the SpO2 of 91 (at 5 s) is not.
    expect(watch.update('p', [row('pulse', 70, 62_000)], 62_000)).toMatchObject({ total: 3, subscores: { respiratoryRate: null, spo2: 3, pulse: 0 }, alerting: true });
    // Later still only the new pulse is left; the SpO2 dropping out re-scores even with the same pulse.
    expect(watch.update('p', [row('pulse', 70, 62_000)], 70_000)).toMatchObject({ total: 0, subscores: { spo2: null }, alerting: false });
    expect(watch.update('p', [row('bodyWeight', 80, 63_000)], 63_000)).toBeUndefined();
  });

  it("uses the patient's SpO2 scale", () => {
    const watch = new News2Watch(60_000, () => undefined, (p) => (p === 'copd' ? 2 : 1));
    expect(watch.update('copd', [row('spo2', 88, 1)], 2)?.subscores.spo2).toBe(0);
    expect(watch.update('other', [row('spo2', 88, 1)], 2)?.subscores.spo2).toBe(3);
  });
});
