import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../../src/devices/index.js';
import { systemClock } from '../../src/domain/index.js';
import { startGateway, tempDir, TEST_NHS, type TestGateway } from '../helpers/gateway.js';
import { connectDevice } from '../helpers/mqtt.js';
import { runCli } from '../helpers/process.js';
import { until } from '../helpers/until.js';

/** Three patients: the test's, one who opts out part-way, one whose cuff has a serial. */
const OPTS_OUT = '4010232137';
const THIRD = '9999999468';
const SERIAL = 'SN-77Q-204811';
const NOTE = 'cuff slipped during the measurement';
const HOUR = 3_600_000;
const DAY = 86_400_000;

let gw: TestGateway;
let tmp: ReturnType<typeof tempDir>;
let out: ReturnType<typeof tempDir>;
const deviceIds: string[] = [];
/** Every exact time a reading was taken, as ISO text and as milliseconds. */
const exactTimes: string[] = [];
const now = Date.now();
// The period: the last 10 days (relative to now, so the test passes on any date).
const period = ['--from', new Date(now - 10 * DAY).toISOString(), '--to', new Date(now + HOUR).toISOString()];

const cli = async (args: string[]) => {
  const r = await runCli([...args, '--data-dir', tmp.dir]);
  expect(r.code, r.stderr).toBe(0);
  return r;
};
const json = async <T>(args: string[]): Promise<T> => JSON.parse((await cli([...args, '--json'])).stdout) as T;

interface Manifest {
  project: string;
  keyId: string;
  rows: number;
  patients: { included: number; excludedByOptOut: number };
  files: { name: string; rows: number; bytes: number; sha256: string }[];
}

async function readParquet(file: string): Promise<{ rows: Record<string, unknown>[]; columns: string[]; types: string[] }> {
  const buffer = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buffer);
  const schema = parquetSchema(metadata);
  const rows = (await parquetReadObjects({ file: buffer })) as Record<string, unknown>[];
  return { rows, columns: schema.children.map((c) => c.element.name), types: schema.children.map((c) => String(c.element.converted_type ?? c.element.type)) };
}

const extract = (name: string, ...args: string[]) => json<{ out: string; rows: number }>(['research', 'extract', '--project', 'study-a', ...period, '--out', join(out.dir, name), ...args]);
const manifestOf = (name: string) => JSON.parse(readFileSync(join(out.dir, name, 'manifest.json'), 'utf8')) as Manifest;

beforeAll(async () => {
  tmp = tempDir();
  out = tempDir('vg-research-');
  gw = await startGateway(tmp.dir);
  const registry = new DeviceRegistry(gw.store.devices, gw.profiles, systemClock);
  const devices = [
    await registry.add({ profileId: 'bp-upper-arm', patient: TEST_NHS }),
    await registry.add({ profileId: 'bp-upper-arm', patient: OPTS_OUT }),
    await registry.add({ profileId: 'bp-upper-arm', patient: THIRD, serial: SERIAL }),
    await registry.add({ profileId: 'pulse-oximeter', patient: THIRD }),
  ];
  for (const creds of devices) {
    deviceIds.push(creds.deviceId);
    const client = await connectDevice(gw.url, creds);
    const bp = creds.deviceId === devices[3]?.deviceId ? undefined : true;
    // One reading a day for 8 days (two on the last), at odd seconds past the hour.
    for (let d = 8; d >= 0; d--) {
      const takenAt = new Date(now - d * DAY - 17 * 60_000 - 23_000).toISOString();
      exactTimes.push(takenAt, takenAt.slice(0, 19), String(Date.parse(takenAt)));
      const values = bp ? { systolic: 120 + d, diastolic: 80 - d, pulse: 60 + d } : { spo2: 95 + (d % 3), pulse: 70 + d };
      await client.publishAsync(`devices/${creds.deviceId}/readings`, JSON.stringify({ messageId: `m${d}`, takenAt, values }), { qos: 1 });
    }
    if (creds.deviceId === devices[0]?.deviceId) {
      const takenAt = new Date(now - 8 * DAY - 17 * 60_000 - 23_000).toISOString();
      await client.publishAsync(`devices/${creds.deviceId}/corrections`, JSON.stringify({ takenAt, action: 'amend', values: { systolic: 131 }, reason: NOTE }), { qos: 1 });
      await client.publishAsync(`devices/${creds.deviceId}/corrections`, JSON.stringify({ takenAt: new Date(now - 7 * DAY - 17 * 60_000 - 23_000).toISOString(), action: 'retract', reason: NOTE }), { qos: 1 });
    }
    await client.endAsync();
  }
  await until(async () => gw.store.readings.count(), (n) => n === 3 * 9 * 3 + 9 * 2, 'every value stored');
});

afterAll(async () => {
  await gw.stop();
  tmp.remove();
  out.remove();
});

