import { readFileSync, writeFileSync } from 'node:fs';
import { GatewayError } from '../domain/index.js';
import { gatewayVersion } from '../config/version.js';
import { loadSecretKey } from '../outputs/secret-key.js';
import { loadProfiles } from '../profiles/index.js';
import { cohortSummary, ExtractError, extractInWorker, parseOptOutFile, PROJECT_ID, type ExtractLevel, type ExtractProgress, type SummaryDimension, type TableFormat, type TimePrecision } from '../research/index.js';
import type { OptOutState } from '../store/sqlite/index.js';
import { auditCli as audit, patientOption, withAnyStore, type GlobalOptions } from './context.js';
import { isoTime, stdout } from './output.js';

type Json = { json?: boolean | undefined };


/** `vitals-gateway patients opt-out|opt-in --patient <nhs> --source <text>`: the patient's research opt-out, with when and its source. */
export async function patientsOptOut(global: GlobalOptions, optedOut: boolean, o: { patient: string; source: string } & Json): Promise<void> {
  const patientNhs = patientOption(o.patient);
  await withAnyStore(global, async (store) => {
    const state: OptOutState = { patientNhs, optedOut, setAtMs: Date.now(), source: o.source };
    const changed = await store.research.setOptOut(state);
    await audit(store, optedOut ? 'patient.research-opt-out' : 'patient.research-opt-in', patientNhs, o.source);
    const now = (await store.research.optOut(patientNhs)) as OptOutState;
    if (o.json) stdout.json({ patient: patientNhs, optedOut: now.optedOut, setAt: isoTime(now.setAtMs), source: now.source, changed });
    else stdout.line(`${changed ? '' : 'already '}${optedOut ? 'opted out of' : 'opted in to'} research use since ${isoTime(now.setAtMs) ?? ''} (${now.source})`);
  });
}

/**
 * `vitals-gateway patients opt-outs import <file> [--source <text>] [--usable]`: a file of NHS
 * numbers. By default each is opted out. With `--usable` the file is what the Check for National
 * Data Opt-outs service returns (the numbers that MAY be used): every patient of this gateway not in
 * it is opted out, and one in it whose opt-out came from the same source is opted in again.
 * Idempotent; invalid lines are reported and skipped.
 */
export async function patientsOptOutsImport(global: GlobalOptions, file: string, o: { source: string; usable?: boolean | undefined } & Json): Promise<void> {
  const parsed = parseOptOutFile(readFileSync(file, 'utf8'));
  await withAnyStore(global, async (store) => {
    const now = Date.now();
    let states: OptOutState[];
    if (o.usable === true) {
      const usable = new Set<string>(parsed.numbers);
      const fromSource = new Map((await store.research.optOuts()).filter((s) => s.source === o.source).map((s) => [s.patientNhs, s]));
      states = (await store.research.knownPatients()).flatMap((nhs): OptOutState[] => {
        if (!usable.has(nhs)) return [{ patientNhs: nhs, optedOut: true, setAtMs: now, source: o.source }];
        return fromSource.get(nhs)?.optedOut === true ? [{ patientNhs: nhs, optedOut: false, setAtMs: now, source: o.source }] : [];
      });
    } else states = parsed.numbers.map((nhs) => ({ patientNhs: nhs, optedOut: true, setAtMs: now, source: o.source }));
    const changed = await store.research.setOptOuts(states);
    const optedOut = states.filter((s) => s.optedOut).length;
    const report = {
      file,
      mode: o.usable === true ? 'usable' : 'opted-out',
      source: o.source,
      valid: parsed.numbers.length,
      invalid: parsed.invalid.length,
      invalidLines: parsed.invalid,
      optedOut,
      optedIn: states.length - optedOut,
      changed,
      unchanged: states.length - changed,
    };
    await audit(store, 'research.opt-outs-import', undefined, `${o.source}: ${changed} changed`);
    if (o.json) stdout.json(report);
    else {
      stdout.line(`${report.valid} valid NHS numbers, ${report.invalid} invalid lines skipped`);
      for (const bad of parsed.invalid) stdout.line(`  line ${bad.line}: ${bad.reason}`);
      stdout.line(`${optedOut} patients opted out, ${report.optedIn} opted in again: ${changed} changed, ${report.unchanged} already so`);
    }
  });
}

