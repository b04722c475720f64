import { readingsOf } from '../../src/domain/index.js';
import { describe, expect, it } from 'vitest';
import type { ApiTokenStore, AuditTrail, CareViews, OptOutStore, PointValue, SessionStore } from '../../src/store/care-views.js';
import type { ClinicianStore } from '../../src/store/clinician-store.js';
import type { DeviceStore } from '../../src/store/device-store.js';
import type { ReadingStore } from '../../src/store/reading-store.js';
import { withFixture, type Awaitable, type Fixture, type FixtureFactory } from './fixture.js';
import { row } from './reading-store.contract.js';
import { deviceRecord } from '../helpers/records.js';

/** The ports the web app reads, with the writers that fill them. */
export interface CareStores {
  readonly readings: Awaitable<Pick<ReadingStore, 'commit'>>;
  readonly devices: Awaitable<Pick<DeviceStore, 'insert'>>;
  readonly clinicians: Awaitable<Pick<ClinicianStore, 'insert'>>;
  readonly views: Awaitable<CareViews>;
  readonly audit: Awaitable<AuditTrail>;
  readonly tokens: Awaitable<ApiTokenStore>;
  readonly sessions: Awaitable<SessionStore>;
  readonly research: Awaitable<OptOutStore>;
}

export type CareStoresFixture = Fixture<CareStores>;

const A = '9434765919';
const B = '4010232137';
const MIN = 60_000;
const HOUR = 3_600_000;
/** A whole hour (the stores agree on bucket times to the minute). */
const T0 = 480_000 * HOUR;

/** A blood pressure reading of A's cuff (both values, one message). */
const bp = (at: number, systolic: number, diastolic: number, messageId = `bp-${at}`) => [
  row({ deviceId: 'cuff', patientNhs: A, profileId: 'bp-upper-arm', metric: 'systolic', value: systolic, unit: 'mm[Hg]', takenAtMs: at, deviceTakenAtMs: at, messageId }),
  row({ deviceId: 'cuff', patientNhs: A, profileId: 'bp-upper-arm', metric: 'diastolic', value: diastolic, unit: 'mm[Hg]', takenAtMs: at, deviceTakenAtMs: at, messageId }),
];
const spo2 = (deviceId: string, patientNhs: string, at: number, value: number) =>
  row({ deviceId, patientNhs, profileId: 'pulse-oximeter', metric: 'spo2', value, unit: '%', takenAtMs: at, deviceTakenAtMs: at, messageId: `ox-${at}` });