describe('research opt-outs', () => {
  it('leaves an opted-out patient out of every extract made after the opt-out, past readings too; opting in brings them back', async () => {
    const before = await extract('before', '--format', 'csv');
    const pseudonymsBefore = new Set(readFileSync(join(before.out, 'readings.csv'), 'utf8').trim().split('\r\n').slice(1).map((l) => l.split(',')[0]));
    expect(pseudonymsBefore.size).toBe(3);
    expect(manifestOf('before').patients).toEqual({ included: 3, excludedByOptOut: 0 });

    const set = await json<{ optedOut: boolean; source: string; changed: boolean }>(['patients', 'opt-out', '--patient', OPTS_OUT, '--source', 'patient request']);
    expect(set).toMatchObject({ optedOut: true, source: 'patient request', changed: true });
    await extract('after', '--format', 'csv');
    const pseudonymsAfter = new Set(readFileSync(join(out.dir, 'after', 'readings.csv'), 'utf8').trim().split('\r\n').slice(1).map((l) => l.split(',')[0]));
    expect(pseudonymsAfter.size).toBe(2);
    expect([...pseudonymsAfter].every((p) => pseudonymsBefore.has(p))).toBe(true);
    expect(manifestOf('after').patients).toEqual({ included: 2, excludedByOptOut: 1 });
    await extract('after-daily', '--level', 'daily', '--format', 'csv');
    expect(manifestOf('after-daily').patients).toEqual({ included: 2, excludedByOptOut: 1 });

    await json(['patients', 'opt-in', '--patient', OPTS_OUT, '--source', 'patient request']);
    await extract('again', '--format', 'csv');
    expect(manifestOf('again').patients).toEqual({ included: 3, excludedByOptOut: 0 });
    const audit = gw.store.audit.list({ patientNhs: OPTS_OUT }).map((e) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['patient.research-opt-out', 'patient.research-opt-in']));
  });

  it('imports the national list idempotently, reporting invalid lines; a returned "usable" list opts out the rest', async () => {
    const file = join(out.dir, 'opt-outs.csv');
    writeFileSync(file, `NHS Number,Date\n${OPTS_OUT},2026-01-01\n123,x\n4010232138,x\n\n${OPTS_OUT},again\n`);
    const first = await json<{ valid: number; invalid: number; invalidLines: { line: number }[]; changed: number; unchanged: number }>(['patients', 'opt-outs', 'import', file]);
    expect(first).toMatchObject({ valid: 1, invalid: 2, changed: 1, unchanged: 0 });
    expect(first.invalidLines.map((l) => l.line)).toEqual([3, 4]);
    const second = await json<{ changed: number; unchanged: number }>(['patients', 'opt-outs', 'import', file]);
    expect(second).toMatchObject({ changed: 0, unchanged: 1 });
    expect(gw.store.research.optOut(OPTS_OUT)).toMatchObject({ optedOut: true, source: 'national data opt-out' });

    // The Check for National Data Opt-outs round trip: our patients out, the usable ones back.
    const check = join(out.dir, 'check.dat');
    await cli(['patients', 'opt-outs', 'check-file', '--out', check]);
    expect(readFileSync(check, 'utf8')).toBe(`${[TEST_NHS, OPTS_OUT, THIRD].sort().map((n) => `${n},\n`).join('')}`);
    const returned = join(out.dir, 'returned.dat');
    writeFileSync(returned, `${TEST_NHS},\n${OPTS_OUT},\n`); // THIRD has opted out nationally
    const usable = await json<{ optedOut: number; optedIn: number; changed: number }>(['patients', 'opt-outs', 'import', returned, '--usable']);
    expect(usable).toMatchObject({ optedOut: 1, optedIn: 1, changed: 2 });
    expect(gw.store.research.isOptedOut(THIRD)).toBe(true);
    expect(gw.store.research.isOptedOut(OPTS_OUT)).toBe(false);
    expect(await json<{ changed: number }>(['patients', 'opt-outs', 'import', returned, '--usable'])).toMatchObject({ changed: 0 });
    await json(['patients', 'opt-in', '--patient', THIRD, '--source', 'national data opt-out']);
  });
});

