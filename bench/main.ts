/**
 * `npm run bench`: QoS 1 throughput and publish→PUBACK latency of the full gateway pipeline against
 * raw aedes under the same load, resident memory per 1,000 idle authenticated devices, and the
 * gateway again with its InfluxDB output writing to a local VictoriaMetrics (throughput cost,
 * points per second shipped) and with its alert rules off (their cost), publish→alert-delivered
 * latency for a clinician, the FHIR output's delivery (batched vs one request per Observation,
 * draining 10,000 after an outage), back-pressure (a flood beside calm devices) and the web app
 * (triage list, chart data, page weight) and research extracts (rows per second, peak memory). Each broker runs in its own process, the load in others;
 * see `--help` for the knobs.
 */
import { writeFileSync } from 'node:fs';
import { buildForBench } from './build.js';
import { benchFhir, formatFhir } from './fhir.js';
import { INFLUX_SKIPPED, startDiscardingReceiver, startInfluxServer } from './influx-server.js';
import { parseOptions, USAGE, type BenchOptions } from './options.js';
import { progress } from './progress.js';
import { formatReport } from './report.js';
import { failed, summarize, type FloorRuns, type InfluxRuns, type TargetSummary } from './results.js';
import { benchTarget, DISCARDED_NAME, influxTarget, RULES_OFF, TARGETS, type TargetResult } from './target.js';
import { ALERT_BENCH_DEFAULTS, benchAlerts, formatAlerts, summarizeRules, type RulesCost, type RulesRound } from './alerts.js';
import { benchFlood, formatFlood } from './flood.js';
import { benchWeb, formatWeb } from './web.js';
import { benchResearch, formatResearch } from './research.js';
import { benchMigration, formatMigration } from './migration.js';
import { benchWorker, formatWorker } from './worker.js';
import { benchPgWorkers, formatPgWorkers } from './workers-postgres.js';
import { benchStores, formatStores } from './stores.js';
import { inTurns, pairInOrder } from './rounds.js';

async function main(argv: readonly string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const skip = options.skip;
  buildForBench();
  const raw = await benchTarget(TARGETS.raw, options);
  const rounds = skip.has('floor') ? [{ floor: undefined, gateway: await benchTarget(TARGETS.gateway, options) }] : await benchAgainstFloor(options);
  const results = summarize(options, raw, rounds, skip.has('influx') ? { skipped: 'InfluxDB output: skipped (--skip influx)' } : await benchInflux(options));
  const stores = skip.has('stores') ? undefined : benchStores({ gateway: batchOf(results.gateway), floor: results.floor === undefined ? FLOOR_BATCH : batchOf(results.floor) });
  const rules = skip.has('rules') ? undefined : await benchRules(options);
  const alerts = options.alertDevices === 0 || skip.has('alerts') ? undefined : await benchAlerts({ ...ALERT_BENCH_DEFAULTS, devices: options.alertDevices });
  // The same with 10 webhook receivers, one of them down: a broken receiver must hold up no one.
  const hooked = alerts === undefined ? undefined : await benchAlerts({ ...ALERT_BENCH_DEFAULTS, devices: options.alertDevices, webhooks: 10, webhooksDown: 1 });
  const fhir = skip.has('fhir') ? undefined : await benchFhir();
  const flood = skip.has('flood') ? undefined : await benchFlood();
  const web = skip.has('web') ? undefined : await benchWeb();
  const research = skip.has('research') ? undefined : await benchResearch();
  const migration = skip.has('migration') ? undefined : await benchMigration();
  const worker = skip.has('worker') ? undefined : await benchWorker();
  const postgres = skip.has('postgres') ? undefined : await benchPgWorkers();
  process.stdout.write(
    `\n${formatReport(results)}\n${stores === undefined ? '' : `\n${formatStores(stores, results)}\n`}\n${formatAlerts(alerts, rules, hooked)}\n${fhir === undefined ? '' : `\n${formatFhir(fhir)}\n`}${flood === undefined ? '' : `\n${formatFlood(flood)}\n`}${web === undefined ? '' : `\n${formatWeb(web)}\n`}${research === undefined ? '' : `\n${formatResearch(research)}\n`}${migration === undefined ? '' : `\n${formatMigration(migration)}\n`}${worker === undefined ? '' : `\n${formatWorker(worker, results.gateway.messagesPerS)}\n`}${postgres === undefined ? '' : `\n${formatPgWorkers(postgres, results.gateway.messagesPerS)}\n`}`,
  );
  if (options.out !== undefined) {
    writeFileSync(options.out, `${JSON.stringify({ ...results, stores, alerts: { latency: alerts, withWebhooks: hooked, rules }, fhir, flood, web, research, migration, worker, postgres }, null, 2)}\n`);
    progress(`results written to ${options.out}`);
  }
  // Targets are reported, not enforced: only a broken run (publish errors, lost or rejected readings, points, alerts or Observations) fails.
  return failed(results) || rules?.ok === false || alerts?.ok === false || hooked?.ok === false || fhir?.drain.ok === false || flood?.ok === false || web?.ok === false || research?.ok === false || migration?.ok === false || stores?.ok === false || (worker !== undefined && 'ok' in worker && !worker.ok) || (postgres !== undefined && 'ok' in postgres && !postgres.ok) ? 1 : 0;
}

