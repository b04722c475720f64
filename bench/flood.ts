/**
 * A flood beside calm devices: the real gateway in its own process with the shipped profiles and
 * limits. Fifty wearables publish 2 readings a second each (within their profile's 120 a minute) at
 * QoS 1, one at a time, and their PUBACK latency is measured alone, then while a BP cuff (6 a
 * minute, a backlog of 200) floods 10,000 messages as fast as it can; three rounds, a new cuff
 * each, latencies pooled. Each cuff should be slowed, then refused and disconnected; the calm
 * devices' p99 should stay within 2× of its unloaded value.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { DeviceCredentials } from '../src/devices/index.js';
import { benchRegistry } from './provision.js';
import { SqliteStore } from '../src/store/sqlite/index.js';
import { connectDevice } from './connect.js';
import { Histogram } from './histogram.js';
import { check } from './format.js';
import { progress } from './progress.js';
import { BUILT_MAIN as MAIN } from './build.js';

/**
 * Calm wearables, each within its profile's 120 a minute: 100 readings a second in all, light
 * beside what the gateway takes, and about 2,400 latencies alone and 3,000 during the floods, so
 * that each p99 is read from some thirty slowest rather than a handful.
 */
const CALM_DEVICES = 50;
const CALM_PER_S = 2;
const ROUNDS = 3;
const PHASE_MS = 8_000;
const FLOOD_MESSAGES = 10_000;
/** The longest a flood is measured: the cuff should be disconnected well before. */
const FLOOD_MAX_MS = 30_000;

interface Latency {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly count: number;
}

export interface FloodBenchResult {
  /** The calm devices' PUBACK latency alone, pooled over the rounds. */
  readonly unloaded: Latency;
  /** The same while one cuff floods, pooled over the rounds (a new cuff each round). */
  readonly flooded: Latency;
  readonly ratio: number;
  /** Per round: the flooding cuff's messages acknowledged, and ms from its first publish to its disconnection. */
  readonly floods: readonly { readonly acked: number; readonly disconnectedAfterMs: number | undefined }[];
  /** Every flooding cuff was disconnected (its readings beyond both allowances refused). */
  readonly disconnected: boolean;
  readonly ok: boolean;
}

/** Provisions the calm wearables and the cuffs in the store the gateway will open in `dataDir`. */
async function provision(dataDir: string): Promise<{ calm: DeviceCredentials[]; cuffs: DeviceCredentials[] }> {
  const store = new SqliteStore(join(dataDir, 'gateway.db'));
  try {
    const registry = benchRegistry(store.devices);
    const add = (profileId: string, deviceId: string) => registry.add({ profileId, patient: '9434765919', deviceId });
    const calm = await Promise.all(Array.from({ length: CALM_DEVICES }, (_, i) => add('wrist-wearable', `calm-watch-${i}`)));
    const cuffs = await Promise.all(Array.from({ length: ROUNDS }, (_, r) => add('bp-upper-arm', `flood-cuff-${r}`)));
    return { calm, cuffs };
  } finally {
    store.close();
  }
}

/** Publishes at `CALM_PER_S` one at a time, recording each PUBACK's latency into `h`, until `done()`. */
async function calmPhase(client: MqttClient, deviceId: string, done: () => boolean, seq: { n: number }, h = new Histogram()): Promise<Histogram> {
  while (!done()) {
    const started = performance.now();
    const i = seq.n++;
    await client.publishAsync(`devices/${deviceId}/readings`, JSON.stringify({ messageId: `w${i}`, takenAt: new Date(Date.now() - 1000).toISOString(), values: { heartRate: 60 + (i % 20) } }), { qos: 1 });
    h.record(performance.now() - started);
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 / CALM_PER_S - (performance.now() - started))));
  }
  return h;
}

/** One cuff sends `FLOOD_MESSAGES` as fast as it can; resolves when it is disconnected (or after `ms`). */
async function flood(url: string, cuff: DeviceCredentials, ms: number): Promise<{ acked: number; disconnectedAfterMs: number | undefined }> {
  const flooder = await connectDevice(url, cuff);
  flooder.on('error', () => {});
  let acked = 0;
  flooder.on('packetreceive', (p) => p.cmd === 'puback' && acked++);
  const started = performance.now();
  let closedAt: number | undefined;
  flooder.once('close', () => (closedAt = performance.now()));
  const at = new Date(Date.now() - 60_000).toISOString();
  for (let i = 0; i < FLOOD_MESSAGES && closedAt === undefined; i++) {
    flooder.publish(`devices/${cuff.deviceId}/readings`, `{"messageId":"f${i}","takenAt":"${at}","values":{"systolic":120,"diastolic":80}}`, { qos: 1 });
  }
  if (closedAt === undefined) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      flooder.once('close', () => (clearTimeout(timer), resolve()));
    });
  }
  flooder.end(true);
  return { acked, disconnectedAfterMs: closedAt === undefined ? undefined : closedAt - started };
}

