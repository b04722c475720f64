/**
 * The gateway as a worker on an external broker (Debian's Mosquitto): a backlog of QoS 1 BP
 * readings from 100 devices is queued in the worker's kept sessions while it is stopped, then the
 * worker (`vitals-gateway start --broker`, its own process) is started and timed until every
 * reading is stored: its drain rate with 1, 4 and 16 connections, the readings each group commit
 * carried, and CPU per reading of the worker and of Mosquitto. Reported beside the embedded
 * gateway's throughput from the same run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import type { DeviceCredentials } from '../src/devices/index.js';
import { provisionCuffs } from './provision.js';
import { SqliteStore } from '../src/store/sqlite/index.js';
import { cpuMs } from './proc.js';
import { progress } from './progress.js';
import { BUILT_MAIN as MAIN } from './build.js';

export const DEVICES = 100;
export const READINGS = 20_000;
export const WORKER_CONNECTIONS = [1, 4, 16, 64] as const;

export interface WorkerRound {
  readonly connections: number;
  readonly readings: number;
  readonly stored: number;
  readonly seconds: number;
  readonly perS: number;
  /** Readings per group commit (the worker's `vg_commit_rows`, 3 values a BP reading). */
  readonly perCommit: number;
  readonly workerCpuUsPerReading: number;
  readonly brokerCpuUsPerReading: number;
}

export type WorkerBenchResult = { readonly rounds: readonly WorkerRound[]; readonly ok: boolean } | { readonly skipped: string };

