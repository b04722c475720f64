import { setTimeout as sleep } from 'node:timers/promises';
import type { DeviceCredentials } from '../../src/devices/index.js';
import { BenchChild } from '../child.js';
import { Histogram } from '../histogram.js';
import { cpuMs, machineBusyMs, threadCores, type ThreadCores } from '../proc.js';
import type { LoadReport } from './publisher.js';

/** How the load is shaped. */
export interface LoadOptions {
  readonly workers: number;
  readonly window: number;
  readonly warmupMs: number;
  readonly measureMs: number;
}

/** The start and the end of the measured interval, and the moment the last PUBACK arrived. */
export type LoadEdge = 'measure-start' | 'measure-end' | 'load-end';

/** What else the load watches besides the broker. */
export interface LoadWatch {
  /** A server the broker writes to: its CPU is counted apart from everything else's. */
  readonly serverPid?: number | undefined;
  /** Called at each edge, before the load goes on (beside the CPU readings, at the edges of the measured interval). */
  readonly onEdge?: ((edge: LoadEdge) => Promise<void>) | undefined;
}

/** The merged result of all load workers, with the CPU the broker and the load used while measured. */
export interface LoadResult {
  readonly messagesPerS: number;
  readonly measuredAcks: number;
  readonly totalAcked: number;
  /** From the first publish to the last PUBACK, warm-up included. */
  readonly wallMs: number;
  readonly latency: Histogram;
  /** CPU time over the measured interval, as a share of one core (1 = one core busy). */
  readonly brokerCores: number;
  /**
   * The broker's main thread and its busiest other thread (in the gateway, the SQLite writer): the
   * share of one core each was on a core, and runnable but waiting for one.
   */
  readonly brokerThreads: { readonly main: ThreadCores; readonly busiestOther: ThreadCores };
  readonly loadCores: number;
  /** The server the broker writes to (`LoadWatch.serverPid`), if any. */
  readonly serverCores: number | undefined;
  /** Everything else on the machine (this orchestrator included): a busy neighbour skews the figures. */
  readonly otherCores: number;
  readonly errors: readonly string[];
}

/**
 * Runs QoS 1 publish load against `broker` from `options.workers` processes, the devices dealt
 * round-robin between them: connect, warm up, measure for a fixed time, drain.
 */
export async function runLoad(
  broker: BenchChild,
  url: string,
  devices: readonly DeviceCredentials[],
  options: LoadOptions,
  watch: LoadWatch = {},
): Promise<LoadResult> {
  const workerCount = Math.min(options.workers, devices.length);
  const workers = await Promise.all(Array.from({ length: workerCount }, () => BenchChild.start(new URL('./worker.ts', import.meta.url))));
  try {
    await Promise.all(
      workers.map((w, i) => w.call('connect', { url, window: options.window, devices: devices.filter((_, d) => d % workerCount === i) })),
    );
    const everyone = (cmd: string) => Promise.all(workers.map((w) => w.call<LoadReport>(cmd)));
    const startedAt = performance.now();
    await everyone('start');
    await sleep(options.warmupMs);
    const { serverPid } = watch;
    const cpu = () => ({
      at: performance.now(),
      machine: machineBusyMs(),
      broker: broker.cpuMs(),
      threads: broker.threadTimes(),
      load: sum(workers.map((w) => w.cpuMs())),
      server: serverPid === undefined ? 0 : cpuMs(serverPid),
    });
    await watch.onEdge?.('measure-start');
    const cpuBefore = cpu();
    await everyone('measure');
    await sleep(options.measureMs);
    const cpuAfter = cpu();
    await watch.onEdge?.('measure-end');
    const brokerThreads = threadCores(broker.pid, cpuBefore.threads, cpuAfter.threads, cpuAfter.at - cpuBefore.at);
    const cores = (of: 'machine' | 'broker' | 'load' | 'server'): number => (cpuAfter[of] - cpuBefore[of]) / (cpuAfter.at - cpuBefore.at);
    const reports = await everyone('finish');
    await watch.onEdge?.('load-end');
    const wallMs = performance.now() - startedAt;
    const measuredMs = Math.max(...reports.map((r) => r.measuredMs));
    const measuredAcks = sum(reports.map((r) => r.measuredAcks));
    const latency = new Histogram();
    for (const r of reports) latency.add(r.latency);
    return {
      messagesPerS: (measuredAcks * 1000) / measuredMs,
      measuredAcks,
      totalAcked: sum(reports.map((r) => r.acked)),
      wallMs,
      latency,
      brokerCores: cores('broker'),
      brokerThreads,
      loadCores: cores('load'),
      serverCores: serverPid === undefined ? undefined : cores('server'),
      otherCores: cores('machine') - cores('broker') - cores('load') - cores('server'),
      errors: reports.flatMap((r) => r.errors),
    };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
