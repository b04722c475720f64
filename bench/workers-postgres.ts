/**
 * Several workers on PostgreSQL: 1, 2 and 3 gateway workers (each its own process, 16 connections)
 * in one shared-subscription group on Debian's Mosquitto, storing in one PostgreSQL database (the
 * Debian server, started on a free port with its own data directory). A backlog of QoS 1 BP
 * readings from 100 devices is queued in the workers' kept sessions while they are stopped, then
 * they are started together and timed until every reading is in the database: readings/s, the
 * scaling over one worker, and CPU per reading of the workers, Mosquitto and PostgreSQL (to show
 * where the bottleneck sits). Reported beside the embedded gateway's throughput from the same run.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceCredentials } from '../src/devices/index.js';
import { provisionCuffs } from './provision.js';
import { PgDatabase, PgStore } from '../src/store/postgres/index.js';
import { cpuMs, cpuTreeMs } from './proc.js';
import { progress } from './progress.js';
import { commitRows, DEVICES, publishBacklog, READINGS, startWorker, stopWorker } from './worker.js';

export const WORKER_COUNTS = [1, 2, 3] as const;
/** Then this many workers again with the alert rules on (each plan reads the patients' alerts and NEWS2 inputs). */
const WITH_ALERTS = 2;
const CONNECTIONS = 16;

export interface PgWorkersRound {
  readonly workers: number;
  readonly alerts: boolean;
  readonly readings: number;
  readonly stored: number;
  readonly seconds: number;
  readonly perS: number;
  /** Mean readings per group commit over the workers. */
  readonly perCommit: number;
  readonly workersCpuUsPerReading: number;
  readonly brokerCpuUsPerReading: number;
  readonly postgresCpuUsPerReading: number;
  /** Messages whose commit failed (taken again after the broker redelivered them), and PostgreSQL's deadlocks. */
  readonly failedCommitMessages: number;
  readonly deadlocks: number;
}

export type PgWorkersResult = { readonly rounds: readonly PgWorkersRound[]; readonly ok: boolean } | { readonly skipped: string };

