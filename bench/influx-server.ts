import { existsSync } from 'node:fs';
import { BenchChild } from './child.js';
import { childPid } from './proc.js';
import { progress } from './progress.js';

/** Where the test helper looks for the server; checked here first, so a missing server is a notice, not a failure. */
const BINARIES = ['/usr/bin/victoria-metrics', '/usr/local/bin/victoria-metrics'];

/** Why the InfluxDB measurements were skipped, printed as the report's one line about them. */
export const INFLUX_SKIPPED = 'gateway + InfluxDB: skipped, victoria-metrics is not installed (Debian package: victoria-metrics)';

/** A running InfluxDB-compatible server the gateway writes its points to. */
export interface InfluxServer {
  readonly url: string;
  /** Its process, whose CPU is counted apart from the broker's and the load's. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts VictoriaMetrics (InfluxDB v2 write API) on a free loopback port with temp storage, through
 * the same helper the tests use; undefined when it is not installed.
 */
export async function startInfluxServer(): Promise<InfluxServer | undefined> {
  if (!BINARIES.some((path) => existsSync(path))) return undefined;
  progress('starting victoria-metrics for the InfluxDB output');
  const { VictoriaMetrics } = await import('../test/helpers/victoria-metrics.js');
  const server = await VictoriaMetrics.start();
  return { url: server.url, pid: childPid('victoria-metrics'), stop: () => server.stop() };
}

/**
 * Starts the write endpoint that stores nothing (influx-receiver.ts) in a process of its own, so its
 * CPU is counted apart as a server's is.
 */
export async function startDiscardingReceiver(): Promise<InfluxServer> {
  progress('starting a write endpoint that stores nothing, for the output\'s own cost');
  const child = await BenchChild.start<{ url: string }>(new URL('./influx-receiver.ts', import.meta.url));
  return { url: child.ready.url, pid: child.pid, stop: () => child.close() };
}
