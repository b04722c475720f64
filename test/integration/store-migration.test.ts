import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { readingKey, type ReadingRow, readingsOf } from '../../src/domain/index.js';
import { SCHEMA_VERSION, SqliteStore } from '../../src/store/sqlite/index.js';
import { migrate, ONE_ROW_PER_READING_VERSION } from '../../src/store/sqlite/migrations.js';
import { benchMigration } from '../../bench/migration.js';
import { tempDir } from '../helpers/gateway.js';

/** Versions whose readings table exists (1 on), with what each adds. */
const WITH_STATUS = 3; // status, first_value, payload_sha256, corrections
const TIME_FIRST_KEYS = 7; // keys lead with the time
const ROLLUPS = 11; // reading_rollups, latest_values
const ONE_ROW = ONE_ROW_PER_READING_VERSION; // a reading is one row
const LATEST_FROM_READINGS = 17; // latest_values dropped: latest values read from the readings
const ROLLUPS_THROUGH = 18; // the rollups run through `rollups_through`

const T = 1_000; // device time of the BP reading
const U = 61_000; // of the pulse reading (no message id)
const R = 125_000; // of the retracted reading

/** A key as version `v` wrote it: `device|time|metric|tail` before 7, `time|device|metric|tail` from 7. */
function oldKey(v: number, time: number, metric: string, tail: string): string {
  const t = String(time).padStart(15, '0');
  return v < TIME_FIRST_KEYS ? `d1|${t}|${metric}|${tail}` : `${t}|d1|${metric}|${tail}`;
}

/** A store at schema version `v`, holding readings as that version stored them (one row per value). */
function storeAt(v: number, file: string): void {
  const db = new Database(file);
  migrate(db, v);
  if (v >= ONE_ROW) oneRowReadings(db, v);
  else if (v >= 1) {
    db.prepare(`INSERT INTO devices (id, profile_id, patient_nhs, secret_hash, status, created_at) VALUES ('d1', 'bp-upper-arm', '9434765919', 'x', 'active', 0)`).run();
    const extra = v >= WITH_STATUS;
    const insert = db.prepare(
      `INSERT INTO readings (idempotency_key, device_id, patient_nhs, profile_id, metric, value, unit, source_unit, taken_at, device_taken_at, received_at, message_id
         ${extra ? ', status, first_value, payload_sha256' : ''})
       VALUES (@key, 'd1', '9434765919', 'bp-upper-arm', @metric, @value, @unit, @sourceUnit, @t, @t, @t + 500, @messageId ${extra ? ', @status, @firstValue, @sha' : ''})`,
    );
    const add = (row: { key: string; metric: string; value: number; unit: string; sourceUnit?: string; t: number; messageId: string | null; status?: string; firstValue?: number; sha?: string }) =>
      insert.run({ sourceUnit: null, ...row, ...(extra ? { status: row.status ?? 'final', firstValue: row.firstValue ?? null, sha: row.sha ?? null } : {}) });
    // A BP reading with a message id (its systolic amended from 130, where corrections exist), sent in kPa.
    add({ key: oldKey(v, T, 'systolic', 'mk1'), metric: 'systolic', value: extra ? 128 : 130, unit: 'mm[Hg]', sourceUnit: 'kPa', t: T, messageId: 'k1', ...(extra ? { status: 'amended', firstValue: 130, sha: 'ab'.repeat(32) } : {}) });
    add({ key: oldKey(v, T, 'diastolic', 'mk1'), metric: 'diastolic', value: 82, unit: 'mm[Hg]', sourceUnit: 'kPa', t: T, messageId: 'k1', ...(extra ? { status: 'amended', firstValue: 82 } : {}) });
    // A reading without a message id: its key carries its value.
    add({ key: oldKey(v, U, 'pulse', 'v70'), metric: 'pulse', value: 70, unit: '/min', t: U, messageId: null });
    if (extra) {
      add({ key: oldKey(v, R, 'systolic', 'mk3'), metric: 'systolic', value: 200, unit: 'mm[Hg]', t: R, messageId: 'k3', status: 'entered-in-error' });
      add({ key: oldKey(v, R, 'diastolic', 'mk3'), metric: 'diastolic', value: 90, unit: 'mm[Hg]', t: R, messageId: 'k3', status: 'entered-in-error' });
      const correct = db.prepare(`INSERT INTO corrections (device_id, reading_key, action, before, after, requested_by, at) VALUES ('d1', ?, ?, '{}', ?, 'test', 3000)`);
      correct.run(oldKey(v, T, 'systolic', 'mk1'), 'amend', '{"systolic":128,"diastolic":82}');
      correct.run(oldKey(v, R, 'diastolic', 'mk3'), 'retract', null);
    }
    if (v >= ROLLUPS) {
      // What that version's gateway kept beside its readings (as migration 11 builds them).
      db.exec(`INSERT INTO reading_rollups SELECT patient_nhs, metric, taken_at / 60000, MIN(value), MAX(value), SUM(value), COUNT(*) FROM readings
                 WHERE status != 'entered-in-error' GROUP BY patient_nhs, metric, taken_at / 60000;
               INSERT INTO latest_values SELECT patient_nhs, metric, id, device_id, value, unit, MAX(taken_at) FROM readings
                 WHERE status != 'entered-in-error' GROUP BY patient_nhs, metric;`);
    }
  }
  db.close();
}

