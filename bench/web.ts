/**
 * The web app's figures: the triage list for a clinician with 1,000 patients and 30 days of
 * readings each; a chart of 90 days of a wearable's per-second heart rate (downsampled by the
 * server to at most 2,000 points); and the weight of the triage page with everything it loads,
 * compressed. The data is written straight into the store; the real gateway then serves it from its
 * own process, and the times are measured by a client on the same machine (loopback).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClinicianRegistry } from '../src/clinicians/index.js';
import { systemClock } from '../src/domain/index.js';
import { SqliteStore } from '../src/store/sqlite/index.js';
import { Histogram } from './histogram.js';
import { nhsNumbers } from '../test/helpers/nhs.js';
import { progress } from './progress.js';
import { seeder, storedReading } from './seed.js';
import { BUILT_MAIN as MAIN } from './build.js';

const PATIENTS = 1_000;
const DAYS = 30;
const CHART_DAYS = 90;
const DAY = 86_400_000;
const REQUESTS = 40;

export interface WebBenchResult {
  /** The list's first page (what a clinician opens), as JSON and as the page; and 1,000 rows at once (a figure). */
  readonly triage: { readonly patients: number; readonly rows: number; readonly p50Ms: number; readonly p99Ms: number; readonly bytes: number };
  readonly triagePage: { readonly p50Ms: number; readonly p99Ms: number; readonly bytes: number };
  readonly triageAll: { readonly shown: number; readonly p50Ms: number; readonly p99Ms: number; readonly bytes: number };
  readonly chart: { readonly values: number; readonly points: number; readonly p50Ms: number; readonly p99Ms: number; readonly bytes: number };
  readonly page: { readonly files: number; readonly rawBytes: number; readonly compressedBytes: number };
  readonly ok: boolean;
}

/** The store as a service a year in would have it: 1,000 patients with a cuff and an oximeter, 90 days of per-second heart rate for one. */
export async function prepare(dir: string, now: number, chartDays = CHART_DAYS): Promise<{ token: string; patients: string[]; wearer: string; rows: number; chartValues: number }> {
  const store = new SqliteStore(join(dir, 'gateway.db'));
  try {
    const patients = nhsNumbers(PATIENTS + 1);
    const wearer = patients.pop() as string;
    const accounts = new ClinicianRegistry(store.clinicians, systemClock);
    await accounts.add('dr-bench', 'Dr Bench');
    const seed = seeder(store, 20_000);
    const device = (id: string, profileId: string, patientNhs: string) => seed.device(id, profileId, patientNhs, now - 400 * DAY);
    const reading = storedReading;
    progress(`web: ${PATIENTS.toLocaleString('en-GB')} patients, ${DAYS} days of home readings each (a cuff and an oximeter, twice a day)`);
    patients.forEach((nhs, p) => {
      store.clinicians.assign('dr-bench', nhs, now);
      device(`cuff-${p}`, 'bp-upper-arm', nhs);
      device(`oxi-${p}`, 'pulse-oximeter', nhs);
      for (let d = 0; d < DAYS * 2; d++) {
        const t = now - d * (DAY / 2) - (p % 600) * 1000;
        const systolic = 120 + ((p * 7 + d) % 70);
        seed.add(...reading(`cuff-${p}`, nhs, 'bp-upper-arm', t, { systolic: [systolic, 'mm[Hg]'], diastolic: [70 + (d % 25), 'mm[Hg]'], pulse: [60 + (d % 30), '/min'] }));
        seed.add(...reading(`oxi-${p}`, nhs, 'pulse-oximeter', t + 60_000, { spo2: [92 + (d % 7), '%'], heartRate: [60 + (d % 30), '/min'] }));
      }
    });
    seed.flush();
    const homeRows = seed.total;
    progress(`web: ${CHART_DAYS} days of a wearable's per-second heart rate (${(CHART_DAYS * 86_400).toLocaleString('en-GB')} values)`);
    store.clinicians.assign('dr-bench', wearer, now);
    device('watch', 'wrist-wearable', wearer);
    for (let t = now - chartDays * DAY; t < now; t += 1000) {
      seed.add(...reading('watch', wearer, 'wrist-wearable', t, { heartRate: [55 + ((t / 1000) % 50), '/min'] }));
    }
    seed.flush();
    const token = (await accounts.issueToken('dr-bench', 'bench', store.tokens)).token;
    return { token, patients, wearer, rows: homeRows, chartValues: seed.total - homeRows };
  } finally {
    store.close();
  }
}

