import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { readingsOf, type ReadingRow } from '../../src/domain/index.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { describeReadingStoreContract, row } from '../contracts/reading-store.contract.js';
import { describeCareStoreContract } from '../contracts/care-store.contract.js';
import { MemorySessionStore } from '../../src/web/index.js';
import { tempDir } from '../helpers/gateway.js';
import { deviceRecord } from '../helpers/records.js';

const A = '9434765919';
const B = '9000000009';
const MIN = 60_000;
/** Minutes a few hours ago, so the triage sparklines' week holds them whatever the date. */
const T0 = Math.floor((Date.now() - 5 * 3_600_000) / MIN) * MIN;

function open(file: string, rollupsEveryMs: number): SqliteStore {
  return new SqliteStore(file, { rollupsEveryMs });
}

function addDevices(store: SqliteStore): void {
  for (const [id, patientNhs] of [['d1', A], ['d2', B]] as const) {
    store.devices.insert(deviceRecord(id, 'bp-upper-arm', patientNhs));
  }
}

/** A systolic reading of `device`'s patient `s` seconds after T0. */
const bp = (device: 'd1' | 'd2', s: number, value: number): ReadingRow =>
  row({ deviceId: device, patientNhs: device === 'd1' ? A : B, value, takenAtMs: T0 + s * 1000, deviceTakenAtMs: T0 + s * 1000, messageId: `${device}-${s}` });

const commit = (store: SqliteStore, rows: readonly ReadingRow[]) => store.readings.commit({ readings: readingsOf(rows), deadLetters: [], health: [] });

const retract = (store: SqliteStore, r: ReadingRow) =>
  store.readings.commit({
    readings: [],
    deadLetters: [],
    health: [],
    corrections: [{ deviceId: r.deviceId, readingKey: r.idempotencyKey, action: 'retract', before: { systolic: r.value }, after: undefined, reason: 'test', requestedBy: 'test', atMs: T0 }],
  });

/**
 * Everything the rollups and the per-patient index are read for: a chart's buckets and count, both
 * patients' sparklines, and each patient's points, latest values, newest readings, NEWS2 input,
 * values in a period, readings listed and research values.
 */
function views(store: SqliteStore) {
  const each = (nhs: string) => ({
    points: store.views.series(nhs, 'systolic', T0, T0 + 10 * MIN, 1000),
    latest: store.views.latest(nhs, ['systolic', 'diastolic']),
    recent: store.views.recent(nhs, 3),
    news2: store.readings.latest(nhs, 'systolic', T0 + 60_000),
    period: store.derived.period(nhs, 'systolic', T0, T0 + 4 * MIN),
    listed: store.readings.query({ patientNhs: nhs, metric: 'systolic', sinceMs: T0 + 30_000 }).map((r) => [r.id, r.value, r.status]),
    research: store.research.valueChunks(nhs, T0, T0 + 3 * MIN).flatMap((part) => [...part]),
  });
  return {
    chart: store.views.series(A, 'systolic', T0, T0 + 10 * MIN, 4),
    sparks: Object.fromEntries(store.views.sparks([[A, 'systolic'], [B, 'systolic']], T0 - 24 * 3_600_000, 3_600_000)),
    triage: Object.fromEntries(store.views.latestOf([A, B], ['systolic', 'diastolic'])),
    researched: store.research.patientsWithReadings(T0, T0 + 3 * MIN),
    a: each(A),
    b: each(B),
  };
}

/** Runs `fn` on a store of a fresh file, with its devices, that writes its rollups only when it must; closes and removes it after. */
function withTrailingStore(fn: (store: SqliteStore, file: string) => void): void {
  const tmp = tempDir();
  const file = join(tmp.dir, 'gateway.db');
  const store = open(file, Number.POSITIVE_INFINITY);
  try {
    addDevices(store);
    fn(store, file);
  } finally {
    store.close();
    tmp.remove();
  }
}

