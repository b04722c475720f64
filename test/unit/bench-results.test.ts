import { describe, expect, it } from 'vitest';
import { formatAlerts, summarizeRules } from '../../bench/alerts.js';
import { Histogram } from '../../bench/histogram.js';
import { parseOptions, type BenchOptions } from '../../bench/options.js';
import { formatReport } from '../../bench/report.js';
import { failed, summarize, type FloorRuns } from '../../bench/results.js';
import type { TargetResult } from '../../bench/target.js';

const options = parseOptions(['--idle-devices', '0']) as BenchOptions;
const SECONDS = 10;

/** A broker's run at `perS` messages/s: one core busy, and (for a broker that stores) `rows` stored. */
function run(name: string, perS: number, store: { rows?: number; values?: number } | undefined = undefined): TargetResult {
  const acked = perS * SECONDS;
  const latency = new Histogram();
  latency.record(20);
  return {
    target: { name, script: new URL('file:///broker.js'), stores: store !== undefined },
    idle: undefined,
    load: { messagesPerS: perS, measuredAcks: acked, totalAcked: acked, wallMs: SECONDS * 1000, latency, brokerCores: 1, brokerThreads: { main: { cpu: 0.6, waiting: 0.2 }, busiestOther: { cpu: 0.4, waiting: 0.2 } }, loadCores: 0.5, serverCores: undefined, otherCores: 0, errors: [] },
    stats: store === undefined ? undefined : { rows: store.rows ?? acked, ...(store.values === undefined ? {} : { values: store.values }), deadLetters: 0, commits: 100, commitSeconds: 1, gcSeconds: 0.1 },
    commitsUnderLoad: store === undefined ? undefined : { commits: 100, seconds: 1, gcSeconds: 0.1 },
    influx: undefined,
  };
}

const floor = (perS: number, rows?: number): TargetResult => run('durable floor', perS, rows === undefined ? {} : { rows });
const gateway = (perS: number): TargetResult => run('gateway', perS, { values: 3 * perS * SECONDS });
const raw = run('raw aedes', 100_000);
const SKIPPED = { skipped: 'InfluxDB output: skipped (--skip influx)' };

describe('the bench against the durable floor, in rounds', () => {
  const rounds: FloorRuns[] = [
    { floor: floor(60_000), gateway: gateway(42_000) }, // 70 %
    { floor: floor(60_000), gateway: gateway(51_000) }, // 85 %
    { floor: floor(50_000), gateway: gateway(39_000) }, // 78 %
  ];

  it('reports the median round’s ratio, every round, and the first round in the table', () => {
    const r = summarize(options, raw, rounds, SKIPPED);
    expect(r.floorRatio).toBeCloseTo(0.78, 10);
    expect(r.floorRounds.map((f) => [f.floorPerS, f.gatewayPerS])).toEqual([
      [60_000, 42_000],
      [60_000, 51_000],
      [50_000, 39_000],
    ]);
    expect(r.floor?.messagesPerS).toBe(60_000);
    expect(r.gateway.messagesPerS).toBe(42_000);
    expect(r.throughputRatio).toBeCloseTo(0.42, 10);
    expect(failed(r)).toBe(false);
    const report = formatReport(r);
    expect(report).toContain('throughput gateway / durable floor        78.0%, median of 3 rounds (target ≥ 80%)   BELOW TARGET');
    expect(report).toContain('60,000 → 42,000 (70.0%), 60,000 → 51,000 (85.0%), 50,000 → 39,000 (78.0%)');
  });

  it('fails the run when a later round stored other than it acknowledged', () => {
    const lost = [...rounds.slice(0, 2), { floor: floor(50_000, 499_999), gateway: gateway(39_000) }];
    const r = summarize(options, raw, lost, SKIPPED);
    expect(r.errors).toEqual(['floor round 3, durable floor: stored rows do not match the acknowledged readings']);
    expect(r.floorStoredRows?.ok).toBe(true);
    expect(failed(r)).toBe(true);
  });

  it('has no ratio to the floor when the floor is skipped', () => {
    const r = summarize(options, raw, [{ floor: undefined, gateway: gateway(42_000) }], SKIPPED);
    expect(r.floorRatio).toBeUndefined();
    expect(r.floorRounds).toEqual([]);
    const report = formatReport(r);
    expect(report).not.toContain('throughput gateway / durable floor');
    expect(report).not.toContain('rounds, msgs/s floor');
    expect(report).toContain('no durable floor measured (--skip floor)');
  });
});