async function timed(url: string, token: string, n: number, headers: Record<string, string> = { authorization: `Bearer ${token}` }): Promise<{ h: Histogram; bytes: number; body: string }> {
  const h = new Histogram();
  let bytes = 0;
  let body = '';
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const res = await fetch(url, { headers });
    body = await res.text();
    h.record(performance.now() - started);
    if (!res.ok) throw new Error(`${url}: ${res.status} ${body.slice(0, 200)}`);
    bytes = Buffer.byteLength(body);
  }
  return { h, bytes, body };
}

/** The triage page and every asset it loads (stylesheets, scripts, their imports), as a browser asks for them: compressed. */
async function pageWeight(base: string, cookie: string): Promise<WebBenchResult['page']> {
  const seen = new Set<string>();
  let raw = 0;
  let compressed = 0;
  const fetchOne = async (path: string): Promise<string> => {
    seen.add(path);
    const res = await fetch(`${base}${path}`, { headers: { cookie, 'accept-encoding': 'br, gzip' } });
    const text = await res.text();
    raw += Buffer.byteLength(text);
    // fetch decodes; the bytes on the wire are what the server compressed: ask again without decoding.
    const wire = await new Promise<number>((resolve, reject) => {
      import('node:http').then(({ get }) =>
        get(`${base}${path}`, { headers: { cookie, 'accept-encoding': 'br, gzip' } }, (r) => {
          let n = 0;
          r.on('data', (c: Buffer) => (n += c.length));
          r.on('end', () => resolve(n));
        }).on('error', reject),
      );
    });
    compressed += wire;
    return text;
  };
  const html = await fetchOne('/');
  const refs = [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+\.(?:css|js))"/g)].map((m) => m[1] as string);
  const queue = [...refs];
  while (queue.length > 0) {
    const path = queue.shift() as string;
    if (seen.has(path)) continue;
    const text = await fetchOne(path);
    if (path.endsWith('.js')) for (const m of text.matchAll(/from\s*['"](\/assets\/[^'"]+\.js)['"]/g)) queue.push(m[1] as string);
  }
  return { files: seen.size, rawBytes: raw, compressedBytes: compressed };
}

