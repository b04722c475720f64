import { setTimeout as sleep } from 'node:timers/promises';
import type { DeviceCredentials } from '../../src/devices/index.js';
import { BenchChild } from '../child.js';
import { Histogram } from '../histogram.js';
import { machineBusyMs } from '../proc.js';
import type { LoadReport } from './publisher.js';

/** How the load is shaped. */
export interface LoadOptions {
  readonly workers: number;
  readonly window: number;
  readonly warmupMs: number;
  readonly measureMs: number;
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
  readonly loadCores: number;
  /** Everything else on the machine (this orchestrator included): a busy neighbour skews the figures. */
  readonly otherCores: number;
  readonly errors: readonly string[];
}

/**
 * Runs QoS 1 publish load against `broker` from `options.workers` processes, the devices dealt
 * round-robin between them: connect, warm up, measure for a fixed time, drain.
 */
export async function runLoad(broker: BenchChild, url: string, devices: readonly DeviceCredentials[], options: LoadOptions): Promise<LoadResult> {
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
    const cpu = () => ({ at: performance.now(), machine: machineBusyMs(), broker: broker.cpuMs(), load: sum(workers.map((w) => w.cpuMs())) });
    const cpuBefore = cpu();
    await everyone('measure');
    await sleep(options.measureMs);
    const cpuAfter = cpu();
    const cores = (of: 'machine' | 'broker' | 'load'): number => (cpuAfter[of] - cpuBefore[of]) / (cpuAfter.at - cpuBefore.at);
    const reports = await everyone('finish');
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
      loadCores: cores('load'),
      otherCores: cores('machine') - cores('broker') - cores('load'),
      errors: reports.flatMap((r) => r.errors),
    };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