/** The same readings as a store of one row per reading holds them (what later migrations must carry over). */
function oneRowReadings(db: Database.Database, v: number): void {
  db.prepare(`INSERT INTO devices (id, profile_id, patient_nhs, secret_hash, status, created_at) VALUES ('d1', 'bp-upper-arm', '9434765919', 'x', 'active', 0)`).run();
  const insert = db.prepare(
    `INSERT INTO readings (reading_key, device_id, patient_nhs, profile_id, values_json, taken_at, device_taken_at, received_at, message_id, payload_sha256, status, first_values_json)
     VALUES (?, 'd1', '9434765919', 'bp-upper-arm', ?, ?, ?, ? + 500, ?, ?, ?, ?)`,
  );
  const key = (t: number, tail: string) => `${String(t).padStart(15, '0')}|d1|${tail}`;
  insert.run(key(T, 'mk1'), '{"systolic":[128,"mm[Hg]","kPa"],"diastolic":[82,"mm[Hg]","kPa"]}', T, T, T, 'k1', 'ab'.repeat(32), 'amended', '{"systolic":130,"diastolic":82}');
  insert.run(key(U, 'vpulse=70'), '{"pulse":[70,"/min"]}', U, U, U, null, null, 'final', null);
  insert.run(key(R, 'mk3'), '{"systolic":[200,"mm[Hg]"],"diastolic":[90,"mm[Hg]"]}', R, R, R, 'k3', null, 'entered-in-error', null);
  const correct = db.prepare(`INSERT INTO corrections (device_id, reading_key, action, before, after, requested_by, at) VALUES ('d1', ?, ?, '{}', ?, 'test', 3000)`);
  correct.run(key(T, 'mk1'), 'amend', '{"systolic":128,"diastolic":82}');
  correct.run(key(R, 'mk3'), 'retract', null);
  db.exec(`INSERT INTO profile_metrics VALUES ('systolic', 'bp-upper-arm'), ('diastolic', 'bp-upper-arm'), ('pulse', 'bp-upper-arm');
           INSERT INTO reading_rollups SELECT patient_nhs, metric, taken_at / 60000, MIN(value), MAX(value), SUM(value), COUNT(*) FROM reading_values
             WHERE status != 'entered-in-error' GROUP BY patient_nhs, metric, taken_at / 60000;`);
  if (v >= ROLLUPS_THROUGH) db.exec('UPDATE rollups_through SET reading_id = (SELECT MAX(id) FROM readings)');
  if (v < LATEST_FROM_READINGS) {
    db.exec(`INSERT INTO latest_values SELECT patient_nhs, metric, id, device_id, value, unit, MAX(taken_at) FROM reading_values
               WHERE status != 'entered-in-error' GROUP BY patient_nhs, metric;`);
  }
}

/** A value as the pipeline makes it today (for replays). */
const value = (metric: string, v: number, unit: string, t: number, messageId: string | undefined, values: Record<string, number>): ReadingRow => ({
  idempotencyKey: readingKey({ deviceId: 'd1', deviceTakenAtMs: t, messageId, values }),
  deviceId: 'd1',
  patientNhs: '9434765919',
  profileId: 'bp-upper-arm',
  metric,
  value: v,
  unit,
  sourceUnit: undefined,
  deviceTakenAtMs: t,
  takenAtMs: t,
  receivedAtMs: t + 500,
  clockOffsetMs: undefined,
  messageId,
});

