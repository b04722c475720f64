import { cpus } from 'node:os';
import type { InfluxBatching } from './brokers/control.js';
import type { BenchOptions } from './options.js';
import type { ThreadCores } from './proc.js';
import type { TargetResult } from './target.js';

/** Targets the gateway is held to (reported, never enforced by the exit code). */
export const GOALS = {
  /** Gateway QoS 1 throughput as a share of the durable floor's under the same load (raw aedes: a figure, no target). */
  floorRatio: 0.8,
  /** Authenticated idle devices one GiB of gateway RSS holds. */
  idleDevicesPerGiB: 20_000,
  /** Gateway QoS 1 throughput with its InfluxDB output on, as a share of the gateway without it. */
  influxThroughputRatio: 0.9,
} as const;

/** Values per BP message: systolic, diastolic, pulse (the gateway stores them as one row). */
export const VALUES_PER_READING = 3;

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** One broker's figures, in the units the report prints. */
export interface TargetSummary {
  readonly messagesPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly measuredAcks: number;
  readonly totalAcked: number;
  readonly brokerCores: number;
  readonly brokerCpuUsPerMessage: number;
  /** The broker's main thread and its busiest other thread (the gateway's SQLite writer), in cores: on a core, and waiting for one. */
  readonly brokerThreads: { readonly main: ThreadCores; readonly busiestOther: ThreadCores };
  readonly loadCores: number;
  /** The InfluxDB-compatible server the broker writes to (if it has one). */
  readonly serverCores?: number;
  readonly otherCores: number;
  /** Group commits while under load (brokers that store only). */
  readonly groupCommit?: {
    readonly commits: number;
    readonly messagesPerCommit: number;
    readonly meanMs: number;
    /**
     * Commits being planned or written, on average (their durations summed ÷ the load's wall time):
     * above 1 when the writer is sent the next commit while it writes one.
     */
    readonly meanInFlight: number;
    /** The main thread's garbage-collection pauses per acknowledged message. */
    readonly gcPauseUsPerMessage: number;
  };
  readonly idle?: {
    readonly devices: number;
    readonly rssBeforeMiB: number;
    readonly rssAfterMiB: number;
    readonly miBPer1000: number;
    readonly liveMiBPer1000: number;
    readonly devicesPerGiB: number;
  };
}

/** A gateway's stored values against its acknowledged readings, and its dead letters. */
export interface StoredRows {
  readonly rows: number;
  /** The gateway's stored values (VALUES_PER_READING a row). */
  readonly values?: number | undefined;
  readonly expected: number;
  readonly deadLetters: number;
  readonly ok: boolean;
}

/** The gateway with its InfluxDB output on: its figures, and the points its sender shipped. */
export interface InfluxResults {
  /** Its warm-up and measured time (it has no idle-memory phase). */
  readonly options: Pick<BenchOptions, 'warmupMs' | 'measureMs'>;
  readonly target: TargetSummary;
  /**
   * Its throughput as a share of the gateway's without the output: the median over rounds, each a
   * gateway run without the output then one with it, back to back under the same options.
   */
  readonly throughputRatio: number;
  /**
   * The same with the output writing to an endpoint that stores nothing (a figure, no target): the
   * output's own cost, without the server's share of the machine's cores. Undefined when not run.
   */
  readonly discardedRatio: number | undefined;
  readonly rounds: readonly InfluxRound[];
  readonly storedRows: StoredRows;
  readonly batching: InfluxBatching | undefined;
  /** Points written to the server per second over the measured interval, and those still queued at its end. */
  readonly underLoad: { readonly pointsPerS: number; readonly backlogAtEnd: number };
  /** After the load stopped: the backlog, how long the outbox took to empty, and the rate it was sent at. */
  readonly drain: { readonly backlog: number; readonly seconds: number; readonly pointsPerS: number; readonly drained: boolean };
  /** Points delivered in all against acknowledged readings (one point each), once drained. */
  readonly points: { readonly delivered: number; readonly expected: number; readonly pending: number; readonly dead: number; readonly ok: boolean };
}

