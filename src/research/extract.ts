import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { homeBpAverage, monitoringRuns, type HomeBpReading } from '../clinical/index.js';
import { err, ok, type Result } from '../domain/index.js';
import type { ProfileCatalog } from '../profiles/index.js';
import type { ResearchValue } from '../store/sqlite/index.js';
import { coarsen, localDays, type TimePrecision } from './coarsen.js';
import { parquetSink } from './parquet.js';
import type { ProjectKey } from './pseudonym.js';
import { csvSink, type Cell, type Column, type TableFormat, type TableSink } from './table.js';

export const EXTRACT_LEVELS = ['readings', 'daily'] as const;
export type ExtractLevel = (typeof EXTRACT_LEVELS)[number];

/** Closed set of reasons an extract is not made. */
export const ExtractError = {
  /** The output directory exists and holds files: an extract never overwrites or mixes with another. */
  OutNotEmpty: 'out-not-empty',
  /** `to` is not after `from`. */
  BadPeriod: 'bad-period',
} as const;
export type ExtractError = (typeof ExtractError)[keyof typeof ExtractError];

export interface ExtractRequest {
  readonly fromMs: number;
  readonly toMs: number;
  readonly level: ExtractLevel;
  readonly format: TableFormat;
  /** How finely the readings level gives times (the daily level gives local days). */
  readonly precision: TimePrecision;
  readonly outDir: string;
}

export interface ExtractProgress {
  readonly patientsDone: number;
  readonly patients: number;
  readonly rows: number;
}

/**
 * What extracts and summaries read, from either store: the patients with values in a period, each
 * one's opt-out at the moment it is reached, and its values in chunks (memory stays bounded).
 */
/** A patient's values a chunk at a time: each chunk an array (a page read from PostgreSQL) or rows as they are stepped through (SQLite). */
export type ValueChunks = Iterable<Iterable<ResearchValue>> | AsyncIterable<Iterable<ResearchValue>>;

export interface ResearchReads {
  patientsWithReadings(fromMs: number, toMs: number): string[] | Promise<string[]>;
  isOptedOut(patientNhs: string): boolean | Promise<boolean>;
  /** A patient's values in [fromMs, toMs), oldest first, retracted ones left out. */
  valueChunks(patientNhs: string, fromMs: number, toMs: number): ValueChunks;
}

export interface ExtractDeps {
  readonly research: ResearchReads;
  readonly profiles: ProfileCatalog;
  readonly key: ProjectKey;
  /** Local days (daily level, home BP monitoring days). */
  readonly timeZone: string;
  readonly now: () => number;
  readonly generator: string;
  readonly onProgress?: (p: ExtractProgress) => void;
}

export interface ManifestFile {
  readonly name: string;
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly columns: readonly Column[];
}

/** What an extract holds, for its recipient and the audit trail. Never the key, never an identifier. */
export interface ExtractManifest {
  readonly project: string;
  readonly keyId: string;
  readonly level: ExtractLevel;
  readonly format: TableFormat;
  readonly period: { readonly from: string; readonly to: string };
  /** Readings level: the precision of times; daily level: local days in `timeZone`. */
  readonly timePrecision: TimePrecision | 'local-day';
  readonly timeZone: string | undefined;
  readonly generatedAt: string;
  readonly generator: string;
  readonly patients: { readonly included: number; readonly excludedByOptOut: number };
  readonly rows: number;
  readonly files: readonly ManifestFile[];
  /** Never in any file of an extract. */
  readonly neverIncluded: readonly string[];
}

const NEVER = ['NHS number', 'device id', 'device serial', 'free text (notes, reasons)', 'exact timestamps', 'clinician identities'];

const READINGS: readonly Column[] = [
  { name: 'pseudonym', type: 'string', description: "the patient's pseudonym in this project (HMAC-SHA256 under the project's key)" },
  { name: 'metric', type: 'string', description: 'what was measured (device profile metric name)' },
  { name: 'value', type: 'double', description: 'the value, in `unit`' },
  { name: 'unit', type: 'string', description: 'canonical UCUM unit (values taken in other units were converted on arrival)' },
  { name: 'time', type: 'timestamp', description: 'when it was taken (device clock corrected), truncated to the precision in the manifest, UTC' },
  { name: 'device_class', type: 'string', description: 'kind of device (device profile deviceClass)' },
  { name: 'device_model', type: 'string', description: "device model (the profile's manufacturer and model, or its name)" },
  { name: 'profile', type: 'string', description: 'device profile id' },
  { name: 'corrected', type: 'boolean', description: 'true where the value was amended to another after it was stored (retracted values are left out)' },
];