describe('store migration to one row per reading', () => {
  for (let v = 0; v < SCHEMA_VERSION; v++) {
    it(`opens a store of schema version ${v} with every reading, value, correction and key carried over`, () => {
      const tmp = tempDir();
      const file = join(tmp.dir, 'gateway.db');
      try {
        storeAt(v, file);
        const store = new SqliteStore(file);
        try {
          const db = new Database(file, { readonly: true });
          expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
          if (v === 0) {
            expect(store.readings.count()).toBe(0);
            db.close();
            return;
          }
          const extra = v >= WITH_STATUS;
          expect(store.readings.readingCount()).toBe(extra ? 3 : 2);
          expect(store.readings.count()).toBe(extra ? 5 : 3);
          const bp = store.readings.readingsAt('d1', T);
          expect(bp.map((r) => [r.metric, r.value, r.unit, r.sourceUnit, r.idempotencyKey])).toEqual([
            ['systolic', extra ? 128 : 130, 'mm[Hg]', 'kPa', '000000000001000|d1|mk1'],
            ['diastolic', 82, 'mm[Hg]', 'kPa', '000000000001000|d1|mk1'],
          ]);
          expect(new Set(bp.map((r) => r.id)).size).toBe(1);
          if (extra) {
            expect(bp.map((r) => [r.status, r.firstValue])).toEqual([['amended', 130], ['amended', 82]]);
            expect(bp[0]?.payloadSha256).toBe('ab'.repeat(32));
            expect(store.readings.readingsAt('d1', R).map((r) => r.status)).toEqual(['entered-in-error', 'entered-in-error']);
            // Corrections point at their reading's key, whichever value they named.
            expect(db.prepare('SELECT reading_key AS k FROM corrections ORDER BY id').all()).toEqual([{ k: '000000000001000|d1|mk1' }, { k: '000000000125000|d1|mk3' }]);
          }
          expect(store.readings.readingsAt('d1', U).map((r) => r.idempotencyKey)).toEqual(['000000000061000|d1|vpulse=70']);
          // Replays of what was stored before are duplicates, with or without a message id.
          const replay = store.readings.commit({
            readings: readingsOf([value('systolic', 130, 'mm[Hg]', T, 'k1', { systolic: 130, diastolic: 82 }), value('diastolic', 82, 'mm[Hg]', T, 'k1', { systolic: 130, diastolic: 82 }), value('pulse', 70, '/min', U, undefined, { pulse: 70 })]),
            deadLetters: [],
            health: [],
          });
          expect(replay.inserted).toEqual([false, false]);
          // The latest values and rollups show what is shown (retracted values left out).
          expect(store.views.latest('9434765919', ['systolic', 'pulse']).map((p) => [p.metric, p.value, p.id])).toEqual([
            ['systolic', extra ? 128 : 130, bp[0]?.id],
            ['pulse', 70, store.readings.readingsAt('d1', U)[0]?.id],
          ]);
          expect(db.prepare('SELECT SUM(count) AS n FROM reading_rollups').get()).toEqual({ n: 3 });
          expect(db.prepare('SELECT metric, profile_id AS profile FROM profile_metrics ORDER BY metric').all()).toEqual(
            ['diastolic', 'pulse', 'systolic'].map((metric) => ({ metric, profile: 'bp-upper-arm' })),
          );
          // Every reading is in the per-patient index, under its own patient, profile and time.
          const keys = 'SELECT patient_nhs, profile_id, taken_at, id FROM';
          expect(db.prepare(`${keys} reading_index ORDER BY id`).all()).toEqual(db.prepare(`${keys} readings ORDER BY id`).all());
          expect(db.prepare('SELECT reading_id FROM index_through').pluck().get()).toBe(db.prepare('SELECT MAX(id) FROM readings').pluck().get());
          db.close();
        } finally {
          store.close();
        }
      } finally {
        tmp.remove();
      }
    });
  }
});

describe('the benchmark of the migration (npm run bench, part migration)', () => {
  it('writes a store of one row per value that this gateway migrates with every value carried over', async () => {
    const r = await benchMigration({ devices: 5, readingsPerDevice: 4 });
    expect(r).toMatchObject({ values: 60, readings: 20, ok: true });
  });
});
