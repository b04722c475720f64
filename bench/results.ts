import { cpus } from 'node:os';
import type { BenchOptions } from './options.js';
import type { TargetResult } from './target.js';

/** Targets the gateway is held to (reported, never enforced by the exit code). */
export const GOALS = {
  /** Gateway QoS 1 throughput as a share of raw aedes under the same load. */
  throughputRatio: 0.5,
  /** Authenticated idle devices one GiB of gateway RSS holds. */
  idleDevicesPerGiB: 20_000,
} as const;

/** Readings stored per BP message: systolic, diastolic, pulse. */
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
  readonly loadCores: number;
  readonly otherCores: number;
  /** Group commits while under load (brokers that store only). */
  readonly groupCommit?: {
    readonly commits: number;
    readonly messagesPerCommit: number;
    readonly meanMs: number;
    /** Share of the load's wall time the event loop spent inside commits. */
    readonly shareOfTime: number;
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

/** The whole run, as written to `--out`. */
export interface BenchResults {
  readonly machine: { readonly cpus: number; readonly node: string };
  readonly options: BenchOptions;
  readonly raw: TargetSummary;
  readonly gateway: TargetSummary;
  readonly throughputRatio: number;
  readonly storedRows: { readonly rows: number; readonly expected: number; readonly deadLetters: number; readonly ok: boolean };
  readonly errors: readonly string[];
}

/** Turns both brokers' measurements into the figures reported, the ratio and the stored-rows check. */
export function summarize(options: BenchOptions, raw: TargetResult, gateway: TargetResult): BenchResults {
  const rows = gateway.stats?.rows ?? 0;
  const deadLetters = gateway.stats?.deadLetters ?? 0;
  const expected = VALUES_PER_READING * gateway.load.totalAcked;
  const base = summarizeTarget(raw);
  const gw = summarizeTarget(gateway);
  return {
    machine: { cpus: cpus().length, node: process.version },
    options,
    raw: base,
    gateway: gw,
    throughputRatio: gw.messagesPerS / base.messagesPerS,
    storedRows: { rows, expected, deadLetters, ok: rows === expected && deadLetters === 0 },
    errors: [...raw.load.errors.map((e) => `raw aedes: ${e}`), ...gateway.load.errors.map((e) => `gateway: ${e}`)],
  };
}

function summarizeTarget({ load, idle, commitsUnderLoad: commits }: TargetResult): TargetSummary {
  return {
    messagesPerS: load.messagesPerS,
    p50Ms: load.latency.percentile(50),
    p99Ms: load.latency.percentile(99),
    measuredAcks: load.measuredAcks,
    totalAcked: load.totalAcked,
    brokerCores: load.brokerCores,
    brokerCpuUsPerMessage: (load.brokerCores * 1e6) / load.messagesPerS,
    loadCores: load.loadCores,
    otherCores: load.otherCores,
    ...(commits === undefined || commits.commits === 0
      ? {}
      : {
          groupCommit: {
            commits: commits.commits,
            messagesPerCommit: load.totalAcked / commits.commits,
            meanMs: (commits.seconds * 1000) / commits.commits,
            shareOfTime: (commits.seconds * 1000) / load.wallMs,
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
