import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../src/domain/index.js';
import { offsetClock } from './clock.js';
import { tempDir } from './gateway.js';
import { freePort } from './ports.js';

const BINARY = ['/usr/bin/victoria-metrics', '/usr/local/bin/victoria-metrics'].find((p) => existsSync(p));

/**
 * True when the InfluxDB-compatible test server is missing and its tests must be skipped. Under CI
 * (CI=true) a missing server is not skipped: starting it fails the run.
 */
export const victoriaMetricsMissing = BINARY === undefined && process.env['CI'] !== 'true';
if (victoriaMetricsMissing) {
  process.stderr.write('\n*** SKIPPING time-series tests: victoria-metrics is not installed (Debian package: victoria-metrics) ***\n\n');
}

export interface ExportedSeries {
  readonly metric: Record<string, string>;
  readonly values: number[];
  readonly timestamps: number[];
}

/** A real VictoriaMetrics server (InfluxDB v2 write API) on a free loopback port with its own storage. */
export class VictoriaMetrics {
  private child: ChildProcess | undefined;
  private readonly storage = tempDir('vg-vm-');

  private constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<VictoriaMetrics> {
    if (BINARY === undefined) throw new Error('victoria-metrics is not installed (Debian package: victoria-metrics)');
    const vm = new VictoriaMetrics(await freePort());
    await vm.resume();
    return vm;
  }

  /**
   * (Re)starts the server on the same port and storage; nothing when it is running (a second server
   * would lose the port to the first and leave it running, writing into the storage).
   */
  async resume(): Promise<void> {
    if (this.child !== undefined && this.child.exitCode === null) return;
    const child = spawn(BINARY as string, [
      `-storageDataPath=${join(this.storage.dir, 'data')}`,
      `-httpListenAddr=127.0.0.1:${this.port}`,
      '-retentionPeriod=1d',
      // InfluxDB overwrites a point written again with the same series and time; VictoriaMetrics does
      // so only with deduplication on (one sample per series per millisecond).
      '-dedup.minScrapeInterval=1ms',
      '-loggerLevel=ERROR',
    ], { stdio: 'ignore' });
    this.child = child;
    const deadline = performance.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`victoria-metrics exited with ${child.exitCode}`);
      const ok = await fetch(`${this.url}/health`).then((r) => r.ok, () => false);
      if (ok) return;
      if (performance.now() > deadline) throw new Error('victoria-metrics did not become healthy');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * The server's clock, read from its `Date` header. VictoriaMetrics keeps only points within its
   * retention (a day here) of its own now, and it is a Go program, whose clock libfaketime does not
   * move: under `faketime` the tests' clock and the server's differ by the fake offset. Tests that
   * write points take their times from this clock, and give it to the gateway, so they pass whatever
   * the test process believes the date is. Offsets under a minute (the header's whole seconds, the
   * request's time) are taken as none.
   */
  async clock(): Promise<Clock> {
    const res = await fetch(`${this.url}/health`);
    const serverMs = Date.parse(res.headers.get('date') ?? '');
    if (Number.isNaN(serverMs)) throw new Error('victoria-metrics sent no Date header');
    const offsetMs = serverMs - Date.now();
    return offsetClock(Math.abs(offsetMs) < 60_000 ? 0 : offsetMs);
  }

  /** Stops the server (storage kept, so resume() brings the same data back). */
  async pause(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }

  async stop(): Promise<void> {
    await this.pause();
    this.storage.remove();
  }

  /** Every series matching a selector, e.g. `{__name__=~"blood_pressure_.*"}` (uncached). */
  async export(selector: string): Promise<ExportedSeries[]> {
    const res = await fetch(`${this.url}/api/v1/export?match[]=${encodeURIComponent(selector)}&nocache=1`);
    const text = await res.text();
    return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as ExportedSeries);
  }

  /**
   * Polls `export` until `done` holds (new series become readable only after a few seconds), with a
   * deadline; returns the last answer.
   */
  async waitFor(selector: string, done: (series: ExportedSeries[]) => boolean, timeoutMs = 20_000): Promise<ExportedSeries[]> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const series = await this.export(selector);
      if (done(series) || performance.now() > deadline) return series;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