/** `vitals-gateway patients opt-outs check-file --out <file>`: this gateway's patients, as the Check for National Data Opt-outs service takes them over MESH. */
export async function patientsOptOutsCheckFile(global: GlobalOptions, o: { out: string } & Json): Promise<void> {
  await withAnyStore(global, async (store) => {
    const patients = await store.research.knownPatients();
    // One number per line, each followed by a comma; LF line ends [the service's .dat format].
    writeFileSync(o.out, patients.map((nhs) => `${nhs},\n`).join(''), { mode: 0o600, flag: 'wx' });
    await audit(store, 'research.opt-out-check-file', undefined, `${patients.length} patients`);
    if (o.json) stdout.json({ out: o.out, patients: patients.length });
    else stdout.line(`${patients.length} NHS numbers written to ${o.out}; send it through MESH, then import the file returned with --usable`);
  });
}

/** `vitals-gateway patients opt-outs list`: every recorded state (NHS numbers masked in the table). */
export async function patientsOptOutsList(global: GlobalOptions, o: Json): Promise<void> {
  await withAnyStore(global, async (store) => {
    const list = (await store.research.optOuts()).map((s) => ({ patient: s.patientNhs, optedOut: s.optedOut, setAt: isoTime(s.setAtMs), source: s.source }));
    if (o.json) stdout.json(list);
    else stdout.table(list.map((s) => ({ ...s, patient: `******${s.patient.slice(-4)}` })), 'no opt-out recorded');
  });
}

function project(id: string): string {
  if (!PROJECT_ID.test(id)) throw new GatewayError('GW_RESEARCH_PROJECT_INVALID', `--project: "${id}" is not a project id (1–64 of A–Z a–z 0–9 . - _)`);
  return id;
}

function period(from: string, to: string): { fromMs: number; toMs: number } {
  const fromMs = Date.parse(from);
  const toMs = Date.parse(to);
  if (Number.isNaN(fromMs) || Number.isNaN(toMs) || toMs <= fromMs) throw new GatewayError('GW_RESEARCH_PERIOD_INVALID', `--from ${from} --to ${to}: two ISO 8601 dates or times, --to (exclusive) after --from`);
  return { fromMs, toMs };
}