/** The behaviour every adapter of the web app's store ports must have. */
export function describeCareStoreContract(name: string, create: FixtureFactory<CareStoresFixture>): void {
  describe(`CareViews, AuditTrail, ApiTokenStore, SessionStore and OptOutStore contract: ${name}`, () => {
    const withStores = (fn: (s: Awaitable<CareStores>) => Promise<void>) =>
      withFixture(create, async (s) => {
        await s.devices.insert(deviceRecord('cuff', 'bp-upper-arm', A, 1));
        await s.devices.insert(deviceRecord('ox-a', 'pulse-oximeter', A, 2));
        await s.devices.insert(deviceRecord('ox-b', 'pulse-oximeter', B, 3));
        await fn(s);
      });

    it("gives each patient's latest value of each metric asked, in the order asked, never a retracted one", withStores(async (s) => {
      const [sys, dia] = bp(T0 + 2 * MIN, 150, 95);
      await s.readings.commit({ readings: readingsOf([...bp(T0, 128, 82), spo2('ox-a', A, T0 + MIN, 97), spo2('ox-b', B, T0, 91)]), deadLetters: [], health: [] });
      await s.readings.commit({ readings: readingsOf([sys!, dia!]), deadLetters: [], health: [] });
      const latest = await s.views.latestOf([A, B, '9999999999'], ['systolic', 'heartRate', 'spo2']);
      const brief = (list: readonly PointValue[] | undefined) => list?.map((p) => [p.metric, p.value, p.unit, p.takenAtMs, p.deviceId, p.status]);
      expect(brief(latest.get(A))).toEqual([['systolic', 150, 'mm[Hg]', T0 + 2 * MIN, 'cuff', 'final'], ['spo2', 97, '%', T0 + MIN, 'ox-a', 'final']]);
      expect(brief(latest.get(B))).toEqual([['spo2', 91, '%', T0, 'ox-b', 'final']]);
      expect(latest.get('9999999999')).toEqual([]);
      // The newest reading retracted: the one before it is the latest again.
      await s.readings.commit({ readings: [], deadLetters: [], health: [], corrections: [{ deviceId: 'cuff', readingKey: sys!.idempotencyKey, action: 'retract', before: { systolic: 150, diastolic: 95 }, after: undefined, reason: 'cuff slipped', requestedBy: 'cli:test', atMs: T0 + 3 * MIN }] });
      expect(brief((await s.views.latestOf([A], ['systolic', 'diastolic'])).get(A))).toEqual([['systolic', 128, 'mm[Hg]', T0, 'cuff', 'final'], ['diastolic', 82, 'mm[Hg]', T0, 'cuff', 'final']]);
    }));

    it('gives the newest value of a metric two profiles carry, passing over readings without it; a later reading wins a tie', withStores(async (s) => {
      const pulse = (deviceId: string, profileId: string, at: number, value: number, messageId: string) =>
        row({ deviceId, patientNhs: A, profileId, metric: 'pulse', value, unit: '/min', takenAtMs: at, deviceTakenAtMs: at, messageId });
      // The cuff's pulse at T0, the oximeter's a minute later, then a cuff reading with no pulse (its newest reading).
      await s.readings.commit({ readings: readingsOf([...bp(T0, 128, 82, 'c0'), pulse('cuff', 'bp-upper-arm', T0, 70, 'c0')]), deadLetters: [], health: [] });
      await s.readings.commit({ readings: readingsOf([spo2('ox-a', A, T0 + MIN, 97), pulse('ox-a', 'pulse-oximeter', T0 + MIN, 88, `ox-${T0 + MIN}`)]), deadLetters: [], health: [] });
      await s.readings.commit({ readings: readingsOf(bp(T0 + 2 * MIN, 131, 84)), deadLetters: [], health: [] });
      const brief = async () => (await s.views.latestOf([A], ['systolic', 'pulse'])).get(A)?.map((p) => [p.metric, p.value, p.takenAtMs, p.deviceId]);
      expect(await brief()).toEqual([['systolic', 131, T0 + 2 * MIN, 'cuff'], ['pulse', 88, T0 + MIN, 'ox-a']]);
      // Both devices at one time: the reading stored later is the latest.
      await s.readings.commit({ readings: readingsOf([...bp(T0 + 3 * MIN, 125, 80, 'c3'), pulse('cuff', 'bp-upper-arm', T0 + 3 * MIN, 72, 'c3')]), deadLetters: [], health: [] });
      expect(await brief()).toEqual([['systolic', 125, T0 + 3 * MIN, 'cuff'], ['pulse', 72, T0 + 3 * MIN, 'cuff']]);
      await s.readings.commit({ readings: readingsOf([pulse('ox-a', 'pulse-oximeter', T0 + 3 * MIN, 90, 'ox-3')]), deadLetters: [], health: [] });
      expect(await brief()).toEqual([['systolic', 125, T0 + 3 * MIN, 'cuff'], ['pulse', 90, T0 + 3 * MIN, 'ox-a']]);
    }));

    it("lists a patient's newest values, readings' values together and retracted ones marked", withStores(async (s) => {
      const [sys, dia] = bp(T0 + 2 * MIN, 150, 95);
      await s.readings.commit({ readings: readingsOf([...bp(T0, 128, 82), spo2('ox-a', A, T0 + MIN, 97), sys!, dia!, spo2('ox-b', B, T0 + 5 * MIN, 91)]), deadLetters: [], health: [] });
      await s.readings.commit({ readings: [], deadLetters: [], health: [], corrections: [{ deviceId: 'cuff', readingKey: sys!.idempotencyKey, action: 'retract', before: { systolic: 150, diastolic: 95 }, after: undefined, reason: undefined, requestedBy: 'cli:test', atMs: T0 + 3 * MIN }] });
      const recent = await s.views.recent(A, 4);
      expect(recent.map((p) => [p.metric, p.value, p.takenAtMs, p.status])).toEqual([
        ['systolic', 150, T0 + 2 * MIN, 'entered-in-error'],
        ['diastolic', 95, T0 + 2 * MIN, 'entered-in-error'],
        ['spo2', 97, T0 + MIN, 'final'],
        ['systolic', 128, T0, 'final'],
      ]);
      // A reading's values share its id.
      expect(recent[0]?.id).toBe(recent[1]?.id);
      expect(recent[2]?.id).not.toBe(recent[0]?.id);
    }));

    it('lists patients\' devices with their health, oldest first', withStores(async (s) => {
      await s.readings.commit({
        readings: readingsOf([spo2('ox-a', A, T0, 97)]),
        deadLetters: [],
        health: [
          { deviceId: 'ox-a', seenAtMs: T0 + MIN, readingAtMs: T0, clockOffsetMs: -4_000, clockDrift: true, status: { batteryPct: 15 } },
          { deviceId: 'ox-b', seenAtMs: T0 + 2 * MIN },
        ],
      });
      const rows = await s.views.devicesOf([A, B]);
      expect(rows.map((d) => d.deviceId)).toEqual(['cuff', 'ox-a', 'ox-b']);
      expect(rows[0]).toEqual({ deviceId: 'cuff', profileId: 'bp-upper-arm', patientNhs: A, status: 'active', createdAtMs: 1, lastSeenAtMs: undefined, lastReadingAtMs: undefined, batteryPct: undefined, clockOffsetMs: undefined, clockDrift: false });
      expect(rows[1]).toEqual({ deviceId: 'ox-a', profileId: 'pulse-oximeter', patientNhs: A, status: 'active', createdAtMs: 2, lastSeenAtMs: T0 + MIN, lastReadingAtMs: T0, batteryPct: 15, clockOffsetMs: -4_000, clockDrift: true });
      expect((await s.views.devicesOf([B])).map((d) => [d.deviceId, d.lastSeenAtMs])).toEqual([['ox-b', T0 + 2 * MIN]]);
    }));

    it('gives a series as every value when few, else buckets keeping each extreme; retracted values never count', withStores(async (s) => {
      // 40 readings a minute apart over 40 minutes; one of them a spike; one retracted.
      const rows = Array.from({ length: 40 }, (_, i) => bp(T0 + i * MIN, i === 17 ? 210 : 120 + (i % 5), 80)).flat();
      await s.readings.commit({ readings: readingsOf(rows), deadLetters: [], health: [] });
      const retracted = rows[2 * 30]!;
      await s.readings.commit({ readings: [], deadLetters: [], health: [], corrections: [{ deviceId: 'cuff', readingKey: retracted.idempotencyKey, action: 'retract', before: { systolic: 120, diastolic: 80 }, after: undefined, reason: undefined, requestedBy: 'cli:test', atMs: T0 + HOUR }] });
      const few = await s.views.series(A, 'systolic', T0, T0 + 10 * MIN, 100);
      expect('points' in few && few.points.map((p) => [p.value, p.takenAtMs, p.unit])).toEqual(Array.from({ length: 10 }, (_, i) => [120 + (i % 5), T0 + i * MIN, 'mm[Hg]']));
      const many = await s.views.series(A, 'systolic', T0, T0 + 40 * MIN, 20);
      if (!('buckets' in many)) throw new Error('expected buckets');
      // 10 buckets of 4 minutes.
      expect(many.buckets).toHaveLength(10);
      expect(many.buckets.reduce((n, b) => n + b.count, 0)).toBe(39);
      expect(Math.max(...many.buckets.map((b) => b.max))).toBe(210);
      expect(Math.min(...many.buckets.map((b) => b.min))).toBe(120);
      const spike = many.buckets.find((b) => b.max === 210);
      expect(spike?.fromMs).toBeLessThanOrEqual(T0 + 17 * MIN);
      expect(spike?.toMs).toBeGreaterThanOrEqual(T0 + 17 * MIN);
      expect(many.buckets[7]?.count).toBe(3); // minutes 28–31, minute 30 retracted
      expect(many.buckets[0]).toMatchObject({ min: 120, max: 123, mean: 121.5, count: 4 });
      expect(await s.views.series(A, 'spo2', T0, T0 + 40 * MIN, 20)).toEqual({ points: [] });
    }));

    it('gives sparklines: each patient\'s mean per bucket, timed by the minute of its newest value', withStores(async (s) => {
      await s.readings.commit({
        readings: readingsOf([spo2('ox-a', A, T0 + 5_000, 96), spo2('ox-a', A, T0 + MIN + 7_000, 98), spo2('ox-a', A, T0 + 13 * HOUR, 90), spo2('ox-b', B, T0 + 2 * HOUR, 93), ...bp(T0, 128, 82)]),
        deadLetters: [],
        health: [],
      });
      const sparks = await s.views.sparks([[A, 'spo2'], [B, 'spo2']], T0, 12 * HOUR);
      expect(sparks.get(A)).toEqual([{ atMs: T0 + MIN, value: 97 }, { atMs: T0 + 13 * HOUR, value: 90 }]);
      expect(sparks.get(B)).toEqual([{ atMs: T0 + 2 * HOUR, value: 93 }]);
      expect((await s.views.sparks([[A, 'systolic']], T0 + HOUR, 12 * HOUR)).get(A)).toBeUndefined();
    }));

    it('keeps the audit trail newest first, filtered and paged, and each patient\'s latest review', withStores(async (s) => {
      const entry = (atMs: number, actor: string, action: string, patientNhs: string | undefined, outcome: 'ok' | 'refused' = 'ok') => ({ atMs, actor, role: 'clinician', action, patientNhs, target: undefined, address: '10.0.0.1', outcome });
      await s.readings.commit({
        readings: [],
        deadLetters: [],
        health: [],
        audit: [entry(1_000, 'dr-a', 'patient.view', A), entry(2_000, 'dr-b', 'patient.view', B, 'refused'), entry(3_000, 'dr-a', 'patients.list', undefined)],
        reviews: [{ patientNhs: A, by: 'dr-a', atMs: 1_500 }],
      });
      await s.readings.commit({ readings: [], deadLetters: [], health: [], audit: [entry(4_000, 'dr-a', 'patient.view', B)], reviews: [{ patientNhs: A, by: 'dr-b', atMs: 4_500 }] });
      const all = await s.audit.list();
      expect(all.map((e) => [e.atMs, e.actor, e.action, e.patientNhs, e.outcome])).toEqual([
        [4_000, 'dr-a', 'patient.view', B, 'ok'],
        [3_000, 'dr-a', 'patients.list', undefined, 'ok'],
        [2_000, 'dr-b', 'patient.view', B, 'refused'],
        [1_000, 'dr-a', 'patient.view', A, 'ok'],
      ]);
      expect(all[0]).toEqual({ id: expect.any(Number), atMs: 4_000, actor: 'dr-a', role: 'clinician', action: 'patient.view', patientNhs: B, target: undefined, address: '10.0.0.1', outcome: 'ok' });
      expect((await s.audit.list({ patientNhs: B })).map((e) => e.atMs)).toEqual([4_000, 2_000]);
      expect((await s.audit.list({ actor: 'dr-a', sinceMs: 2_000 })).map((e) => e.atMs)).toEqual([4_000, 3_000]);
      expect((await s.audit.list({ beforeId: all[1]!.id, limit: 1 })).map((e) => e.atMs)).toEqual([2_000]);
      expect(await s.audit.lastReview(A)).toEqual({ patientNhs: A, by: 'dr-b', atMs: 4_500 });
      expect(await s.audit.lastReview(B)).toBeUndefined();
      expect([...(await s.audit.reviews())]).toEqual([[A, { patientNhs: A, by: 'dr-b', atMs: 4_500 }]]);
    }));

    it('finds a live API token by its hash only, lists and revokes tokens', withStores(async (s) => {
      for (const id of ['dr-a', 'dr-b']) await s.clinicians.insert({ id, name: id, role: 'clinician', secretHash: 'x', status: 'active', createdAtMs: 0, webhookUrl: undefined });
      await s.tokens.insert({ id: 't1', accountId: 'dr-a', tokenHash: 'h1', name: 'ward tablet', createdAtMs: 1_000 });
      await s.tokens.insert({ id: 't2', accountId: 'dr-b', tokenHash: 'h2', name: 'script', createdAtMs: 2_000 });
      expect(await s.tokens.byHash('h1')).toEqual({ id: 't1', accountId: 'dr-a', name: 'ward tablet', createdAtMs: 1_000, revokedAtMs: undefined });
      expect(await s.tokens.byHash('t1')).toBeUndefined();
      expect((await s.tokens.list()).map((t) => t.id)).toEqual(['t1', 't2']);
      expect((await s.tokens.list('dr-b')).map((t) => t.id)).toEqual(['t2']);
      expect(await s.tokens.revoke('t1', 3_000)).toBe(true);
      expect(await s.tokens.revoke('t1', 4_000)).toBe(false);
      expect(await s.tokens.byHash('h1')).toBeUndefined();
      expect((await s.tokens.list('dr-a'))[0]?.revokedAtMs).toBe(3_000);
    }));

    it('keeps sessions by digest, restarts their idle clock, forgets the idle ones', withStores(async (s) => {
      const session = (digest: string, lastUsedAtMs: number) => ({ digest, accountId: 'dr-a', csrf: `csrf-${digest}`, createdAtMs: 1_000, lastUsedAtMs, via: 'local' as const });
      await s.sessions.insert(session('d1', 1_000));
      await s.sessions.insert(session('d2', 2_000));
      expect(await s.sessions.get('d1')).toEqual(session('d1', 1_000));
      await s.sessions.touch('d1', 9_000);
      expect((await s.sessions.get('d1'))?.lastUsedAtMs).toBe(9_000);
      expect(await s.sessions.sweep(5_000)).toBe(1);
      expect(await s.sessions.get('d2')).toBeUndefined();
      await s.sessions.delete('d1');
      expect(await s.sessions.get('d1')).toBeUndefined();
    }));

    it('records research opt-outs, the earlier time and source kept when nothing changes', withStores(async (s) => {
      expect(await s.research.optOut(A)).toBeUndefined();
      expect(await s.research.setOptOut({ patientNhs: A, optedOut: true, setAtMs: 1_000, source: 'ndop' })).toBe(true);
      expect(await s.research.setOptOut({ patientNhs: A, optedOut: true, setAtMs: 2_000, source: 'clinician:dr-a' })).toBe(false);
      expect(await s.research.optOut(A)).toEqual({ patientNhs: A, optedOut: true, setAtMs: 1_000, source: 'ndop' });
      expect(await s.research.setOptOut({ patientNhs: B, optedOut: false, setAtMs: 3_000, source: 'cli' })).toBe(true);
      expect(await s.research.setOptOut({ patientNhs: A, optedOut: false, setAtMs: 4_000, source: 'cli' })).toBe(true);
      expect((await s.research.optOuts()).map((o) => [o.patientNhs, o.optedOut, o.setAtMs])).toEqual([[B, false, 3_000], [A, false, 4_000]]);
    }));

    it('records many opt-outs at once, counting the changes, and knows every patient with a device', withStores(async (s) => {
      await s.research.setOptOut({ patientNhs: A, optedOut: true, setAtMs: 1_000, source: 'ndop' });
      const C = '4010232145';
      const changed = await s.research.setOptOuts([
        { patientNhs: A, optedOut: true, setAtMs: 2_000, source: 'ndop' },
        { patientNhs: B, optedOut: true, setAtMs: 2_000, source: 'ndop' },
        { patientNhs: C, optedOut: true, setAtMs: 2_000, source: 'ndop' },
        { patientNhs: C, optedOut: false, setAtMs: 2_000, source: 'clinician:dr-a' },
      ]);
      expect(changed).toBe(2);
      expect((await s.research.optOuts()).map((o) => [o.patientNhs, o.optedOut, o.setAtMs, o.source])).toEqual([[B, true, 2_000, 'ndop'], [C, false, 2_000, 'clinician:dr-a'], [A, true, 1_000, 'ndop']]);
      expect(await s.research.setOptOuts([])).toBe(0);
      expect(await s.research.knownPatients()).toEqual([B, A]);
    }));
  });
}