const DAILY: readonly Column[] = [
  { name: 'pseudonym', type: 'string', description: "the patient's pseudonym in this project" },
  { name: 'day', type: 'date', description: 'local calendar day (time zone in the manifest)' },
  { name: 'metric', type: 'string', description: 'what was measured' },
  { name: 'unit', type: 'string', description: 'canonical UCUM unit' },
  { name: 'count', type: 'int', description: 'values that day' },
  { name: 'mean', type: 'double', description: 'their mean' },
  { name: 'min', type: 'double', description: 'the lowest' },
  { name: 'max', type: 'double', description: 'the highest' },
];

const HOME_BP: readonly Column[] = [
  { name: 'pseudonym', type: 'string', description: "the patient's pseudonym in this project" },
  { name: 'run_start', type: 'date', description: 'first local day of the home BP monitoring run [NICE NG136 1.2.6]' },
  { name: 'run_end', type: 'date', description: 'last local day of the run' },
  { name: 'days', type: 'int', description: 'days with measurements in the run' },
  { name: 'measurements', type: 'int', description: 'measurements averaged (the first day discarded), or 0 where there were too few days' },
  { name: 'systolic_mean', type: 'double', nullable: true, description: 'average systolic, mm[Hg] (empty: fewer than 4 days)' },
  { name: 'diastolic_mean', type: 'double', nullable: true, description: 'average diastolic, mm[Hg]' },
  { name: 'stage', type: 'string', nullable: true, description: 'NICE NG136 HBPM stage of the average: normal, stage-1, stage-2' },
];

/**
 * A research extract: every value of every patient with readings in the period, pseudonymised,
 * except the patients opted out at the moment each is reached (checked then, never from a list
 * made earlier). Streams one patient at a time into the tables, so memory stays flat whatever the
 * extract's size, then writes the manifest with each file's SHA-256.
 */