/** One round of the InfluxDB comparison: the gateway without the output, then with it. */
export interface InfluxRound {
  readonly withoutPerS: number;
  readonly withPerS: number;
  readonly ratio: number;
  /** The gateway's CPU per message without and with the output, and the InfluxDB server's per point (sharing the machine). */
  readonly withoutCpuUs: number;
  readonly withCpuUs: number;
  readonly serverCpuUsPerPoint: number | undefined;
  /**
   * What the 90 % target leaves the output and its server together, in µs of the machine's CPU a
   * message: a ninth of what the machine spent a message without the output (gateway, load
   * generator and the rest), since the machine's cores are what the runs share.
   */
  readonly allowedUs: number;
  /** The output written to an endpoint that stores nothing: throughput, its ratio to without, the gateway's CPU a message. */
  readonly discarded?: { readonly perS: number; readonly ratio: number; readonly cpuUs: number };
}

/** One round of the durable floor comparison: the floor's run (none with `--skip floor`), then the gateway's. */
export interface FloorRuns {
  readonly floor: TargetResult | undefined;
  readonly gateway: TargetResult;
}

/** One round of the durable floor comparison, as reported. */
export interface FloorRound {
  readonly floorPerS: number;
  readonly gatewayPerS: number;
  readonly ratio: number;
  readonly floorCpuUs: number;
  readonly gatewayCpuUs: number;
}

/** The runs of the InfluxDB comparison: pairs of the gateway without and with the output, in order. */
export interface InfluxRuns {
  /** `discarded`: the gateway writing its points to an endpoint that stores nothing (the output's own cost). */
  readonly rounds: readonly { readonly without: TargetResult; readonly with: TargetResult; readonly discarded?: TargetResult }[];
  readonly options: BenchOptions;
}

/** The whole run, as written to `--out`. */
export interface BenchResults {
  readonly machine: { readonly cpus: number; readonly node: string };
  readonly options: BenchOptions;
  readonly raw: TargetSummary;
  /** The durable floor's first round (or undefined with `--skip floor`): aedes, JSON.parse, one SQLite row per message, PUBACK after commit. */
  readonly floor: TargetSummary | undefined;
  /** The gateway's first round, the one with the idle-memory phase. */
  readonly gateway: TargetSummary;
  /** Gateway ÷ raw aedes (the first round's gateway): a figure. */
  readonly throughputRatio: number;
  /** Gateway ÷ durable floor, the median of the rounds' ratios: the target. */
  readonly floorRatio: number | undefined;
  /** Each round of the floor comparison, in order (none with `--skip floor`). */
  readonly floorRounds: readonly FloorRound[];
  readonly storedRows: StoredRows;
  readonly floorStoredRows: StoredRows | undefined;
  /** Or why it was skipped. */
  readonly influx: InfluxResults | { readonly skipped: string };
  readonly errors: readonly string[];
}

/**
 * Turns the brokers' measurements into the figures reported, the ratios and the checks; `influx`
 * is the gateway run with its InfluxDB output on (with the options it ran with), or why it was skipped.
 */