/** The rollups and the per-patient index as stored, and the readings they run through. */
function stored(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    return {
      rollups: db.prepare('SELECT patient_nhs, metric, minute, min, max, sum, count FROM reading_rollups ORDER BY 1, 2, 3').all(),
      through: db.prepare('SELECT reading_id FROM rollups_through').pluck().get() as number,
      index: db.prepare('SELECT * FROM reading_index').raw().all(),
      indexedThrough: db.prepare('SELECT reading_id FROM index_through').pluck().get() as number,
      last: db.prepare('SELECT COALESCE(MAX(id), 0) FROM readings').pluck().get() as number,
    };
  } finally {
    db.close();
  }
}

describe('per-minute rollups and the per-patient index written at most once a second', () => {
  it('reads charts, sparklines and every per-patient query exactly while the rollups and index trail the readings, and writes them when closed', () => {
    const tmp = tempDir();
    const trailing = open(join(tmp.dir, 'trailing.db'), Number.POSITIVE_INFINITY);
    const every = open(join(tmp.dir, 'every.db'), 0);
    try {
      for (const s of [trailing, every]) addDevices(s);
      const batches = [
        [bp('d1', 0, 120), bp('d2', 5, 150)],
        [bp('d1', 70, 130), bp('d1', 75, 110)],
        [bp('d1', 200, 180), bp('d2', 130, 140), bp('d1', 0, 120)], // the last a replay
        [bp('d1', 560, 125)],
      ];
      for (const rows of batches) for (const s of [trailing, every]) commit(s, rows);
      // The first commit wrote the trailing store's rollups; the three after it are read from their rows.
      const behind = stored(join(tmp.dir, 'trailing.db'));
      expect(behind.through).toBe(2);
      expect(behind.indexedThrough).toBe(2);
      expect(behind.last).toBe(7);
      expect(behind.rollups).toHaveLength(2);
      expect(behind.index).toHaveLength(2);
      expect(views(trailing)).toEqual(views(every));
      expect((views(trailing).chart as { buckets: { count: number }[] }).buckets.reduce((n, b) => n + b.count, 0)).toBe(5);
      trailing.close();
      every.close();
      const written = stored(join(tmp.dir, 'trailing.db'));
      expect(written.through).toBe(7);
      expect(written.indexedThrough).toBe(7);
      expect(written.rollups).toEqual(stored(join(tmp.dir, 'every.db')).rollups);
      expect(written.index).toHaveLength(7); // every reading stored, the replay once
      expect(written.index).toEqual(stored(join(tmp.dir, 'every.db')).index);
    } finally {
      trailing.close();
      every.close();
      tmp.remove();
    }
  });

  it('writes them before a correction sums its minute again, so a retracted reading not yet in them is never counted', () =>
    withTrailingStore((store, file) => {
      commit(store, [bp('d1', 0, 120)]);
      const late = bp('d1', 10, 200);
      commit(store, [late]); // not yet in the rollups
      retract(store, late);
      expect(stored(file)).toMatchObject({ through: 2, rollups: [{ minute: T0 / MIN, min: 120, max: 120, sum: 120, count: 1 }] });
      store.close();
      expect(stored(file).rollups).toEqual([expect.objectContaining({ count: 1, sum: 120 })]);
    }));

  it('sums the readings another store (another process, or one that stopped before writing them) left unrolled from their rows, counting none twice', () =>
    withTrailingStore((first, file) => {
      commit(first, [bp('d1', 0, 120)]);
      commit(first, [bp('d1', 10, 140)]); // kept in `first`'s memory only
      // Another store on the file (the command line, or the gateway restarted after a kill) writes first.
      const second = open(file, 0);
      try {
        commit(second, [bp('d2', 0, 150)]);
        expect(stored(file)).toMatchObject({ through: 3, last: 3 });
      } finally {
        second.close();
      }
      commit(first, [bp('d1', 20, 160)]);
      first.close(); // its sums are stale: what is after `rollups_through` is summed from the rows
      expect(stored(file)).toMatchObject({
        through: 4,
        rollups: [
          { patient_nhs: B, minute: T0 / MIN, sum: 150, count: 1 },
          { patient_nhs: A, minute: T0 / MIN, min: 120, max: 160, sum: 420, count: 3 },
        ],
      });
    }));

  it('forgets what a failed commit added', () =>
    withTrailingStore((store, file) => {
      commit(store, [bp('d1', 0, 120)]);
      commit(store, [bp('d1', 5, 100)]); // not yet in the rollups when the next commit fails
      const retried = bp('d1', 10, 140);
      // Its device's health names a device that does not exist: the whole commit rolls back.
      expect(() => store.readings.commit({ readings: readingsOf([retried]), deadLetters: [], health: [{ deviceId: 'nobody', seenAtMs: T0 }] })).toThrow();
      commit(store, [retried, bp('d1', 20, 160)]);
      store.close();
      expect(stored(file).rollups).toEqual([expect.objectContaining({ min: 100, max: 160, sum: 520, count: 4 })]);
    }));

  it('ends as if written in every commit, whatever the commits, replays, retractions and reopenings', () => {
    type Step = { kind: 'commit'; rows: [device: 'd1' | 'd2', s: number, value: number][] } | { kind: 'retract'; nth: number } | { kind: 'reopen' };
    const step: fc.Arbitrary<Step> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('commit' as const), rows: fc.array(fc.tuple(fc.constantFrom('d1' as const, 'd2' as const), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 60, max: 250 })), { minLength: 1, maxLength: 4 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('retract' as const), nth: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const) }) },
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 3 }), (steps, everyNth) => {
        const tmp = tempDir();
        const files = { trailing: join(tmp.dir, 'trailing.db'), every: join(tmp.dir, 'every.db') };
        // The trailing store writes its rollups every `everyNth` commit (its clock is the commit count).
        let commits = 0;
        const openTrailing = () => new SqliteStore(files.trailing, { rollupsEveryMs: everyNth, rollupsClock: () => commits });
        let trailing = openTrailing();
        const every = open(files.every, 0);
        const sent: ReadingRow[] = [];
        try {
          for (const s of [trailing, every]) addDevices(s);
          for (const st of steps) {
            if (st.kind === 'reopen') {
              trailing.close();
              trailing = openTrailing();
              continue;
            }
            commits++;
            if (st.kind === 'commit') {
              const rows = st.rows.map(([d, s, v]) => bp(d, s, v));
              sent.push(...rows);
              for (const s of [trailing, every]) commit(s, rows);
            } else if (sent.length > 0) {
              for (const s of [trailing, every]) retract(s, sent[st.nth % sent.length] as ReadingRow);
            }
            expect(views(trailing)).toEqual(views(every));
          }
          trailing.close();
          every.close();
          expect(stored(files.trailing).rollups).toEqual(stored(files.every).rollups);
          expect(stored(files.trailing).index).toEqual(stored(files.every).index);
        } finally {
          trailing.close();
          every.close();
          tmp.remove();
        }
      }),
      { numRuns: 25 },
    );
  });
});

// Every chart, sparkline and per-patient query the web app and the outputs read, with the rollups
// and the per-patient index never written while the store is open.
describeReadingStoreContract('SqliteReadingStore, its rollups and index written only at close', () => {
  const tmp = tempDir();
  const store = open(join(tmp.dir, 'gateway.db'), Number.POSITIVE_INFINITY);
  const addDevice = (id: string, patientNhs: string) => store.devices.insert(deviceRecord(id, 'bp-upper-arm', patientNhs));
  return { store: store.readings, outbox: store.outbox, addDevice, close: () => (store.close(), tmp.remove()) };
});

describeCareStoreContract('SQLite, its rollups and index written only at close', () => {
  const tmp = tempDir();
  const store = open(join(tmp.dir, 'gateway.db'), Number.POSITIVE_INFINITY);
  const s = store;
  return {
    store: { readings: s.readings, devices: s.devices, clinicians: s.clinicians, views: s.views, audit: s.audit, tokens: s.tokens, research: s.research, sessions: new MemorySessionStore() },
    close: () => (store.close(), tmp.remove()),
  };
});
