import { describe, expect, it } from 'vitest';
import { ManualClock, readingsOf } from '../../src/domain/index.js';
import { createLogger } from '../../src/observability/index.js';
import { AlertEngine } from '../../src/outputs/alerts/index.js';
import type { ReadingRow } from '../../src/domain/index.js';
import type { CommitPlan, DeviceContext, PlannedWork } from '../../src/pipeline/index.js';
import type { BreachStart, CommitBatch } from '../../src/store/reading-store.js';
import { row } from '../contracts/reading-store.contract.js';
import { shippedProfile } from '../helpers/profiles.js';

/**
 * The engine with a stand-in for the commit queue: each commit asked for (or each set of rows
 * observed) is planned and then settled as committed, or as failed when `failNext` says so.
 */
function harness(options: { breaches?: readonly BreachStart[]; clock?: ManualClock; stored?: Set<string>; noCommits?: boolean } = {}) {
  const batches: CommitBatch[] = [];
  let failNext = 0;
  const run = (works: PlannedWork[]): void => {
    const plan = e.plan(works);
    if (plan instanceof Promise) throw new Error('on its own store the engine plans at once');
    if (plan === undefined) return;
    if (failNext > 0) {
      failNext -= 1;
      plan.settle(false);
      return;
    }
    batches.push(plan.work);
    for (const w of works) for (const r of w.work.readings) options.stored?.add(r.idempotencyKey);
    plan.settle(true);
  };
  const e: AlertEngine = new AlertEngine({
    store: {
      unresolved: () => [],
      breaches: () => options.breaches ?? [],
      recipientsOf: () => [{ id: 'dr-a', webhookUrl: undefined }],
      existing: (keys) => new Set(keys.filter((k) => options.stored?.has(k) === true)),
    },
    requestCommit: async () => (options.noCommits === true ? undefined : run([{ work: { readings: [], deadLetters: [], health: [] }, device: undefined }])),
    committed: () => {},
    clock: options.clock ?? new ManualClock(1_000),
    metrics: { alertChanged: () => {} },
    log: createLogger({ level: 'silent' }),
  });
  void e.start(); // its own store: taken in before it returns
  return {
    e,
    batches,
    observe: (device: DeviceContext, rows: readonly ReadingRow[]) => run([{ work: { readings: readingsOf(rows), deadLetters: [], health: [] }, device }]),
    failNext: (n = 1) => (failNext = n),
    changes: () => batches.flatMap((b) => b.alerts ?? []),
    breaches: () => batches.flatMap((b) => b.breaches ?? []),
  };
}

describe('AlertEngine: home BP averages [NICE NG136]', () => {
  it('opens one alert for a stage, keeps it through further staged averages, and resolves it on a normal one', async () => {
    const { e, batches, changes } = harness();
    e.homeBpAverage('p1', { classification: 'stage-2', systolic: 152, diastolic: 96 });
    e.homeBpAverage('p1', { classification: 'stage-1', systolic: 140, diastolic: 86 });
    e.homeBpAverage('p1', { classification: 'normal', systolic: 128, diastolic: 80 });
    e.homeBpAverage('p1', { classification: 'normal', systolic: 126, diastolic: 79 });
    await e.settled();
    expect(changes().map((c) => [c.alert.state, c.alert.severity, c.alert.ruleId])).toEqual([['open', 'warning', 'hbpm'], ['resolved', 'warning', 'hbpm']]);
    // Each change is committed with its delivery (the clinician's MQTT topic).
    expect(batches.flatMap((b) => b.outbox?.map((o) => o.sink) ?? [])).toEqual(['alert-mqtt', 'alert-mqtt']);
  });
});