export async function benchFlood(): Promise<FloodBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vg-bench-flood-'));
  progress(`flood: provisioning ${CALM_DEVICES} wearables and ${ROUNDS} BP cuffs (shipped profiles and limits)`);
  const { calm, cuffs } = await provision(dir);
  const gateway = spawn(process.execPath, [MAIN, 'start', '--mqtt-port', '0', '--mqtt-host', '127.0.0.1', '--http-port', '0', '--web-port', '0', '--log-level', process.env.VG_BENCH_LOG ?? 'silent', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      gateway.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on mqtts?:\/\/[^:]+:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      gateway.once('exit', (code) => reject(new Error(`gateway exited ${code}`)));
    });
    const url = `mqtt://127.0.0.1:${port}`;
    const watches = await Promise.all(calm.map((c) => connectDevice(url, c)));
    const seq = { n: 0 };
    const calmPhases = (done: () => boolean, h = new Histogram()) => Promise.all(watches.map((w, i) => calmPhase(w, calm[i]!.deviceId, done, seq, h))).then(() => h);
    const forMs = (ms: number) => {
      const end = performance.now() + ms;
      return () => performance.now() >= end;
    };
    await calmPhases(forMs(3_000)); // warm-up (JIT, first commits): not measured
    const unloaded = new Histogram();
    const flooded = new Histogram();
    const floods = [];
    for (const cuff of cuffs) {
      progress(`flood: round ${floods.length + 1}/${ROUNDS}: ${CALM_DEVICES} wearables alone, ${CALM_PER_S} readings/s each for ${PHASE_MS / 1000} s, then while a cuff sends ${FLOOD_MESSAGES.toLocaleString('en-GB')} messages as fast as it can`);
      await calmPhases(forMs(PHASE_MS), unloaded);
      let flooding = true;
      const [f] = await Promise.all([flood(url, cuff, FLOOD_MAX_MS).finally(() => (flooding = false)), calmPhases(() => !flooding, flooded)]);
      floods.push(f);
    }
    await Promise.all(watches.map((w) => w.endAsync()));
    const summary = (h: Histogram): Latency => ({ p50Ms: h.percentile(50), p99Ms: h.percentile(99), count: h.count });
    const ratio = flooded.percentile(99) / unloaded.percentile(99);
    const disconnected = floods.every((f) => f.disconnectedAfterMs !== undefined);
    return { unloaded: summary(unloaded), flooded: summary(flooded), ratio, floods, disconnected, ok: disconnected };
  } finally {
    gateway.kill('SIGTERM');
    await new Promise((r) => gateway.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatFlood(r: FloodBenchResult): string {
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  return [
    'A flood beside calm devices (shipped limits: the cuff 6 a minute and a backlog of 200)',
    `  calm wearables' PUBACK alone: p50 ${ms(r.unloaded.p50Ms)}  p99 ${ms(r.unloaded.p99Ms)}  (${r.unloaded.count})`,
    `  during a ${FLOOD_MESSAGES.toLocaleString('en-GB')}-message flood: p50 ${ms(r.flooded.p50Ms)}  p99 ${ms(r.flooded.p99Ms)}  (${r.flooded.count})   p99 ratio ${r.ratio.toFixed(2)}×   target ≤ 2×   ${r.ratio <= 2 ? 'PASS' : 'ABOVE TARGET'}`,
    `  each flooding cuff: ${r.floods.map((f) => `${f.acked} acknowledged, disconnected after ${f.disconnectedAfterMs === undefined ? 'NEVER' : `${(f.disconnectedAfterMs / 1000).toFixed(1)} s`}`).join('; ')}`,
    `  the flooding cuffs slowed, then refused and disconnected: ${r.disconnected ? 'yes' : 'NO'}   ${check(r.ok)}`,
  ].join('\n');
}
