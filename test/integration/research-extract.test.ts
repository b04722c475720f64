/**
 * The research extract and the cohort summary in this process, on each store (a real SQLite file,
 * a real PostgreSQL server): the exact figures of the daily level and the home BP runs, time
 * precisions, the opt-out check at the moment each patient is reached, and a reading retracted or
 * amended.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readingKey, type ReadingRow, readingsOf } from '../../src/domain/index.js';
import { loadProfiles } from '../../src/profiles/index.js';
import { cohortSummary, projectKey, runExtract, splitCsv, type ExtractLevel, type TimePrecision } from '../../src/research/index.js';
import { PgStore } from '../../src/store/postgres/index.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { tempDir } from '../helpers/gateway.js';
import { postgresMissing, PostgresServer } from '../helpers/postgres.js';
import { deviceRecord } from '../helpers/records.js';

const A = '9434765919';
const B = '4010232137';
const DAY = 86_400_000;
const HOUR = 3_600_000;
const profiles = loadProfiles(new URL('../../device-profiles', import.meta.url).pathname);
// Noon UTC a fortnight ago (relative to now, so the test passes on any date); London noon is 12:00 or 13:00, the same day.
const start = Math.floor((Date.now() - 14 * DAY) / DAY) * DAY + 12 * HOUR;

type Store = SqliteStore | PgStore;

function value(deviceId: string, patientNhs: string, profileId: string, metric: string, v: number, t: number, unit: string): ReadingRow {
  return { idempotencyKey: readingKey({ deviceId, deviceTakenAtMs: t, messageId: `m${t}`, values: { [metric]: v } }), deviceId, patientNhs, profileId, metric, value: v, unit, sourceUnit: undefined, deviceTakenAtMs: t, takenAtMs: t, receivedAtMs: t, clockOffsetMs: undefined, messageId: `m${t}` };
}

/** The same extracts from a store of each kind, filled alike. */
function describeResearch(name: string, open: (dir: string) => Promise<Store>): void {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;

  beforeAll(async () => {
    tmp = tempDir();
    store = await open(tmp.dir);
    for (const [id, profileId, patientNhs] of [['cuff-a', 'bp-upper-arm', A], ['oxi-a', 'pulse-oximeter', A], ['cuff-b', 'bp-upper-arm', B]] as const) {
      await store.devices.insert(deviceRecord(id, profileId, patientNhs));
    }
    const rows: ReadingRow[] = [];
    // Patient A: 7 days of two BP readings a day, 152/96 and 148/94 (a stage 2 average); an oximeter twice on the first day.
    for (let d = 0; d < 7; d++) {
      for (const [h, sys, dia] of [[0, 152, 96], [2, 148, 94]] as const) {
        const t = start + d * DAY + h * HOUR + 17 * 60_000;
        rows.push(value('cuff-a', A, 'bp-upper-arm', 'systolic', sys, t, 'mm[Hg]'), value('cuff-a', A, 'bp-upper-arm', 'diastolic', dia, t, 'mm[Hg]'));
      }
    }
    rows.push(value('oxi-a', A, 'pulse-oximeter', 'spo2', 95, start + 60_000, '%'), value('oxi-a', A, 'pulse-oximeter', 'spo2', 97, start + 3 * HOUR, '%'));
    // Patient B: one reading.
    rows.push(value('cuff-b', B, 'bp-upper-arm', 'systolic', 120, start + 5 * HOUR, 'mm[Hg]'), value('cuff-b', B, 'bp-upper-arm', 'diastolic', 80, start + 5 * HOUR, 'mm[Hg]'));
    await store.readings.commit({ readings: readingsOf(rows), deadLetters: [], health: [] });
    // A's last reading of the first day retracted; the first one amended (systolic 152 → 150).
    const retracted = await store.readings.readingsAt('cuff-a', start + 2 * HOUR + 17 * 60_000);
    const amended = await store.readings.readingsAt('cuff-a', start + 17 * 60_000);
    await store.readings.commit({
      readings: [],
      deadLetters: [],
      health: [],
      corrections: [
        { deviceId: 'cuff-a', readingKey: (retracted[0] as ReadingRow).idempotencyKey, action: 'retract', before: { systolic: 148, diastolic: 94 }, after: undefined, reason: 'cuff slipped', requestedBy: 'cli:test', atMs: start + DAY },
        { deviceId: 'cuff-a', readingKey: (amended[0] as ReadingRow).idempotencyKey, action: 'amend', before: { systolic: 152, diastolic: 96 }, after: { systolic: 150, diastolic: 96 }, reason: 'typo', requestedBy: 'cli:test', atMs: start + DAY },
      ],
    });
  });

  afterAll(async () => {
    await store?.close();
    tmp.remove();
  });

  const key = projectKey(Buffer.alloc(32, 1), 'study');
  const extract = async (name: string, level: ExtractLevel, precision: TimePrecision = 'hour', research: Parameters<typeof runExtract>[1]['research'] = store.research) => {
    const outDir = join(tmp.dir, name);
    const r = await runExtract({ fromMs: start - DAY, toMs: start + 8 * DAY, level, format: 'csv', precision, outDir }, { research, profiles, key, timeZone: 'Europe/London', now: Date.now, generator: 'test' });
    if (!r.ok) throw new Error(r.error);
    const table = (file: string) => readFileSync(join(outDir, file), 'utf8').trim().split('\r\n').map(splitCsv);
    return { manifest: r.value, table };
  };

  describe(`research extract (in process, ${name})`, () => {
    it('gives the daily count, mean, min and max per patient, local day and metric, retracted values left out', async () => {
      const { table } = await extract('daily', 'daily');
      const rows = table('daily.csv');
      expect(rows[0]).toEqual(['pseudonym', 'day', 'metric', 'unit', 'count', 'mean', 'min', 'max']);
      const firstDay = new Date(start).toISOString().slice(0, 10);
      const a = key.pseudonym(A);
      expect(rows.filter((r) => r[0] === a && r[1] === firstDay)).toEqual([
        [a, firstDay, 'diastolic', 'mm[Hg]', '1', '96', '96', '96'],
        [a, firstDay, 'spo2', '%', '2', '96', '95', '97'],
        [a, firstDay, 'systolic', 'mm[Hg]', '1', '150', '150', '150'],
      ]);
      expect(rows.filter((r) => r[0] === a && r[2] === 'systolic').map((r) => r[4])).toEqual(['1', '2', '2', '2', '2', '2', '2']);
    });

    it('gives each home BP monitoring run with its average and NICE stage', async () => {
      const runs = (await extract('home-bp', 'daily')).table('home_bp.csv');
      expect(runs[0]).toEqual(['pseudonym', 'run_start', 'run_end', 'days', 'measurements', 'systolic_mean', 'diastolic_mean', 'stage']);
      const a = runs.find((r) => r[0] === key.pseudonym(A));
      // 7 days; the first day's measurement discarded [NICE NG136 1.2.6]: 12 averaged, 150/95 → stage 2.
      expect(a?.slice(3)).toEqual(['7', '12', '150', '95', 'stage-2']);
      expect(runs.find((r) => r[0] === key.pseudonym(B))?.slice(3)).toEqual(['1', '0', '', '', '']);
    });

    it('truncates times to the hour, the day or the Monday of the week, and marks only the amended value', async () => {
      const times = async (precision: TimePrecision) => (await extract(`p-${precision}`, 'readings', precision)).table('readings.csv').slice(1).map((r) => Date.parse(r[4] ?? ''));
      expect((await times('hour')).every((t) => t % HOUR === 0)).toBe(true);
      expect((await times('day')).every((t) => t % DAY === 0)).toBe(true);
      expect((await times('week')).every((t) => t % DAY === 0 && new Date(t).getUTCDay() === 1)).toBe(true);
      const readings = (await extract('corrected', 'readings')).table('readings.csv');
      expect(readings.filter((r) => r[8] === 'true').map((r) => [r[1], r[2]])).toEqual([['systolic', '150']]);
      expect(readings.length - 1).toBe(7 * 2 * 2 - 2 + 2 + 2);
    });

    it('checks each patient as it reaches them: one opted out meanwhile is left out and counted', async () => {
      // The opt-out lands after the extract began (the list of patients is made first).
      const research = {
        patientsWithReadings: async (from: number, to: number) => {
          const patients = await store.research.patientsWithReadings(from, to);
          await store.research.setOptOut({ patientNhs: B, optedOut: true, setAtMs: Date.now(), source: 'test' });
          return patients;
        },
        isOptedOut: (nhs: string) => store.research.isOptedOut(nhs),
        valueChunks: (nhs: string, from: number, to: number) => store.research.valueChunks(nhs, from, to),
      };
      try {
        const { manifest, table } = await extract('late-opt-out', 'readings', 'hour', research);
        expect(manifest.patients).toEqual({ included: 1, excludedByOptOut: 1 });
        expect(new Set(table('readings.csv').slice(1).map((r) => r[0]))).toEqual(new Set([key.pseudonym(A)]));
      } finally {
        await store.research.setOptOut({ patientNhs: B, optedOut: false, setAtMs: Date.now(), source: 'test' });
      }
    });
  });

  describe(`cohort summary (in process, ${name})`, () => {
    it('counts patients and values per group, disclosed', async () => {
      const s = await cohortSummary({ fromMs: start - DAY, toMs: start + 8 * DAY, by: ['metric', 'device_class'] }, { research: store.research, profiles, timeZone: 'Europe/London' });
      expect(s.groups).toEqual([
        { group: { metric: 'diastolic', device_class: 'blood-pressure-monitor' }, patients: null, values: 15 }, // 13 + 1 = 14 → 15
        { group: { metric: 'spo2', device_class: 'pulse-oximeter' }, patients: null, values: null }, // 2
        { group: { metric: 'systolic', device_class: 'blood-pressure-monitor' }, patients: null, values: 15 },
      ]);
      expect(s.patients).toEqual({ included: null, excludedByOptOut: 0 });
      const byWeek = await cohortSummary({ fromMs: start - DAY, toMs: start + 8 * DAY, by: ['week'] }, { research: store.research, profiles, timeZone: 'Europe/London' });
      expect(byWeek.groups.every((g) => new Date(`${g.group['week']}T12:00:00Z`).getUTCDay() === 1)).toBe(true);
    });
  });
}

describeResearch('SQLite', async (dir) => new SqliteStore(join(dir, 'gateway.db')));

describe.skipIf(postgresMissing)('on PostgreSQL', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await PostgresServer.start();
  }, 60_000);
  afterAll(() => server?.stop());
  describeResearch('PostgreSQL', async () => PgStore.open(await server.createDatabase()));
});