export async function benchWeb(): Promise<WebBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vg-bench-web-'));
  const now = Date.now();
  const data = await prepare(dir, now);
  const gateway = spawn(process.execPath, [MAIN, 'start', '--mqtt-port', '0', '--mqtt-host', '127.0.0.1', '--http-port', '0', '--web-port', '0', '--log-level', 'silent', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      gateway.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /web app on https?:\/\/[^:]+:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      gateway.once('exit', (code) => reject(new Error(`gateway exited ${code}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    progress(`web: the triage list for ${PATIENTS.toLocaleString('en-GB')} patients, ${REQUESTS} requests each: its first page as JSON and as the page, and 1,000 rows at once`);
    await timed(`${base}/api/v1/patients`, data.token, 3); // warm-up
    const triage = await timed(`${base}/api/v1/patients`, data.token, REQUESTS);
    const firstPage = JSON.parse(triage.body) as { total: number; patients: unknown[] };
    const cookie = await browserCookie(base, dir, data.patients);
    await timed(`${base}/`, data.token, 3, { cookie });
    const triagePage = await timed(`${base}/`, data.token, REQUESTS, { cookie });
    await timed(`${base}/api/v1/patients?limit=1000`, data.token, 3);
    const triageAll = await timed(`${base}/api/v1/patients?limit=1000`, data.token, REQUESTS);
    const allShown = (JSON.parse(triageAll.body) as { patients: unknown[] }).patients.length;
    progress(`web: the 90-day heart-rate chart, ${REQUESTS} requests`);
    const chartUrl = `${base}/api/v1/patients/${data.wearer}/readings?metric=heartRate&from=${now - CHART_DAYS * DAY}&to=${now + 1}&maxPoints=2000`;
    await timed(chartUrl, data.token, 3);
    const chart = await timed(chartUrl, data.token, REQUESTS);
    const chartBody = JSON.parse(chart.body) as { buckets?: unknown[]; points?: unknown[] };
    const points = 2 * (chartBody.buckets?.length ?? 0) + (chartBody.points?.length ?? 0);
    // The page weight as a signed-in browser loads it (a session cookie: pages are for browsers).
    const page = await pageWeight(base, cookie);
    const result: WebBenchResult = {
      triage: { patients: firstPage.total, rows: data.rows, p50Ms: triage.h.percentile(50), p99Ms: triage.h.percentile(99), bytes: triage.bytes },
      triagePage: { p50Ms: triagePage.h.percentile(50), p99Ms: triagePage.h.percentile(99), bytes: triagePage.bytes },
      triageAll: { shown: allShown, p50Ms: triageAll.h.percentile(50), p99Ms: triageAll.h.percentile(99), bytes: triageAll.bytes },
      chart: { values: data.chartValues, points, p50Ms: chart.h.percentile(50), p99Ms: chart.h.percentile(99), bytes: chart.bytes },
      page,
      ok: firstPage.total === PATIENTS + 1 && firstPage.patients.length === 50 && allShown === 1000 && points <= 2000 && points > 0,
    };
    return result;
  } finally {
    gateway.kill('SIGTERM');
    await new Promise((r) => gateway.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Signs in through the form as a browser does (a second account made by the CLI, so its password is known, with the same patients). */
async function browserCookie(base: string, dir: string, patients: readonly string[]): Promise<string> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, 'clinicians', 'add', '--id', 'dr-page', '--name', 'Dr Page', '--json', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`clinicians add exited ${code}`))));
  });
  const { secret } = JSON.parse(out) as { secret: string };
  const store = new SqliteStore(join(dir, 'gateway.db'));
  try {
    const accounts = new ClinicianRegistry(store.clinicians, systemClock);
    for (const nhs of patients) await accounts.assign('dr-page', nhs);
  } finally {
    store.close();
  }
  const res = await fetch(`${base}/auth/sign-in`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ account: 'dr-page', secret }) });
  return /vg_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0] ?? '';
}

export function formatWeb(r: WebBenchResult): string {
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'ABOVE TARGET');
  return [
    'Web app (the gateway in its own process; times measured by a client on loopback)',
    `  triage list, ${r.triage.patients.toLocaleString('en-GB')} patients (${r.triage.rows.toLocaleString('en-GB')} stored values), the first 50 by urgency:`,
    `    as JSON (GET /api/v1/patients): p50 ${ms(r.triage.p50Ms)}  p99 ${ms(r.triage.p99Ms)}  target p99 < 100 ms  ${verdict(r.triage.p99Ms < 100)}   (${kb(r.triage.bytes)})`,
    `    as the page (GET /):           p50 ${ms(r.triagePage.p50Ms)}  p99 ${ms(r.triagePage.p99Ms)}  target p99 < 100 ms  ${verdict(r.triagePage.p99Ms < 100)}   (${kb(r.triagePage.bytes)} HTML)`,
    `    ${r.triageAll.shown.toLocaleString('en-GB')} rows at once (?limit=1000), a figure: p50 ${ms(r.triageAll.p50Ms)}  p99 ${ms(r.triageAll.p99Ms)}   (${kb(r.triageAll.bytes)})`,
    `  90-day chart of per-second heart rate (${r.chart.values.toLocaleString('en-GB')} values → ${r.chart.points.toLocaleString('en-GB')} points): p50 ${ms(r.chart.p50Ms)}  p99 ${ms(r.chart.p99Ms)}  target < 200 ms  ${verdict(r.chart.p99Ms < 200)}   (${kb(r.chart.bytes)} JSON)`,
    `  triage page weight, everything included: ${r.page.files} files, ${kb(r.page.rawBytes)} raw, ${kb(r.page.compressedBytes)} compressed  target < 200 KB  ${verdict(r.page.compressedBytes < 200 * 1024)}`,
  ].join('\n');
}