/** Without a durable floor measured, the stores alone commit the floor's rows in batches of this many. */
const FLOOR_BATCH = 1_000;
/** Messages per group commit a broker made under load (1,000 if it reported none). */
const batchOf = (t: TargetSummary): number => Math.max(1, Math.round(t.groupCommit?.messagesPerCommit ?? FLOOR_BATCH));

/**
 * The alert rules' cost: the gateway with its rules off and on, back to back, for each round (in
 * turns, see {@link pairInOrder}; neither with the idle-memory phase, so they differ only by the
 * rules), as the median round's ratio. A pair run together shares the machine's minute; runs
 * minutes apart differ by up to 15 %.
 */
async function benchRules(options: BenchOptions): Promise<RulesCost> {
  const rulesOptions = { ...options, idleDevices: 0 };
  const rounds: RulesRound[] = [];
  for (let i = 0; i < options.rulesRounds; i++) {
    const [off, on] = await pairInOrder(i, () => benchTarget(RULES_OFF, rulesOptions), () => benchTarget(TARGETS.gateway, rulesOptions));
    rounds.push({ off, on });
  }
  return summarizeRules(rounds);
}

/**
 * The durable floor and the gateway, back to back, for each round (in turns, see {@link
 * pairInOrder}): a run's machine can be 15 % faster or slower a minute later, and a pair run
 * together shares it. The floor checks no credentials and keeps no sessions, so it has no
 * idle-memory phase; the gateway has it in the first round only (its figures are the table's), the
 * later rounds' pairs differ only by the broker.
 */
async function benchAgainstFloor(options: BenchOptions): Promise<FloorRuns[]> {
  const rounds: FloorRuns[] = [];
  for (let i = 0; i < options.floorRounds; i++) {
    const [floor, gateway] = await pairInOrder(
      i,
      () => benchTarget(TARGETS.floor, { ...options, idleDevices: 0 }),
      () => benchTarget(TARGETS.gateway, i === 0 ? options : { ...options, idleDevices: 0 }),
    );
    rounds.push({ floor, gateway });
  }
  return rounds;
}

/**
 * The gateway without its InfluxDB output, with it writing to the server, and with it writing to an
 * endpoint that stores nothing (the output's own cost, the server's share of the cores left out),
 * back to back for each round (in turns, see {@link inTurns}; none with the idle-memory phase, so
 * they differ only by the output); skipped when there is no server.
 */
async function benchInflux(options: BenchOptions): Promise<InfluxRuns | { skipped: string }> {
  const server = await startInfluxServer();
  if (server === undefined) return { skipped: INFLUX_SKIPPED };
  const receiver = await startDiscardingReceiver().catch(async (error: unknown) => {
    await server.stop();
    throw error;
  });
  try {
    const influxOptions = { ...options, idleDevices: 0 };
    const rounds: InfluxRuns['rounds'][number][] = [];
    for (let i = 0; i < options.influxRounds; i++) {
      const [without, withOutput, discarded] = await inTurns<[TargetResult, TargetResult, TargetResult]>(i, [
        () => benchTarget(TARGETS.gateway, influxOptions),
        () => benchTarget(influxTarget(server), influxOptions),
        () => benchTarget(influxTarget(receiver, DISCARDED_NAME), influxOptions),
      ]);
      rounds.push({ without, with: withOutput, discarded });
    }
    return { rounds, options: influxOptions };
  } finally {
    await Promise.all([server.stop(), receiver.stop()]);
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