describe('research extracts', () => {
  it('gives each patient one pseudonym within a project and another in a different project', async () => {
    await extract('p1', '--format', 'csv');
    await json(['research', 'extract', '--project', 'study-b', ...period, '--out', join(out.dir, 'p2'), '--format', 'csv']);
    const pseudonyms = (dir: string) => new Set(readFileSync(join(out.dir, dir, 'readings.csv'), 'utf8').trim().split('\r\n').slice(1).map((l) => l.split(',')[0]));
    const a = pseudonyms('p1');
    const b = pseudonyms('p2');
    expect(a).toEqual(pseudonyms('before'));
    expect(a.size).toBe(3);
    expect([...a].some((p) => b.has(p))).toBe(false);
    expect(manifestOf('p1').keyId).not.toBe(JSON.parse(readFileSync(join(out.dir, 'p2', 'manifest.json'), 'utf8')).keyId);
  });

  it('writes Parquet that an independent reader reads back with the expected schema and rows; the manifest hashes verify', async () => {
    await extract('parquet');
    const m = manifestOf('parquet');
    const readings = await readParquet(join(out.dir, 'parquet', 'readings.parquet'));
    expect(readings.columns).toEqual(['pseudonym', 'metric', 'value', 'unit', 'time', 'device_class', 'device_model', 'profile', 'corrected']);
    expect(readings.types).toEqual(['UTF8', 'UTF8', 'DOUBLE', 'UTF8', 'TIMESTAMP_MILLIS', 'UTF8', 'UTF8', 'UTF8', 'BOOLEAN']);
    // 3 cuffs × 9 readings × 3 values + 9 × 2 oximeter values, less the retracted reading's 3.
    expect(readings.rows).toHaveLength(3 * 9 * 3 + 18 - 3);
    expect(m.files.find((f) => f.name === 'readings.parquet')?.rows).toBe(readings.rows.length);
    // Only the value that changed is marked, not the reading's other values.
    expect(readings.rows.filter((r) => r['corrected'] === true).map((r) => [r['metric'], r['value']])).toEqual([['systolic', 131]]);
    for (const r of readings.rows) expect(Number(r['time'] instanceof Date ? (r['time'] as Date).getTime() : r['time']) % HOUR).toBe(0);
    expect(new Set(readings.rows.map((r) => r['device_class']))).toEqual(new Set(['blood-pressure-monitor', 'pulse-oximeter']));

    await extract('parquet-daily', '--level', 'daily');
    const daily = await readParquet(join(out.dir, 'parquet-daily', 'daily.parquet'));
    expect(daily.columns).toEqual(['pseudonym', 'day', 'metric', 'unit', 'count', 'mean', 'min', 'max']);
    expect(daily.types).toEqual(['UTF8', 'DATE', 'UTF8', 'UTF8', 'INT32', 'DOUBLE', 'DOUBLE', 'DOUBLE']);
    const homeBp = await readParquet(join(out.dir, 'parquet-daily', 'home_bp.parquet'));
    expect(homeBp.columns).toEqual(['pseudonym', 'run_start', 'run_end', 'days', 'measurements', 'systolic_mean', 'diastolic_mean', 'stage']);
    expect(homeBp.rows.length).toBeGreaterThanOrEqual(3);
    expect(homeBp.rows.filter((r) => r['stage'] !== null).length).toBeGreaterThan(0);

    for (const dir of ['parquet', 'parquet-daily', 'p1']) {
      for (const f of manifestOf(dir).files) {
        expect(createHash('sha256').update(readFileSync(join(out.dir, dir, f.name))).digest('hex')).toBe(f.sha256);
      }
    }
  });

  it('holds no NHS number, device id, serial, note or exact time in any byte of any file, decompressed', async () => {
    const nhs = [TEST_NHS, OPTS_OUT, THIRD];
    const forbidden = [...nhs, ...nhs.map((n) => `${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`), ...deviceIds, SERIAL, NOTE, ...exactTimes];
    let scanned = 0;
    for (const dir of readdirSync(out.dir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      for (const name of readdirSync(join(out.dir, dir.name))) {
        const path = join(out.dir, dir.name, name);
        const texts = [readFileSync(path).toString('latin1')];
        if (name.endsWith('.parquet')) texts.push(JSON.stringify((await readParquet(path)).rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
        for (const text of texts) for (const f of forbidden) expect(text.includes(f), `${f} in ${dir.name}/${name}`).toBe(false);
        scanned++;
      }
    }
    expect(scanned).toBe(18); // 8 extracts: their tables and manifests
  });

  it('refuses to write into a directory that holds files, and audits every extract', async () => {
    const r = await runCli(['research', 'extract', '--project', 'study-a', ...period, '--out', join(out.dir, 'parquet'), '--data-dir', tmp.dir]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--out .*parquet already holds files/);
    const trail = gw.store.audit.list({ actor: undefined }).filter((e) => e.action === 'research.extract');
    expect(trail.length).toBeGreaterThanOrEqual(8);
    expect(trail[0]?.target).toMatch(/^study-[ab]: (readings|daily), \d+ rows, \d+ patients, \d excluded by opt-out$/);
  });
});

describe('research summaries', () => {
  it('suppresses counts of 1 to 7 and rounds the rest to the nearest 5', async () => {
    const r = await cli(['research', 'summary', '--project', 'study-a', ...period, '--by', 'metric']);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('metric,patients,values');
    // 3 patients (suppressed); systolic: 27 values less the retracted one = 26 → 25.
    expect(lines).toContain('systolic,*,25');
    expect(lines).toContain('spo2,*,10'); // 9 → 10
    const byDay = await json<{ groups: { patients: number | null; values: number | null }[] }>(['research', 'summary', '--project', 'study-a', ...period, '--by', 'metric,day']);
    expect(byDay.groups.every((g) => g.patients === null && (g.values === null || g.values % 5 === 0))).toBe(true);
  });
});