export function summarize(
  options: BenchOptions,
  raw: TargetResult,
  rounds: readonly FloorRuns[],
  influx: InfluxRuns | { readonly skipped: string },
): BenchResults {
  const [first] = rounds;
  if (first === undefined) throw new Error('no gateway run to report');
  const { floor, gateway } = first;
  const base = summarizeTarget(raw);
  const plain = floor === undefined ? undefined : summarizeTarget(floor);
  const gw = summarizeTarget(gateway);
  const floorRounds = rounds.flatMap((r) => (r.floor === undefined ? [] : [floorRound(r.floor, r.gateway)]));
  const runs = [
    raw,
    ...rounds.flatMap((r) => (r.floor === undefined ? [r.gateway] : [r.floor, r.gateway])),
    ...('rounds' in influx ? influx.rounds.flatMap((r) => [r.without, r.with, ...(r.discarded === undefined ? [] : [r.discarded])]) : []),
  ];
  return {
    machine: { cpus: cpus().length, node: process.version },
    options,
    raw: base,
    floor: plain,
    gateway: gw,
    throughputRatio: gw.messagesPerS / base.messagesPerS,
    floorRatio: floorRounds.length === 0 ? undefined : median(floorRounds.map((r) => r.ratio)),
    floorRounds,
    storedRows: storedRows(gateway),
    floorStoredRows: floor === undefined ? undefined : storedRows(floor),
    influx: 'rounds' in influx ? summarizeInflux(influx) : influx,
    errors: [
      ...runs.flatMap((run) => run.load.errors.map((e) => `${run.target.name}: ${e}`)),
      ...laterFloorRoundErrors(rounds),
      ...('rounds' in influx ? earlierRoundErrors(influx) : []),
    ],
  };
}

function floorRound(floor: TargetResult, gateway: TargetResult): FloorRound {
  const f = summarizeTarget(floor);
  const g = summarizeTarget(gateway);
  return { floorPerS: f.messagesPerS, gatewayPerS: g.messagesPerS, ratio: g.messagesPerS / f.messagesPerS, floorCpuUs: f.brokerCpuUsPerMessage, gatewayCpuUs: g.brokerCpuUsPerMessage };
}

/** Stored rows of the floor comparison's rounds after the first (whose checks are reported in full). */
function laterFloorRoundErrors(rounds: readonly FloorRuns[]): string[] {
  return rounds.slice(1).flatMap((r, i) => [r.floor, r.gateway].flatMap((run) => (run === undefined ? [] : rowsMismatch(`floor round ${i + 2}`, run))));
}

/** A run's stored rows against its acknowledged readings, as an error when they differ. */
function rowsMismatch(round: string, run: TargetResult): string[] {
  return storedRows(run).ok ? [] : [`${round}, ${run.target.name}: stored rows do not match the acknowledged readings`];
}

/** Whether the run is broken (publish errors, lost or rejected readings, points not delivered): targets missed are not. */
export function failed(r: BenchResults): boolean {
  const influxOk = 'skipped' in r.influx || (r.influx.storedRows.ok && r.influx.points.ok);
  return r.errors.length > 0 || !r.storedRows.ok || r.floorStoredRows?.ok === false || !influxOk;
}

export function storedRows({ stats, load }: TargetResult): StoredRows {
  const rows = stats?.rows ?? 0;
  const deadLetters = stats?.deadLetters ?? 0;
  const expected = load.totalAcked;
  const values = stats?.values;
  return { rows, values, expected, deadLetters, ok: rows === expected && deadLetters === 0 && (values === undefined || values === VALUES_PER_READING * rows) };
}