describe('the InfluxDB output, in rounds: against the server and against an endpoint that stores nothing', () => {
  /** A gateway run with its output on, every acknowledged reading's point delivered (or `lost` fewer), the server at `serverCores`. */
  const withOutput = (name: string, perS: number, serverCores: number, lost = 0): TargetResult => {
    const r = run(name, perS, { values: 3 * perS * SECONDS });
    const final = { delivered: perS * SECONDS - lost, pending: 0, dead: 0, oldestPendingAtMs: undefined };
    return {
      ...r,
      load: { ...r.load, serverCores },
      influx: { batching: { batchSize: 5000, flushIntervalMs: 1000 }, outbox: { window: { delivered: perS * 8, seconds: 8, backlogAtEnd: 0 }, drain: { backlog: 0, delivered: 0, seconds: 0, drained: true }, final } },
    };
  };
  const rounds = (lost = 0) => [
    { without: gateway(50_000), with: withOutput('gateway + InfluxDB', 42_000, 0.084), discarded: withOutput('gateway + output, nothing stored', 46_000, 0.01, lost) }, // 84 %, 92 %
    { without: gateway(40_000), with: withOutput('gateway + InfluxDB', 36_000, 0.072), discarded: withOutput('gateway + output, nothing stored', 35_000, 0.01) }, // 90 %, 87.5 %
    { without: gateway(50_000), with: withOutput('gateway + InfluxDB', 43_000, 0.086), discarded: withOutput('gateway + output, nothing stored', 45_000, 0.01) }, // 86 %, 90 %
  ];

  it('reports both medians, the server apart, and what the target leaves the output and its server', () => {
    const r = summarize(options, raw, [{ floor: floor(60_000), gateway: gateway(50_000) }], { rounds: rounds(), options });
    if ('skipped' in r.influx) throw new Error('not run');
    expect(r.influx.throughputRatio).toBeCloseTo(0.86, 10);
    expect(r.influx.discardedRatio).toBeCloseTo(0.9, 10);
    // Without the output: the gateway 1 core, the load generator 0.5, at 50,000/s: 30 µs a message; a ninth of it.
    expect(r.influx.rounds[0]?.allowedUs).toBeCloseTo(30 / 9, 10);
    expect(r.errors).toEqual([]);
    expect(failed(r)).toBe(false);
    const report = formatReport(r);
    expect(report).toContain('throughput gateway + InfluxDB / gateway   86.0%, median of 3 rounds (target ≥ 90%)   BELOW TARGET');
    expect(report).toContain('InfluxDB server CPU per point (µs)        2.0, 2.0, 2.0');
    // 50,000/s at one core: 20 µs; 42,000/s at one core: 23.8 µs, 3.8 more; the server 0.084 cores at 42,000/s: 2.0 µs a point.
    expect(report).toContain('the target leaves output + server (µs)    3.3 (took 3.8 + 2.0), 4.2 (took 2.8 + 2.0), 3.3 (took 3.3 + 2.0)');
    expect(report).toContain('nothing stored: with / without the output 90.0%, median of 3 rounds');
    expect(report).toContain('50,000 → 46,000 (92.0%), 40,000 → 35,000 (87.5%), 50,000 → 45,000 (90.0%)');
    expect(report).toContain('20.0 → 21.7, 25.0 → 28.6, 20.0 → 22.2');
  });

  it('fails the run when a run to the endpoint that stores nothing did not deliver every point', () => {
    const r = summarize(options, raw, [{ floor: floor(60_000), gateway: gateway(50_000) }], { rounds: rounds(1), options });
    expect(r.errors).toEqual(['round 1, gateway + output, nothing stored: InfluxDB points do not match the acknowledged readings']);
    expect(failed(r)).toBe(true);
  });

  it('reports no such figure when no run wrote to the endpoint that stores nothing', () => {
    const r = summarize(options, raw, [{ floor: floor(60_000), gateway: gateway(50_000) }], { rounds: rounds().map(({ without, with: w }) => ({ without, with: w })), options });
    if ('skipped' in r.influx) throw new Error('not run');
    expect(r.influx.discardedRatio).toBeUndefined();
    expect(formatReport(r)).not.toContain('nothing stored');
  });
});

describe('the alert rules’ cost, in rounds', () => {
  const rulesOff = (perS: number): TargetResult => run('gateway, rules off', perS, { values: 3 * perS * SECONDS });
  const rounds = [
    { off: rulesOff(40_000), on: gateway(34_000) }, // 85 %
    { off: rulesOff(40_000), on: gateway(38_000) }, // 95 %
    { off: rulesOff(50_000), on: gateway(46_000) }, // 92 %
  ];

  it('reports the median round’s ratio against its target, and every round', () => {
    const cost = summarizeRules(rounds);
    expect(cost.ratio).toBeCloseTo(0.92, 10);
    expect(cost.ok).toBe(true);
    const report = formatAlerts(undefined, cost);
    expect(report).toContain('throughput rules on ÷ off: 92.0%, median of 3 rounds (target ≥ 90%)   PASS');
    expect(report).toContain('rounds, msgs/s off → on: 40,000 → 34,000 (85.0%), 40,000 → 38,000 (95.0%), 50,000 → 46,000 (92.0%)');
    expect(report).toContain('CPU per message off → on (µs): 25.0 → 29.4, 25.0 → 26.3, 20.0 → 21.7'); // one core busy in each run
    expect(formatAlerts(undefined, summarizeRules(rounds.slice(0, 1)))).toContain('throughput rules on ÷ off: 85.0% (target ≥ 90%)   BELOW TARGET');
  });

  it('fails when any run stored other than it acknowledged', () => {
    const lost = { off: rulesOff(40_000), on: run('gateway', 38_000, { rows: 379_999, values: 3 * 379_999 }) };
    const cost = summarizeRules([...rounds.slice(0, 2), lost]);
    expect(cost.ok).toBe(false);
    expect(formatAlerts(undefined, cost)).toContain('MISMATCH');
  });
});
