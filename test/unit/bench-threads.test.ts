import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { threadCores, threadTimes } from '../../bench/proc.js';

describe('the time the benchmark reads per thread of a broker', () => {
  it('gives the main thread (id = process id) and the busiest other, on a core and waiting for one; a thread started within the interval counts from zero', () => {
    const before = new Map([
      [100, { cpuMs: 1_000, waitMs: 100 }],
      [101, { cpuMs: 500, waitMs: 50 }],
      [102, { cpuMs: 2_000, waitMs: 0 }],
    ]);
    const after = new Map([
      [100, { cpuMs: 1_600, waitMs: 300 }],
      [101, { cpuMs: 900, waitMs: 350 }],
      [102, { cpuMs: 2_100, waitMs: 0 }],
      [103, { cpuMs: 300, waitMs: 10 }],
    ]);
    expect(threadCores(100, before, after, 1_000)).toEqual({ main: { cpu: 0.6, waiting: 0.2 }, busiestOther: { cpu: 0.4, waiting: 0.3 } });
    expect(threadCores(100, before, new Map([...after, [104, { cpuMs: 700, waitMs: 0 }]]), 1_000).busiestOther).toEqual({ cpu: 0.7, waiting: 0 });
    expect(threadCores(100, before, new Map([[100, { cpuMs: 1_500, waitMs: undefined }]]), 1_000).main).toEqual({ cpu: 0.5, waiting: undefined });
  });

  it('reads a real process: a worker thread spinning shows as its busiest other thread', async () => {
    const spin = new Worker(
      // It spins for 400 ms of the monotonic clock: the wall clock may step (NTP, or libfaketime's
      // first reading in a new thread), which would end the spin early.
      'const { parentPort } = require("node:worker_threads"); parentPort.once("message", () => { const end = performance.now() + 400; while (performance.now() < end); parentPort.postMessage("done"); });',
      { eval: true },
    );
    await new Promise((resolve) => spin.once('online', resolve));
    const done = new Promise((resolve) => spin.once('message', resolve));
    const before = threadTimes(process.pid);
    const started = performance.now();
    spin.postMessage('go');
    await done;
    const after = threadTimes(process.pid);
    const cores = threadCores(process.pid, before, after, performance.now() - started);
    await spin.terminate();
    expect(before.has(process.pid)).toBe(true);
    expect(cores.busiestOther.cpu).toBeGreaterThan(0.1);
    expect(cores.busiestOther.cpu).toBeGreaterThan(cores.main.cpu);
    // Spinning, it never sleeps: on a core or waiting for one all the time (read from the kernel's
    // scheduler statistics, which Debian's kernels keep).
    expect(cores.busiestOther.waiting).toBeDefined();
    expect(cores.busiestOther.cpu + (cores.busiestOther.waiting ?? 0)).toBeGreaterThan(0.8);
  });
});
