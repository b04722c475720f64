import type { GatewayStats } from './brokers/gateway.js';
import type { BrokerReady } from './brokers/control.js';
import { BenchChild } from './child.js';
import { anonymousDevices } from './devices.js';
import { measureIdle, type IdleResult } from './idle.js';
import { runLoad, type LoadResult } from './load/generator.js';
import type { BenchOptions } from './options.js';
import { progress } from './progress.js';

/** A broker under test: a script that starts it in its own process. */
export interface Target {
  readonly name: string;
  readonly script: URL;
  /** Whether it stores readings (and answers `stats`), so stored rows can be checked. */
  readonly stores: boolean;
}

/** The two brokers compared. */
export const TARGETS = {
  raw: { name: 'raw aedes', script: new URL('./brokers/raw-aedes.ts', import.meta.url), stores: false },
  gateway: { name: 'gateway', script: new URL('./brokers/gateway.ts', import.meta.url), stores: true },
} as const satisfies Record<string, Target>;

/** Everything measured on one broker. */
export interface TargetResult {
  readonly target: Target;
  readonly idle: IdleResult | undefined;
  readonly load: LoadResult;
  /** For a broker that stores: the store at the end, and the group commits made while under load. */
  readonly stats: GatewayStats | undefined;
  readonly commitsUnderLoad: { readonly commits: number; readonly seconds: number } | undefined;
}

/** Starts the broker in a child process, measures idle memory, then throughput and latency; stops it. */
export async function benchTarget(target: Target, options: BenchOptions): Promise<TargetResult> {
  const total = options.devices + options.idleDevices;
  progress(`${target.name}: starting${target.stores ? ` and provisioning ${total} devices` : ''}`);
  const profile = options.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`];
  const broker = await BenchChild.start<BrokerReady>(target.script, ['--devices', String(total)], ['--expose-gc', ...profile]);
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
    const load = await runLoad(broker, url, devices.slice(0, options.devices), options);
    const after = await stats();
    const commitsUnderLoad =
      before === undefined || after === undefined
        ? undefined
        : { commits: after.commits - before.commits, seconds: after.commitSeconds - before.commitSeconds };
    return { target, idle, load, stats: after, commitsUnderLoad };
  } finally {
    await broker.close();
    if (options.cpuProfDir !== undefined) progress(`${target.name}: CPU profile written to ${options.cpuProfDir}`);
  }
}
