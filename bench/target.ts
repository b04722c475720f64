import { readFileSync } from 'node:fs';
import { V8_FLAGS } from '../src/runtime/index.js';
import type { GatewayStats } from './brokers/gateway.js';
import type { BrokerReady, InfluxBatching } from './brokers/control.js';
import { BenchChild } from './child.js';
import { anonymousDevices } from './devices.js';
import { measureIdle, type IdleResult } from './idle.js';
import type { InfluxServer } from './influx-server.js';
import { runLoad, type LoadResult } from './load/generator.js';
import type { BenchOptions } from './options.js';
import { OutboxWatch, type OutboxResult } from './outbox.js';
import { progress } from './progress.js';

/** A broker under test: a script that starts it in its own process. */
export interface Target {
  readonly name: string;
  readonly script: URL;
  /** Whether it stores readings (and answers `stats`), so stored rows can be checked. */
  readonly stores: boolean;
  /** The server its InfluxDB output writes to (gateway only): the outbox is watched, the server's CPU counted apart. */
  readonly influx?: InfluxServer;
  /** More arguments for its script. */
  readonly args?: readonly string[];
}

/** The brokers compared: raw aedes (stores nothing), the durable floor (stores plainly), the gateway. */
export const TARGETS = {
  raw: { name: 'raw aedes', script: new URL('./brokers/raw-aedes.ts', import.meta.url), stores: false },
  floor: { name: 'durable floor', script: new URL('./brokers/durable-floor.ts', import.meta.url), stores: true },
  gateway: { name: 'gateway', script: new URL('./brokers/gateway.ts', import.meta.url), stores: true },
} as const satisfies Record<string, Target>;

/** The gateway again, with its InfluxDB output writing to `server` (named otherwise for an endpoint that is not the server). */
export const influxTarget = (server: InfluxServer, name = 'gateway + InfluxDB'): Target => ({ ...TARGETS.gateway, name, influx: server });

/** The gateway writing its InfluxDB points to an endpoint that stores nothing (influx-receiver.ts). */
export const DISCARDED_NAME = 'gateway + output, nothing stored';

/** The gateway again, with its alert rules engine off. */
export const RULES_OFF: Target = { ...TARGETS.gateway, name: 'gateway, rules off', args: ['--alerts-off'] };

/** What tells the gateway to write to the server, with the batching asked for. */
const influxArgs = (server: InfluxServer, options: BenchOptions): string[] => [
  '--influx-url',
  server.url,
  ...(options.influxBatch === undefined ? [] : ['--influx-batch', String(options.influxBatch)]),
];

/** How `npm start` runs the gateway: the environment it sets and the Node flags it passes. */
export interface StartRuntime {
  readonly env: Readonly<Record<string, string>>;
  readonly nodeFlags: readonly string[];
}

/** Reads the environment and Node flags off the `start` script (`… && NAME=value … node --flag … dist/src/main.js start`). */
export function startRuntime(startScript: string): StartRuntime {
  const m = /(?:^|&&\s*)((?:[A-Z_][A-Z0-9_]*=\S+\s+)*)node\s+((?:--\S+\s+)*)dist\/src\/main\.js start\s*$/.exec(startScript);
  if (m === null) throw new Error(`cannot read how package.json's start script runs the gateway: ${startScript}`);
  const words = (s: string | undefined): string[] => (s ?? '').split(/\s+/).filter((w) => w !== '');
  return { env: Object.fromEntries(words(m[1]).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)])), nodeFlags: words(m[2]) };
}

/**
 * The runtime of every broker under test: the gateway's as `npm start` runs it (package.json), with
 * the V8 flags the gateway then sets for itself (src/runtime), so it is measured as it runs, and
 * raw aedes and the floor under the same settings.
 */
export function brokerRuntime(): StartRuntime {
  const start = startRuntime((JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }).scripts.start);
  return { env: start.env, nodeFlags: [...start.nodeFlags, ...V8_FLAGS] };
}

/** Forks a broker under test (`script`) in that runtime, with `extraFlags` (profiling, GC) added to its Node flags. */
export function startBroker(script: URL, args: readonly string[], extraFlags: readonly string[] = []): Promise<BenchChild<BrokerReady>> {
  const runtime = brokerRuntime();
  return BenchChild.start<BrokerReady>(script, args, [...extraFlags, ...runtime.nodeFlags], runtime.env);
}

/** Everything measured on one broker. */
export interface TargetResult {
  readonly target: Target;
  readonly idle: IdleResult | undefined;
  readonly load: LoadResult;
  /** For a broker that stores: the store at the end, and the group commits made while under load. */
  readonly stats: GatewayStats | undefined;
  readonly commitsUnderLoad: { readonly commits: number; readonly seconds: number; readonly gcSeconds: number } | undefined;
  /** With an InfluxDB output: how it batches, and its outbox under load and after. */
  readonly influx: { readonly batching: InfluxBatching | undefined; readonly outbox: OutboxResult } | undefined;
}

/** Starts the broker in a child process, measures idle memory, then throughput and latency; stops it. */
export async function benchTarget(target: Target, options: BenchOptions): Promise<TargetResult> {
  const total = options.devices + options.idleDevices;
  progress(`${target.name}: starting${target.stores ? ` and provisioning ${total} devices` : ''}`);
  const profile = options.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`];
  const args = ['--devices', String(total), ...(target.influx === undefined ? [] : influxArgs(target.influx, options)), ...(target.args ?? [])];
  const broker = await startBroker(target.script, args, ['--expose-gc', ...profile]);
  try {
    const url = `mqtt://127.0.0.1:${broker.ready.port}`;
    const devices = broker.ready.devices ?? anonymousDevices(total);
    let idle: IdleResult | undefined;
    if (options.idleDevices > 0) {
      progress(`${target.name}: connecting ${options.idleDevices} idle devices`);
      idle = await measureIdle(broker, url, devices.slice(options.devices));
    }
    progress(`${target.name}: ${options.devices} devices publishing (${options.warmupMs / 1000} s warm-up, ${options.measureMs / 1000} s measured)`);
    const stats = () => (target.stores ? broker.call<GatewayStats>('stats') : Promise.resolve(undefined));
    const before = await stats();
    const outbox = target.influx === undefined ? undefined : new OutboxWatch(broker);
    const load = await runLoad(broker, url, devices.slice(0, options.devices), options, { serverPid: target.influx?.pid, onEdge: outbox?.mark });
    const after = await stats();
    if (outbox !== undefined) progress(`${target.name}: waiting for the outbox to drain`);
    const influx = outbox === undefined ? undefined : { batching: broker.ready.influx, outbox: await outbox.drain(load.totalAcked) };
    const commitsUnderLoad =
      before === undefined || after === undefined
        ? undefined
        : { commits: after.commits - before.commits, seconds: after.commitSeconds - before.commitSeconds, gcSeconds: after.gcSeconds - before.gcSeconds };
    return { target, idle, load, stats: after, commitsUnderLoad, influx };
  } finally {
    await broker.close();
    if (options.cpuProfDir !== undefined) progress(`${target.name}: CPU profile written to ${options.cpuProfDir}`);
  }
}
