import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/index.js';
import { createLogger } from '../../src/observability/index.js';
import { AlertEngine } from '../../src/outputs/alerts/index.js';
import type { BreachStart, CommitBatch } from '../../src/store/reading-store.js';
import { row } from '../contracts/reading-store.contract.js';
import { shippedProfile } from '../helpers/profiles.js';

function engine() {
  const batches: CommitBatch[] = [];
  const e = new AlertEngine(() => [], () => [{ id: 'dr-a', webhookUrl: undefined }], async (b) => batches.push(b), () => {}, new ManualClock(1_000), { alertChanged: () => {} }, createLogger({ level: 'silent' }));
  e.start();
  return { e, batches, changes: () => batches.flatMap((b) => b.alerts ?? []) };
}

describe('AlertEngine: home BP averages [NICE NG136]', () => {
  it('opens one alert for a stage, keeps it through further staged averages, and resolves it on a normal one', async () => {
    const { e, batches, changes } = engine();
    e.homeBpAverage('p1', { classification: 'stage-2', systolic: 152, diastolic: 96 });
    e.homeBpAverage('p1', { classification: 'stage-1', systolic: 140, diastolic: 86 });
    e.homeBpAverage('p1', { classification: 'normal', systolic: 128, diastolic: 80 });
    e.homeBpAverage('p1', { classification: 'normal', systolic: 126, diastolic: 79 });
    await e.settled();
    expect(changes().map((c) => [c.alert.state, c.alert.severity, c.alert.ruleId])).toEqual([['open', 'warning', 'hbpm'], ['resolved', 'warning', 'hbpm']]);
    // Changes made together share one commit, each with its delivery (the clinician's MQTT topic).
    expect(batches.map((b) => b.outbox?.map((o) => o.sink))).toEqual([['alert-mqtt', 'alert-mqtt']]);
  });
});

describe('AlertEngine: a condition worsening while its alert is open', () => {
  it('updates the alert to the worse severity and message, open again, and tells everyone; a better one changes nothing', async () => {
    const { e, changes } = engine();
    e.homeBpAverage('p1', { classification: 'stage-1', systolic: 138, diastolic: 86 });
    e.homeBpAverage('p1', { classification: 'stage-2', systolic: 156, diastolic: 97 });
    e.homeBpAverage('p1', { classification: 'stage-1', systolic: 139, diastolic: 87 });
    e.homeBpAverage('p1', { classification: 'normal', systolic: 128, diastolic: 80 });
    await e.settled();
    const seen = changes().map((c) => [c.alert.state, c.alert.severity, c.alert.value, c.note]);
    expect(seen).toEqual([
      ['open', 'info', 138, undefined],
      ['open', 'warning', 156, 'worsened from info to warning'],
      ['resolved', 'warning', 128, expect.stringContaining('below stage 1')],
    ]);
    expect(new Set(changes().map((c) => c.alert.id)).size).toBe(1);
    expect(changes()[1]?.alert.message).toContain('156/97');
  });
});

describe('AlertEngine: commits', () => {
  it('keeps one commit in flight; changes made meanwhile go together in the next, in order', async () => {
    const batches: CommitBatch[] = [];
    const release: (() => void)[] = [];
    const submit = (b: CommitBatch) => new Promise<void>((resolve) => release.push(() => resolve(void batches.push(b))));
    const e = new AlertEngine(() => [], () => [], submit, () => {}, new ManualClock(1_000), { alertChanged: () => {} }, createLogger({ level: 'silent' }));
    e.start();
    const stage = (p: string, classification: 'stage-2' | 'normal') => e.homeBpAverage(p, { classification, systolic: 150, diastolic: 95 });
    stage('p1', 'stage-2');
    await Promise.resolve();
    expect(release).toHaveLength(1); // the first commit is in flight
    stage('p2', 'stage-2');
    stage('p1', 'normal');
    stage('p3', 'stage-2');
    release.shift()?.();
    await new Promise((r) => setImmediate(r));
    expect(release).toHaveLength(1); // one more commit, for the three changes made while the first was in flight
    release.shift()?.();
    await e.settled();
    expect(batches.map((b) => (b.alerts ?? []).map((c) => `${c.alert.patientNhs}:${c.alert.state}`))).toEqual([['p1:open'], ['p2:open', 'p1:resolved', 'p3:open']]);
  });
});

describe('AlertEngine: duration rules across a restart', () => {
  const profile = shippedProfile('wrist-wearable'); // sustained-tachycardia: heart rate above 130 for 5 minutes
  const device = { deviceId: 'watch-1', patientNhs: '9434765919', profile };
  const t0 = 1_773_477_000_000;
  const hr = (value: number, takenAtMs: number) => [row({ deviceId: 'watch-1', profileId: profile.id, metric: 'heartRate', value, unit: '/min', takenAtMs, deviceTakenAtMs: takenAtMs })];
  const started = (breaches: readonly BreachStart[]) => {
    const batches: CommitBatch[] = [];
    const e = new AlertEngine(() => [], () => [], async (b) => batches.push(b), () => {}, new ManualClock(t0), { alertChanged: () => {} }, createLogger({ level: 'silent' }));
    e.start(breaches);
    return { e, batches, changes: () => batches.flatMap((b) => b.alerts ?? []), breaches: () => batches.flatMap((b) => b.breaches ?? []) };
  };

  it('keeps when a breach began, so the count goes on after a restart instead of starting again', async () => {
    const before = started([]);
    before.e.observe(device, hr(140, t0));
    await before.e.settled();
    expect(before.changes()).toEqual([]);
    const kept = before.breaches();
    expect(kept).toEqual([{ key: '9434765919|watch-1|sustained-tachycardia', sinceMs: t0 }]);

    const after = started(kept);
    after.e.observe(device, hr(141, t0 + 5 * 60_000));
    await after.e.settled();
    expect(after.changes().map((c) => [c.alert.ruleId, c.alert.state])).toEqual([['sustained-tachycardia', 'open']]);
    expect(after.breaches()).toEqual([{ key: '9434765919|watch-1|sustained-tachycardia', sinceMs: undefined }]); // the alert took over

    const forgetful = started([]);
    forgetful.e.observe(device, hr(141, t0 + 5 * 60_000));
    await forgetful.e.settled();
    expect(forgetful.changes()).toEqual([]); // without it, the 5 minutes start again
  });

  it('forgets a breach that ends before its duration, once, and records nothing for values in range', async () => {
    const { e, breaches, changes } = started([{ key: '9434765919|watch-1|sustained-tachycardia', sinceMs: t0 }]);
    e.observe(device, hr(110, t0 + 60_000));
    e.observe(device, hr(100, t0 + 120_000));
    await e.settled();
    expect(changes()).toEqual([]);
    expect(breaches()).toEqual([{ key: '9434765919|watch-1|sustained-tachycardia', sinceMs: undefined }]);
  });
});