/** The figures of the last round's run with the output; the ratio over all rounds. */
function summarizeInflux({ rounds: runs, options }: InfluxRuns): InfluxResults {
  const rounds = runs.map((r): InfluxRound => {
    const without = summarizeTarget(r.without);
    const withOutput = summarizeTarget(r.with);
    const { messagesPerS: withPerS, serverCores } = withOutput;
    const machineUs = ((without.brokerCores + without.loadCores + without.otherCores) * 1e6) / without.messagesPerS;
    const discarded = r.discarded === undefined ? undefined : summarizeTarget(r.discarded);
    return {
      withoutPerS: without.messagesPerS,
      withPerS,
      ratio: withPerS / without.messagesPerS,
      withoutCpuUs: without.brokerCpuUsPerMessage,
      withCpuUs: withOutput.brokerCpuUsPerMessage,
      serverCpuUsPerPoint: serverCores === undefined ? undefined : (serverCores * 1e6) / withPerS,
      allowedUs: machineUs * (1 / GOALS.influxThroughputRatio - 1),
      ...(discarded === undefined ? {} : { discarded: { perS: discarded.messagesPerS, ratio: discarded.messagesPerS / without.messagesPerS, cpuUs: discarded.brokerCpuUsPerMessage } }),
    };
  });
  const discardedRatios = rounds.flatMap((r) => (r.discarded === undefined ? [] : [r.discarded.ratio]));
  const result = (runs[runs.length - 1] as InfluxRuns['rounds'][number]).with;
  if (result.influx === undefined) throw new Error(`${result.target.name}: its outbox was not watched`);
  const { window, drain, final } = result.influx.outbox;
  const target = summarizeTarget(result);
  const expected = result.load.totalAcked;
  return {
    options: { warmupMs: options.warmupMs, measureMs: options.measureMs },
    target,
    throughputRatio: median(rounds.map((r) => r.ratio)),
    discardedRatio: discardedRatios.length === 0 ? undefined : median(discardedRatios),
    rounds,
    storedRows: storedRows(result),
    batching: result.influx.batching,
    underLoad: { pointsPerS: window.delivered / window.seconds, backlogAtEnd: window.backlogAtEnd },
    drain: { backlog: drain.backlog, seconds: drain.seconds, pointsPerS: drain.delivered / drain.seconds, drained: drain.drained },
    points: {
      delivered: final.delivered,
      expected,
      pending: final.pending,
      dead: final.dead,
      ok: final.delivered === expected && final.pending === 0 && final.dead === 0,
    },
  };
}

/**
 * Checks of the runs not reported in full (every run but the last round's with the server): stored
 * rows, and every acknowledged reading's point delivered, none pending or dead.
 */
function earlierRoundErrors({ rounds }: InfluxRuns): string[] {
  return rounds.flatMap((r, i) => {
    const last = i === rounds.length - 1;
    const round = `round ${i + 1}`;
    const withOutput = [...(last ? [] : [r.with]), ...(r.discarded === undefined ? [] : [r.discarded])];
    const problems = [...(last ? [] : [r.without]), ...withOutput].flatMap((run) => rowsMismatch(round, run));
    for (const run of withOutput) {
      const final = run.influx?.outbox.final;
      if (final === undefined || final.delivered !== run.load.totalAcked || final.pending > 0 || final.dead > 0) problems.push(`${round}, ${run.target.name}: InfluxDB points do not match the acknowledged readings`);
    }
    return problems;
  });
}

/** The middle of `values` (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function summarizeTarget({ load, idle, commitsUnderLoad: commits }: TargetResult): TargetSummary {
  return {
    messagesPerS: load.messagesPerS,
    p50Ms: load.latency.percentile(50),
    p99Ms: load.latency.percentile(99),
    measuredAcks: load.measuredAcks,
    totalAcked: load.totalAcked,
    brokerCores: load.brokerCores,
    brokerCpuUsPerMessage: (load.brokerCores * 1e6) / load.messagesPerS,
    brokerThreads: load.brokerThreads,
    loadCores: load.loadCores,
    ...(load.serverCores === undefined ? {} : { serverCores: load.serverCores }),
    otherCores: load.otherCores,
    ...(commits === undefined || commits.commits === 0
      ? {}
      : {
          groupCommit: {
            commits: commits.commits,
            messagesPerCommit: load.totalAcked / commits.commits,
            meanMs: (commits.seconds * 1000) / commits.commits,
            meanInFlight: (commits.seconds * 1000) / load.wallMs,
            gcPauseUsPerMessage: (commits.gcSeconds * 1e6) / load.totalAcked,
          },
        }),
    ...(idle === undefined
      ? {}
      : {
          idle: {
            devices: idle.devices,
            rssBeforeMiB: idle.rssBeforeBytes / MiB,
            rssAfterMiB: idle.rssAfterBytes / MiB,
            miBPer1000: (idle.rssPerDevice * 1000) / MiB,
            liveMiBPer1000: (idle.livePerDevice * 1000) / MiB,
            devicesPerGiB: GiB / idle.rssPerDevice,
          },
        }),
  };
}