export async function benchWorker(): Promise<WorkerBenchResult> {
  const { MosquittoBroker, mosquittoMissing } = await import('../test/helpers/mosquitto.js');
  if (mosquittoMissing) return { skipped: 'worker on an external broker: skipped (Mosquitto is not installed; Debian package: mosquitto)' };
  const dir = mkdtempSync(join(tmpdir(), 'vg-bench-worker-'));
  const broker = await MosquittoBroker.start(['allow_anonymous true', 'max_queued_messages 1000000']);
  try {
    progress(`worker: provisioning ${DEVICES} devices`);
    const template = join(dir, 'template.db');
    const devices = await provision(template);
    const rounds: WorkerRound[] = [];
    for (const connections of WORKER_CONNECTIONS) rounds.push(await round(broker.url, broker.pid(), dir, template, devices, connections));
    return { rounds, ok: rounds.every((r) => r.stored === r.readings) };
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function provision(file: string): Promise<DeviceCredentials[]> {
  const store = new SqliteStore(file);
  try {
    return await provisionCuffs(store.devices, DEVICES);
  } finally {
    store.close();
  }
}

/**
 * One worker size: sessions made, backlog queued while it is away, then the drain timed. Each size
 * has a group of its own: a stopped worker's kept sessions stay members of their group and take
 * their share of what is published.
 */
async function round(url: string, brokerPid: number, dir: string, template: string, devices: readonly DeviceCredentials[], connections: number): Promise<WorkerRound> {
  const data = join(dir, `k${connections}`);
  rmSync(data, { recursive: true, force: true });
  mkdirSync(data);
  copyFileSync(template, join(data, 'gateway.db'));
  const config = join(data, 'worker.json');
  writeFileSync(config, JSON.stringify({ gatewayId: `bench-k${connections}`, broker: { url, connections, group: `bench-k${connections}`, session: 'persistent', sessionExpirySeconds: 3600 } }));
  const args = ['--config', config, '--data-dir', data, '--log-level', 'warn'];

  progress(`worker: ${connections} connection(s): making their sessions at the broker`);
  const first = await startWorker(args);
  await stopWorker(first.child);

  progress(`worker: ${connections} connection(s): queueing ${READINGS.toLocaleString('en-GB')} readings while it is away`);
  await publishBacklog(url, devices);

  const brokerCpu0 = cpuMs(brokerPid);
  const worker = await startWorker(args);
  const started = worker.at;
  const workerCpu0 = cpuMs(worker.child.pid ?? 0);
  const db = new Database(join(data, 'gateway.db'), { readonly: true });
  const count = db.prepare('SELECT COUNT(*) AS n FROM readings');
  let stored = 0;
  const deadline = performance.now() + 300_000;
  while (stored < READINGS && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    stored = (count.get() as { n: number }).n;
  }
  const seconds = (performance.now() - started) / 1000;
  const workerCpu = cpuMs(worker.child.pid ?? 0) - workerCpu0;
  const brokerCpu = cpuMs(brokerPid) - brokerCpu0;
  db.close();
  const commits = await commitRows(worker.metricsUrl);
  await stopWorker(worker.child);
  const perS = stored / seconds;
  progress(`worker: ${connections} connection(s): ${Math.round(perS).toLocaleString('en-GB')} readings/s, ${commits.toFixed(1)} per commit`);
  return { connections, readings: READINGS, stored, seconds, perS, perCommit: commits, workerCpuUsPerReading: (workerCpu * 1000) / stored, brokerCpuUsPerReading: (brokerCpu * 1000) / stored };
}

/** Every device sends its share at QoS 1; resolves once the broker acknowledged all of them. */
export async function publishBacklog(url: string, devices: readonly DeviceCredentials[]): Promise<void> {
  const each = READINGS / devices.length;
  const base = Date.now() - 3_600_000;
  await Promise.all(
    devices.map(async (d) => {
      const client = await mqtt.connectAsync(url, { clientId: d.deviceId, username: d.deviceId, protocolVersion: 5, reconnectPeriod: 0 });
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < each; i++) {
        const body = { messageId: `b${i}`, takenAt: new Date(base + i * 100).toISOString(), values: { systolic: 110 + (i % 40), diastolic: 70 + (i % 15), pulse: 60 + (i % 30) } };
        sends.push(client.publishAsync(`devices/${d.deviceId}/readings`, JSON.stringify(body), { qos: 1 }));
      }
      await Promise.all(sends);
      await client.endAsync();
    }),
  );
}

export interface RunningWorker {
  readonly child: ChildProcess;
  /** When it printed that it connects (performance.now()). */
  readonly at: number;
  readonly metricsUrl: string;
}

export function startWorker(args: readonly string[]): Promise<RunningWorker> {
  const child = spawn(process.execPath, [MAIN, 'start', '--http-port', '0', '--web-port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let at = 0;
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (at === 0 && /worker on mqtt/.test(out)) at = performance.now();
      const metrics = /metrics and health on (http:\/\/\S+\/metrics)/.exec(out);
      if (at !== 0 && metrics !== null && /subscribed at/.test(out)) resolve({ child, at, metricsUrl: metrics[1] ?? '' });
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it subscribed`)));
  });
}

export async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Mean readings per group commit, from the worker's `vg_commit_rows` histogram. */
export async function commitRows(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return value('vg_commit_rows_sum') / value('vg_commit_rows_count') / 3;
}

export function formatWorker(result: WorkerBenchResult | undefined, embeddedPerS: number): string {
  if (result === undefined) return '';
  if ('skipped' in result) return result.skipped;
  const rows = result.rounds.map(
    (r) =>
      `  ${String(r.connections).padStart(2)} connection(s): ${Math.round(r.perS).toLocaleString('en-GB').padStart(7)} readings/s = ${((100 * r.perS) / embeddedPerS).toFixed(1).padStart(5)} % of the embedded gateway; ` +
      `${r.perCommit.toFixed(1)} readings per commit; CPU per reading: worker ${r.workerCpuUsPerReading.toFixed(1)} µs, Mosquitto ${r.brokerCpuUsPerReading.toFixed(1)} µs${r.stored === r.readings ? '' : `; STORED ${r.stored} OF ${r.readings}`}`,
  );
  return [
    `Worker on an external broker (Mosquitto; ${READINGS.toLocaleString('en-GB')} BP readings from ${DEVICES} devices queued in its kept sessions, then drained; embedded gateway in this run: ${Math.round(embeddedPerS).toLocaleString('en-GB')} msgs/s)`,
    ...rows,
    `  ${result.ok ? 'every queued reading stored' : 'READINGS MISSING'}`,
  ].join('\n');
}
