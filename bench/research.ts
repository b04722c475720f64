/**
 * Research extracts at scale: a year of home BP readings for 10,000 patients (a reading a day, three
 * values each: 10.95 million stored values), written straight into the store; then the real command
 * line extracts it, in its own process, at both levels, for a tenth of the year and for all of it.
 * Reported: rows per second and the process's peak resident memory (target: under 300 MiB, flat
 * whatever the size).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/sqlite/index.js';
import { nhsNumbers } from '../test/helpers/nhs.js';
import { progress } from './progress.js';
import { seeder, storedReading } from './seed.js';
import { BUILT_MAIN as MAIN } from './build.js';

const PATIENTS = 10_000;
const DAYS = 365;
const DAY = 86_400_000;
const RSS_TARGET_MIB = 300;

export interface ExtractRun {
  readonly level: 'readings' | 'daily';
  readonly days: number;
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  readonly peakRssMiB: number;
  readonly bytes: number;
}

export interface ResearchBenchResult {
  readonly values: number;
  readonly runs: readonly ExtractRun[];
  readonly ok: boolean;
}

export function prepare(dir: string, now: number, count = PATIENTS): number {
  const store = new SqliteStore(join(dir, 'gateway.db'));
  try {
    const patients = nhsNumbers(count);
    const seed = seeder(store, 60_000);
    patients.forEach((nhs, p) => {
      const id = `cuff-${p}`;
      seed.device(id, 'bp-upper-arm', nhs, now - 400 * DAY);
      for (let d = 0; d < DAYS; d++) {
        const t = now - (d + 1) * DAY + (p % 720) * 60_000;
        seed.add(...storedReading(id, nhs, 'bp-upper-arm', t, { systolic: [115 + ((p + d) % 50), 'mm[Hg]'], diastolic: [70 + ((p * 3 + d) % 30), 'mm[Hg]'], pulse: [55 + ((p + d * 7) % 40), '/min'] }));
      }
      if ((p + 1) % 1000 === 0) progress(`research: ${(p + 1).toLocaleString('en-GB')} of ${PATIENTS.toLocaleString('en-GB')} patients stored`);
    });
    seed.flush();
    return seed.total;
  } finally {
    store.close();
  }
}

function extract(dir: string, now: number, level: 'readings' | 'daily', days: number): Promise<ExtractRun> {
  const out = join(dir, `out-${level}-${days}`);
  const args = [MAIN, 'research', 'extract', '--project', 'bench', '--from', new Date(now - days * DAY - DAY).toISOString(), '--to', new Date(now).toISOString(), '--out', out, '--level', level, '--json', '--data-dir', dir];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VG_LOG_LEVEL: 'silent' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`research extract exited ${code}: ${stderr.slice(-500)}`));
      const r = JSON.parse(stdout) as { rows: number; seconds: number; rowsPerSecond: number; peakRssMiB: number; files: { bytes: number }[] };
      resolve({ level, days, rows: r.rows, seconds: r.seconds, rowsPerSecond: r.rowsPerSecond, peakRssMiB: r.peakRssMiB, bytes: r.files.reduce((n, f) => n + f.bytes, 0) });
    });
  });
}

export async function benchResearch(): Promise<ResearchBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vg-bench-research-'));
  try {
    const now = Date.now();
    progress(`research: a year of daily BP readings for ${PATIENTS.toLocaleString('en-GB')} patients`);
    const values = prepare(dir, now);
    const runs: ExtractRun[] = [];
    for (const level of ['readings', 'daily'] as const) {
      for (const days of [36, DAYS]) {
        progress(`research: ${level} extract of ${days} days`);
        runs.push(await extract(dir, now, level, days));
      }
    }
    const full = runs.find((r) => r.level === 'readings' && r.days === DAYS);
    return { values, runs, ok: full !== undefined && full.rows === values };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatResearch(r: ResearchBenchResult): string {
  return [
    `Research extracts (the command line in its own process; ${r.values.toLocaleString('en-GB')} stored values, ${PATIENTS.toLocaleString('en-GB')} patients, a year)`,
    ...r.runs.map(
      (x) =>
        `  ${x.level.padEnd(8)} ${String(x.days).padStart(3)} days: ${x.rows.toLocaleString('en-GB').padStart(10)} rows in ${x.seconds.toFixed(1)} s, ${x.rowsPerSecond.toLocaleString('en-GB')} rows/s, ${(x.bytes / 1048576).toFixed(1)} MiB of Parquet, peak RSS ${x.peakRssMiB} MiB  target < ${RSS_TARGET_MIB} MiB  ${x.peakRssMiB < RSS_TARGET_MIB ? 'PASS' : 'ABOVE TARGET'}`,
    ),
  ].join('\n');
}