/** A progress bar on a terminal; elsewhere a line at each tenth. */
function progressBar(): { update(p: ExtractProgress): void; done(): void } {
  const started = performance.now();
  let lastTenth = -1;
  const tty = process.stderr.isTTY === true;
  return {
    update(p) {
      const share = p.patients === 0 ? 1 : p.patientsDone / p.patients;
      const rate = p.rows / Math.max(0.001, (performance.now() - started) / 1000);
      const text = `${Math.round(share * 100)}% ${p.patientsDone}/${p.patients} patients, ${p.rows.toLocaleString('en-GB')} rows, ${Math.round(rate).toLocaleString('en-GB')} rows/s`;
      if (tty) {
        const width = 30;
        const filled = Math.round(share * width);
        process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}   `);
      } else if (Math.floor(share * 10) > lastTenth) {
        lastTenth = Math.floor(share * 10);
        process.stderr.write(`${text}\n`);
      }
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}

/**
 * `vitals-gateway research extract --project <id> --from … --to … --out <dir> [--format parquet|csv] [--level readings|daily] [--precision hour|day|week]`.
 */
export function researchExtract(
  global: GlobalOptions,
  o: { project: string; from: string; to: string; out: string; format: TableFormat; level: ExtractLevel; precision?: TimePrecision | undefined } & Json,
): Promise<void> {
  const projectId = project(o.project);
  const { fromMs, toMs } = period(o.from, o.to);
  return withAnyStore(global, async (store, config) => {
    const bar = progressBar();
    const started = performance.now();
    const result = await extractInWorker(
      {
        dbFile: config.dbFile,
        postgresUrl: config.store.postgres?.url,
        profilesDir: config.profilesDir,
        // Made on first use by a gateway on SQLite; on PostgreSQL every machine's command line must hold the same one.
        secret: loadSecretKey(config.researchKeyFile, { create: config.store.postgres === undefined }),
        projectId,
        request: { fromMs, toMs, level: o.level, format: o.format, precision: o.precision ?? config.research.timePrecision, outDir: o.out },
        timeZone: config.fhir.timeZone,
        generator: `vitals-gateway ${gatewayVersion()}`,
      },
      (p) => bar.update(p),
    );
    bar.done();
    if (!result.ok) {
      if (result.error === ExtractError.OutNotEmpty) throw new GatewayError('GW_RESEARCH_OUT_NOT_EMPTY', `--out ${o.out} already holds files`);
      throw new GatewayError('GW_RESEARCH_PERIOD_INVALID', '--to must be after --from');
    }
    const m = result.value;
    await audit(store, 'research.extract', undefined, `${projectId}: ${m.level}, ${m.rows} rows, ${m.patients.included} patients, ${m.patients.excludedByOptOut} excluded by opt-out`);
    const seconds = (performance.now() - started) / 1000;
    const summary = { out: o.out, project: projectId, level: m.level, format: m.format, rows: m.rows, patients: m.patients, files: m.files.map((f) => ({ name: f.name, rows: f.rows, bytes: f.bytes, sha256: f.sha256 })), seconds: Math.round(seconds * 10) / 10, rowsPerSecond: Math.round(m.rows / Math.max(seconds, 0.001)), peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) };
    if (o.json) stdout.json(summary);
    else {
      stdout.line(`extract for ${projectId} (${m.level}, ${m.format}) in ${o.out}: ${m.rows.toLocaleString('en-GB')} rows, ${m.patients.included} patients, ${m.patients.excludedByOptOut} excluded by opt-out`);
      for (const f of summary.files) stdout.line(`  ${f.name}: ${f.rows.toLocaleString('en-GB')} rows, ${f.bytes.toLocaleString('en-GB')} bytes, sha256 ${f.sha256}`);
      stdout.line(`  manifest.json; ${summary.rowsPerSecond.toLocaleString('en-GB')} rows/s, peak memory ${summary.peakRssMiB} MiB`);
    }
  });
}

/** `vitals-gateway research summary --project <id> --from … --to … --by metric,day [--json]`: counts with disclosure control. */
export async function researchSummary(global: GlobalOptions, o: { project: string; from: string; to: string; by: SummaryDimension[] } & Json): Promise<void> {
  const projectId = project(o.project);
  const { fromMs, toMs } = period(o.from, o.to);
  await withAnyStore(global, async (store, config) => {
    const s = await cohortSummary({ fromMs, toMs, by: o.by }, { research: store.research, profiles: loadProfiles(config.profilesDir), timeZone: config.fhir.timeZone });
    await audit(store, 'research.summary', undefined, `${projectId}: by ${o.by.join(',')}, ${s.groups.length} groups`);
    if (o.json) stdout.json({ project: projectId, period: { from: isoTime(fromMs), to: isoTime(toMs) }, disclosure: 'counts 1–7 suppressed (null), others rounded to the nearest 5', ...s });
    else {
      // CSV, suppressed counts as `*` [NHS England's convention].
      const cell = (n: number | null) => (n === null ? '*' : String(n));
      stdout.line([...o.by, 'patients', 'values'].join(','));
      for (const g of s.groups) stdout.line([...o.by.map((d) => g.group[d] ?? ''), cell(g.patients), cell(g.values)].join(','));
    }
  });
}