export async function runExtract(req: ExtractRequest, d: ExtractDeps): Promise<Result<ExtractManifest, ExtractError>> {
  if (!(req.toMs > req.fromMs)) return err(ExtractError.BadPeriod);
  if (existsSync(req.outDir) && readdirSync(req.outDir).length > 0) return err(ExtractError.OutNotEmpty);
  mkdirSync(req.outDir, { recursive: true, mode: 0o700 });

  const metadata = { project: d.key.projectId, keyId: d.key.keyId, level: req.level };
  const open = (name: string, columns: readonly Column[]): { name: string; columns: readonly Column[]; sink: TableSink } => {
    const file = `${name}.${req.format}`;
    const path = join(req.outDir, file);
    return { name: file, columns, sink: req.format === 'parquet' ? parquetSink(path, columns, metadata) : csvSink(path, columns) };
  };
  const tables = req.level === 'readings' ? [open('readings', READINGS)] : [open('daily', DAILY), open('home_bp', HOME_BP)];
  const day = localDays(d.timeZone);
  const devices = new Map<string, [deviceClass: string, model: string]>();
  const deviceOf = (profileId: string) => {
    let found = devices.get(profileId);
    if (found === undefined) {
      const p = d.profiles.get(profileId);
      found = [p?.deviceClass ?? 'unknown', p === undefined ? profileId : [p.manufacturer, p.model].filter(Boolean).join(' ') || p.name];
      devices.set(profileId, found);
    }
    return found;
  };

  const patients = await d.research.patientsWithReadings(req.fromMs, req.toMs);
  let included = 0;
  let excluded = 0;
  let rows = 0;
  let done = 0;
  const progress = () => d.onProgress?.({ patientsDone: done, patients: patients.length, rows });
  for (const nhs of patients) {
    done++;
    if (await d.research.isOptedOut(nhs)) {
      excluded++;
      continue;
    }
    included++;
    const pseudonym = d.key.pseudonym(nhs);
    if (req.level === 'readings') {
      const sink = (tables[0] as { sink: TableSink }).sink;
      for await (const chunk of d.research.valueChunks(nhs, req.fromMs, req.toMs)) {
        for (const [metric, value, unit, takenAtMs, profileId, corrected] of chunk) {
          const [deviceClass, model] = deviceOf(profileId);
          sink.append([pseudonym, metric, value, unit, coarsen(takenAtMs, req.precision), deviceClass, model, profileId, corrected === 1]);
          if (++rows % 250_000 === 0) progress();
        }
      }
    } else rows += await daily(pseudonym, d.research.valueChunks(nhs, req.fromMs, req.toMs), day, d.timeZone, tables[0]?.sink as TableSink, tables[1]?.sink as TableSink);
    progress();
  }

  const files = tables.map((t) => {
    const count = t.sink.close();
    const path = join(req.outDir, t.name);
    return { name: t.name, rows: count, bytes: statSync(path).size, sha256: sha256File(path), columns: t.columns };
  });
  const manifest: ExtractManifest = {
    project: d.key.projectId,
    keyId: d.key.keyId,
    level: req.level,
    format: req.format,
    period: { from: new Date(req.fromMs).toISOString(), to: new Date(req.toMs).toISOString() },
    timePrecision: req.level === 'readings' ? req.precision : 'local-day',
    timeZone: req.level === 'daily' ? d.timeZone : undefined,
    generatedAt: new Date(d.now()).toISOString(),
    generator: d.generator,
    patients: { included, excludedByOptOut: excluded },
    rows: files.reduce((n, f) => n + f.rows, 0),
    files,
    neverIncluded: NEVER,
  };
  writeFileSync(join(req.outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return ok(manifest);
}

/** One patient's daily summaries (per local day and metric) and home BP monitoring runs; returns rows written. */
async function daily(pseudonym: string, chunks: ValueChunks, day: (ms: number) => number, zone: string, days: TableSink, homeBp: TableSink): Promise<number> {
  // Values come in time order, so each local day is complete once a later day begins.
  let current = Number.NaN;
  let byMetric = new Map<string, { unit: string; count: number; sum: number; min: number; max: number }>();
  let rows = 0;
  const flushDay = () => {
    for (const [metric, a] of [...byMetric].sort(([x], [y]) => (x < y ? -1 : 1))) {
      days.append([pseudonym, current, metric, a.unit, a.count, a.sum / a.count, a.min, a.max]);
      rows++;
    }
    byMetric = new Map();
  };
  const bp = new Map<string, { takenAtMs: number; systolic?: number; diastolic?: number }>();
  for await (const chunk of chunks) for (const [metric, value, unit, takenAtMs, profileId] of chunk) {
    const d = day(takenAtMs);
    if (d !== current) {
      if (byMetric.size > 0) flushDay();
      current = d;
    }
    const a = byMetric.get(metric);
    if (a === undefined) byMetric.set(metric, { unit, count: 1, sum: value, min: value, max: value });
    else {
      a.count++;
      a.sum += value;
      if (value < a.min) a.min = value;
      if (value > a.max) a.max = value;
    }
    if (metric === 'systolic' || metric === 'diastolic') {
      const k = `${takenAtMs}|${profileId}`; // one reading's values share its time and device profile
      const pair = bp.get(k) ?? { takenAtMs };
      pair[metric] = value;
      bp.set(k, pair);
    }
  }
  if (byMetric.size > 0) flushDay();
  const pairs = [...bp.values()].flatMap((p) => (p.systolic === undefined || p.diastolic === undefined ? [] : [{ takenAtMs: p.takenAtMs, systolic: p.systolic, diastolic: p.diastolic }]));
  for (const run of monitoringRuns(pairs, zone)) {
    const avg = homeBpAverage(run, zone);
    const first = day((run[0] as HomeBpReading).takenAtMs);
    const last = day((run[run.length - 1] as HomeBpReading).takenAtMs);
    const cells: Cell[] = avg.enough ? [avg.count, avg.systolic, avg.diastolic, avg.classification] : [0, null, null, null];
    homeBp.append([pseudonym, first, last, avg.days, ...cells]);
    rows++;
  }
  return rows;
}

/** SHA-256 of a file, read in 1 MB pieces. */
export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