export async function benchPgWorkers(): Promise<PgWorkersResult> {
  const { MosquittoBroker, mosquittoMissing } = await import('../test/helpers/mosquitto.js');
  const { PostgresServer, postgresMissing } = await import('../test/helpers/postgres.js');
  if (mosquittoMissing || postgresMissing) return { skipped: 'workers on PostgreSQL: skipped (needs Debian packages mosquitto and postgresql)' };
  const dir = mkdtempSync(join(tmpdir(), 'vg-bench-pg-'));
  const broker = await MosquittoBroker.start(['allow_anonymous true', 'max_queued_messages 1000000']);
  const server = await PostgresServer.start();
  try {
    progress(`workers on PostgreSQL: provisioning ${DEVICES} devices`);
    const templateUrl = await server.createDatabase();
    const devices = await provision(templateUrl);
    const template = new URL(templateUrl).pathname.slice(1);
    const rounds: PgWorkersRound[] = [];
    writeFileSync(join(dir, 'webhook.key'), randomBytes(32));
    for (const [workers, alerts] of [...WORKER_COUNTS.map((n) => [n, false] as const), [WITH_ALERTS, true] as const]) {
      const url = await server.createDatabase(template);
      rounds.push(await round(broker.url, broker.pid(), server.pid(), url, dir, devices, workers, alerts));
    }
    return { rounds, ok: rounds.every((r) => r.stored === r.readings) };
  } finally {
    await broker.stop();
    server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function provision(url: string): Promise<DeviceCredentials[]> {
  const store = await PgStore.open(url);
  try {
    return await provisionCuffs(store.devices, DEVICES);
  } finally {
    await store.close();
  }
}

/** One size: the workers' sessions made, the backlog queued while they are away, then the drain timed. */
async function round(brokerUrl: string, brokerPid: number, postgresPid: number, url: string, dir: string, devices: readonly DeviceCredentials[], workers: number, alerts: boolean): Promise<PgWorkersRound> {
  const name = `n${workers}${alerts ? '-alerts' : ''}`;
  const argsOf = Array.from({ length: workers }, (_, i) => {
    const config = join(dir, `${name}-${i}.json`);
    const settings = {
      gatewayId: `bench-pg-${name}-${i + 1}`,
      store: { postgres: { url, poolSize: 4 } },
      broker: { url: brokerUrl, connections: CONNECTIONS, group: `bench-pg-${name}`, session: 'persistent', sessionExpirySeconds: 3600 },
      web: { enabled: false },
      alerts: { enabled: alerts },
      webhookKeyFile: join(dir, 'webhook.key'),
      ble: { enabled: false },
    };
    writeFileSync(config, JSON.stringify(settings));
    return ['--config', config, '--log-level', 'warn'];
  });

  const label = `${workers} worker(s)${alerts ? ' with alert rules' : ''}`;
  progress(`workers on PostgreSQL: ${label}: making their sessions at the broker`);
  for (const first of await Promise.all(argsOf.map((args) => startWorker(args)))) await stopWorker(first.child);

  progress(`workers on PostgreSQL: ${label}: queueing ${READINGS.toLocaleString('en-GB')} readings while they are away`);
  await publishBacklog(brokerUrl, devices);

  const brokerCpu0 = cpuMs(brokerPid);
  const postgresCpu0 = cpuTreeMs(postgresPid);
  const running = await Promise.all(argsOf.map((args) => startWorker(args)));
  const started = Math.min(...running.map((w) => w.at));
  const workerCpu0 = running.reduce((n, w) => n + cpuMs(w.child.pid ?? 0), 0);
  const db = new PgDatabase(url, { max: 1 });
  let stored = 0;
  const deadline = performance.now() + 300_000;
  while (stored < READINGS && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    stored = Number((await db.query('SELECT COUNT(*) AS n FROM readings'))[0]?.['n']);
  }
  const seconds = (performance.now() - started) / 1000;
  const workersCpu = running.reduce((n, w) => n + cpuMs(w.child.pid ?? 0), 0) - workerCpu0;
  const brokerCpu = cpuMs(brokerPid) - brokerCpu0;
  const postgresCpu = cpuTreeMs(postgresPid) - postgresCpu0;
  const deadlocks = Number((await db.query('SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()'))[0]?.['deadlocks'] ?? 0);
  await db.close();
  const failedCommitMessages = (await Promise.all(running.map((w) => counter(w.metricsUrl, 'vg_commit_failed_messages_total')))).reduce((n, c) => n + c, 0);
  const perCommit = (await Promise.all(running.map((w) => commitRows(w.metricsUrl)))).reduce((n, c) => n + c, 0) / workers;
  await Promise.all(running.map((w) => stopWorker(w.child)));
  const perS = stored / seconds;
  progress(`workers on PostgreSQL: ${label}: ${Math.round(perS).toLocaleString('en-GB')} readings/s`);
  const us = (ms: number) => (ms * 1000) / stored;
  return { workers, alerts, readings: READINGS, stored, seconds, perS, perCommit, workersCpuUsPerReading: us(workersCpu), brokerCpuUsPerReading: us(brokerCpu), postgresCpuUsPerReading: us(postgresCpu), failedCommitMessages, deadlocks };
}

export function formatPgWorkers(result: PgWorkersResult | undefined, embeddedPerS: number): string {
  if (result === undefined) return '';
  if ('skipped' in result) return result.skipped;
  const one = result.rounds[0]?.perS ?? NaN;
  const rows = result.rounds.map(
    (r) =>
      `  ${r.workers} worker(s)${r.alerts ? ', alert rules on' : ''}: ${Math.round(r.perS).toLocaleString('en-GB').padStart(6)} readings/s = ${(r.perS / one).toFixed(2)} × one worker, ${((100 * r.perS) / embeddedPerS).toFixed(1).padStart(4)} % of the embedded gateway; ` +
      `${r.perCommit.toFixed(1)} readings per commit; CPU per reading: workers ${r.workersCpuUsPerReading.toFixed(0)} µs, Mosquitto ${r.brokerCpuUsPerReading.toFixed(0)} µs, PostgreSQL ${r.postgresCpuUsPerReading.toFixed(0)} µs` +
      `${r.failedCommitMessages > 0 || r.deadlocks > 0 ? `; ${r.failedCommitMessages} messages in failed commits, ${r.deadlocks} deadlocks` : ''}${r.stored === r.readings ? '' : `; STORED ${r.stored} OF ${r.readings}`}`,
  );
  return [
    `Workers on PostgreSQL (one Mosquitto group, one database, ${CONNECTIONS} connections each; ${READINGS.toLocaleString('en-GB')} BP readings from ${DEVICES} devices queued, then drained; embedded gateway in this run: ${Math.round(embeddedPerS).toLocaleString('en-GB')} msgs/s)`,
    ...rows,
    `  ${result.ok ? 'every queued reading stored once' : 'READINGS MISSING'}`,
  ].join('\n');
}

async function counter(metricsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
}