describe('AlertEngine: a condition worsening while its alert is open', () => {
  it('updates the alert to the worse severity and message, open again, and tells everyone; a better one changes nothing', async () => {
    const { e, changes } = harness();
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

describe('AlertEngine: duration rules across a restart', () => {
  const profile = shippedProfile('wrist-wearable'); // sustained-tachycardia: heart rate above 130 for 5 minutes
  const device = { deviceId: 'watch-1', patientNhs: '9434765919', profile };
  const t0 = 1_773_477_000_000;
  const hr = (value: number, takenAtMs: number) => [row({ deviceId: 'watch-1', profileId: profile.id, metric: 'heartRate', value, unit: '/min', takenAtMs, deviceTakenAtMs: takenAtMs })];
  const started = (breaches: readonly BreachStart[]) => harness({ breaches, clock: new ManualClock(t0) });

  it('keeps when a breach began, so the count goes on after a restart instead of starting again', async () => {
    const before = started([]);
    before.observe(device, hr(140, t0));
    await before.e.settled();
    expect(before.changes()).toEqual([]);
    const kept = before.breaches();
    expect(kept).toEqual([{ key: '9434765919|watch-1|sustained-tachycardia', sinceMs: t0 }]);

    const after = started(kept);
    after.observe(device, hr(141, t0 + 5 * 60_000));
    await after.e.settled();
    expect(after.changes().map((c) => [c.alert.ruleId, c.alert.state])).toEqual([['sustained-tachycardia', 'open']]);
    expect(after.breaches()).toEqual([{ key: '9434765919|watch-1|sustained-tachycardia', sinceMs: undefined }]); // the alert took over

    const forgetful = started([]);
    forgetful.observe(device, hr(141, t0 + 5 * 60_000));
    await forgetful.e.settled();
    expect(forgetful.changes()).toEqual([]); // without it, the 5 minutes start again
  });

  it('forgets a breach that ends before its duration, once, and records nothing for values in range', async () => {
    const { e, observe, breaches, changes } = started([{ key: '9434765919|watch-1|sustained-tachycardia', sinceMs: t0 }]);
    observe(device, hr(110, t0 + 60_000));
    observe(device, hr(100, t0 + 120_000));
    await e.settled();
    expect(changes()).toEqual([]);
    expect(breaches()).toEqual([{ key: '9434765919|watch-1|sustained-tachycardia', sinceMs: undefined }]);
  });
});

describe('AlertEngine: changes planned into the commit of their rows', () => {
  const profile = shippedProfile('bp-upper-arm'); // severe-hypertension: systolic above 179, clears at 170
  const device = { deviceId: 'cuff-1', patientNhs: '9434765919', profile };
  const systolic = (value: number, i: number) => [row({ deviceId: 'cuff-1', profileId: profile.id, metric: 'systolic', value, unit: 'mm[Hg]', takenAtMs: 1_000 + i, deviceTakenAtMs: 1_000 + i, idempotencyKey: `k${i}` })];
  const states = (changes: ReturnType<ReturnType<typeof harness>['changes']>) => changes.map((c) => `${c.alert.ruleId}:${c.alert.state}`);

  it('remembers nothing of a commit that failed: the next breach (or the redelivery) alerts', () => {
    const h = harness({ stored: new Set() });
    h.failNext();
    h.observe(device, systolic(190, 1)); // its commit fails: no alert is open
    h.observe(device, systolic(195, 2));
    expect(states(h.changes())).toEqual(['severe-hypertension:open']);
    expect(h.changes()[0]?.alert.value).toBe(195);
    h.failNext();
    h.observe(device, systolic(150, 3)); // the resolution fails too: the alert stays open
    h.observe(device, systolic(200, 4)); // so a breach now is a repeat, suppressed
    h.observe(device, systolic(150, 3)); // the redelivery of the failed one resolves it
    expect(states(h.changes())).toEqual(['severe-hypertension:open', 'severe-hypertension:resolved']);
  });

  it('changes nothing for rows already stored (a redelivery), and evaluates the new rows of the same commit without them', () => {
    const stored = new Set<string>();
    const h = harness({ stored });
    h.observe(device, systolic(190, 1));
    h.observe(device, systolic(150, 2));
    h.observe(device, systolic(190, 1)); // redelivered after the resolution: stored, so no new alert
    expect(states(h.changes())).toEqual(['severe-hypertension:open', 'severe-hypertension:resolved']);
    // A commit holding the redelivery and a new breach: the new breach alerts (it would be a
    // suppressed repeat if the redelivery were taken for new).
    h.observe(device, [...systolic(190, 1), ...systolic(195, 5)]);
    expect(states(h.changes()).slice(2)).toEqual(['severe-hypertension:open']);
    expect(h.changes()[2]?.alert.value).toBe(195);
  });

  it('never resolves an alert on a reading taken before the one that opened it, arriving late (a backlog, another worker\'s share)', () => {
    const h = harness({ stored: new Set() });
    h.observe(device, systolic(190, 5));
    h.observe(device, systolic(150, 2)); // taken earlier, committed later: the alert stays open
    expect(states(h.changes())).toEqual(['severe-hypertension:open']);
    expect(h.changes()[0]?.alert.sampleAtMs).toBe(1_005);
    h.observe(device, systolic(150, 6)); // taken after: back to normal
    expect(states(h.changes())).toEqual(['severe-hypertension:open', 'severe-hypertension:resolved']);
  });

  it('takes a row repeated within one commit once', () => {
    const h = harness({ stored: new Set() });
    h.observe(device, [...systolic(190, 1), ...systolic(150, 2), ...systolic(190, 1)]);
    expect(states(h.changes())).toEqual(['severe-hypertension:open', 'severe-hypertension:resolved']);
  });

  it('takes only the first reading of a key in one commit, as the store does: a message id sent again with other values causes nothing', () => {
    const h = harness({ stored: new Set() });
    const diastolic = row({ deviceId: 'cuff-1', profileId: profile.id, metric: 'diastolic', value: 125, unit: 'mm[Hg]', takenAtMs: 1_007, deviceTakenAtMs: 1_007, idempotencyKey: 'k7' });
    const first = systolic(150, 7);
    // The same key again, now with a severe diastolic: the store keeps the first reading only.
    h.observe(device, [...first, ...systolic(150, 7), diastolic]);
    expect(h.changes()).toEqual([]);
    // In a reading of its own (a new key), the same value alerts.
    h.observe(device, [{ ...diastolic, idempotencyKey: 'k8' }]);
    expect(states(h.changes())).toEqual(['severe-hypertension-diastolic:open']);
  });
});

describe('AlertEngine: plans made while the commit before is being written', () => {
  const profile = shippedProfile('bp-upper-arm'); // severe-hypertension: systolic above 179, clears at 170
  const device = { deviceId: 'cuff-1', patientNhs: '9434765919', profile };
  const reading = (metric: string, value: number, i: number): PlannedWork[] => [
    { device, work: { readings: readingsOf([row({ deviceId: 'cuff-1', profileId: profile.id, metric, value, unit: 'mm[Hg]', takenAtMs: 1_000 + i, deviceTakenAtMs: 1_000 + i, idempotencyKey: `k${i}` })]), deadLetters: [], health: [] } },
  ];
  const systolic = (value: number, i: number) => reading('systolic', value, i);
  const diastolic = (value: number, i: number) => reading('diastolic', value, i);
  const plan = (e: AlertEngine, w: PlannedWork[]) => e.plan(w) as CommitPlan;
  const states = (p: CommitPlan) => p.work.alerts?.map((c) => c.alert.state);

  it('makes the next plan on what the unsettled one changes, and takes both in once committed, in order', () => {
    const { e } = harness({ stored: new Set(), noCommits: true });
    const opens = plan(e, systolic(190, 1));
    expect(states(opens)).toEqual(['open']);
    expect(e.pipelines()).toBe(true);
    const repeat = plan(e, systolic(195, 2)); // open in the commit before: a repeat
    expect(states(repeat)).toEqual([]);
    const resolves = plan(e, systolic(150, 3));
    expect(states(resolves)).toEqual(['resolved']);
    expect(resolves.work.alerts?.[0]?.alert.id).toBe(opens.work.alerts?.[0]?.alert.id);
    for (const p of [opens, repeat, resolves]) p.settle(true);
    const quiet = plan(e, systolic(160, 4)); // resolved: nothing to clear
    expect(states(quiet)).toEqual([]);
    quiet.settle(true);
    expect(states(plan(e, systolic(185, 5)))).toEqual(['open']); // a new breach opens a new alert
  });

  it('fails every plan made on one that fails: nothing of them is remembered, and their refusals change nothing more', () => {
    const { e } = harness({ stored: new Set(), noCommits: true });
    const opens = plan(e, systolic(190, 1));
    const resolves = plan(e, systolic(150, 2)); // made on the open alert
    const opensOther = plan(e, diastolic(125, 3)); // another rule's alert, made on both
    expect(states(opensOther)).toEqual(['open']);
    opens.settle(false);
    // Planned on what is committed, not on the plans made on the failed one (their commits will be refused).
    const otherAgain = plan(e, diastolic(127, 4));
    expect(states(otherAgain)).toEqual(['open']);
    const again = plan(e, systolic(190, 1)); // the redelivery: opens afresh
    expect(states(again)).toEqual(['open']);
    resolves.settle(false); // the refusals change nothing more
    opensOther.settle(false);
    otherAgain.settle(true);
    again.settle(true);
    expect(states(plan(e, diastolic(126, 5)))).toEqual([]);
  });

  it('refuses to plan beside an unsettled commit what needs the store: a reading that may be a duplicate, or work of its own', () => {
    const stored = new Set<string>();
    const { e } = harness({ stored, noCommits: true });
    const quiet = plan(e, systolic(150, 5)); // changes nothing, but its reading is being written
    const opens = plan(e, systolic(190, 2)); // taken before it
    // k5 again: taken after the breach, it would resolve it, but it is in a commit being written, so whether it is new is not known yet.
    const redelivered = systolic(150, 5);
    expect(() => e.plan(redelivered)).toThrow(expect.objectContaining({ code: 'GW_COMMIT_UNSETTLED' }));
    e.homeBpAverage(device.patientNhs, { classification: 'stage-1', systolic: 140, diastolic: 86 });
    expect(e.pipelines()).toBe(false);
    expect(() => e.plan(systolic(192, 4))).toThrow(expect.objectContaining({ code: 'GW_COMMIT_UNSETTLED' }));
    quiet.settle(true);
    opens.settle(true);
    stored.add('k5');
    stored.add('k2');
    // Once settled: the duplicate changes nothing, and the waiting work is planned.
    expect(plan(e, redelivered).work.alerts?.map((c) => `${c.alert.ruleId}:${c.alert.state}`)).toEqual(['hbpm:open']);
  });
});
