/**
 * A flood beside a calm device: the real gateway in its own process with the shipped profiles and
 * limits. A wearable publishes 5 readings a second at QoS 1, one at a time, and its PUBACK latency
 * is measured first alone, then while a BP cuff (6 a minute, a backlog of 200) floods 10,000
 * messages as fast as it can. The cuff should be slowed, then refused and disconnected; the calm
 * device's p99 should stay within 2× of its unloaded value.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MqttClient } from 'mqtt';
import type { DeviceCredentials } from '../src/devices/index.js';
import { connectDevice } from './connect.js';
import { Histogram } from './histogram.js';
import { progress } from './progress.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const CALM_PER_S = 5;
const PHASE_MS = 15_000;
const FLOOD_MESSAGES = 10_000;

export interface FloodBenchResult {
  readonly unloaded: { readonly p50Ms: number; readonly p99Ms: number; readonly count: number };
  readonly flooded: { readonly p50Ms: number; readonly p99Ms: number; readonly count: number };
  readonly ratio: number;
  /** The flooding cuff was disconnected (and its readings beyond both allowances refused). */
  readonly disconnected: boolean;
  readonly ok: boolean;
}

function cli(args: string[], dataDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args, '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`vitals-gateway ${args.join(' ')} exited ${code}`))));
  });
}

/** Publishes at `perS` one at a time, recording each PUBACK's latency, for `ms`. */
async function calmPhase(client: MqttClient, deviceId: string, ms: number, seq: { n: number }): Promise<Histogram> {
  const h = new Histogram();
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const started = performance.now();
    const i = seq.n++;
    await client.publishAsync(`devices/${deviceId}/readings`, JSON.stringify({ messageId: `w${i}`, takenAt: new Date(Date.now() - 1000).toISOString(), values: { heartRate: 60 + (i % 20) } }), { qos: 1 });
    h.record(performance.now() - started);
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 / CALM_PER_S - (performance.now() - started))));
  }
  return h;
}

export async function benchFlood(): Promise<FloodBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vg-bench-flood-'));
  progress('flood: provisioning a wearable and a BP cuff (shipped profiles and limits)');
  const calm = JSON.parse(await cli(['devices', 'add', '--profile', 'wrist-wearable', '--patient', '9434765919', '--id', 'calm-watch', '--json'], dir)) as DeviceCredentials;
  const cuff = JSON.parse(await cli(['devices', 'add', '--profile', 'bp-upper-arm', '--patient', '9434765919', '--id', 'flood-cuff', '--json'], dir)) as DeviceCredentials;
  const gateway = spawn(process.execPath, ['--import', 'tsx', MAIN, 'start', '--mqtt-port', '0', '--mqtt-host', '127.0.0.1', '--http-port', '0', '--log-level', 'silent', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
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
    const watch = await connectDevice(url, calm);
    const seq = { n: 0 };
    await calmPhase(watch, calm.deviceId, 3_000, seq); // warm-up (JIT, first commits): not measured
    progress(`flood: the wearable alone, ${CALM_PER_S} readings/s for ${PHASE_MS / 1000} s`);
    const unloaded = await calmPhase(watch, calm.deviceId, PHASE_MS, seq);
    const flooder = await connectDevice(url, cuff);
    flooder.on('error', () => {});
    let disconnected = false;
    flooder.once('close', () => (disconnected = true));
    progress(`flood: the cuff sends ${FLOOD_MESSAGES.toLocaleString('en-GB')} messages as fast as it can`);
    const at = new Date(Date.now() - 60_000).toISOString();
    for (let i = 0; i < FLOOD_MESSAGES && !disconnected; i++) {
      flooder.publish(`devices/${cuff.deviceId}/readings`, `{"messageId":"f${i}","takenAt":"${at}","values":{"systolic":120,"diastolic":80}}`, { qos: 1 });
    }
    const flooded = await calmPhase(watch, calm.deviceId, PHASE_MS, seq);
    await watch.endAsync();
    flooder.end(true);
    const summary = (h: Histogram) => ({ p50Ms: h.percentile(50), p99Ms: h.percentile(99), count: h.count });
    const ratio = flooded.percentile(99) / unloaded.percentile(99);
    return { unloaded: summary(unloaded), flooded: summary(flooded), ratio, disconnected, ok: disconnected };
  } finally {
    gateway.kill('SIGTERM');
    await new Promise((r) => gateway.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatFlood(r: FloodBenchResult): string {
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  return [
    'A flood beside a calm device (shipped limits: the cuff 6 a minute and a backlog of 200)',
    `  calm wearable PUBACK alone: p50 ${ms(r.unloaded.p50Ms)}  p99 ${ms(r.unloaded.p99Ms)}  (${r.unloaded.count})`,
    `  during a ${FLOOD_MESSAGES.toLocaleString('en-GB')}-message flood: p50 ${ms(r.flooded.p50Ms)}  p99 ${ms(r.flooded.p99Ms)}  (${r.flooded.count})   p99 ratio ${r.ratio.toFixed(2)}×   target ≤ 2×   ${r.ratio <= 2 ? 'PASS' : 'ABOVE TARGET'}`,
    `  the flooding cuff slowed, then refused and disconnected: ${r.disconnected ? 'yes' : 'NO'}   ${r.ok ? 'OK' : 'MISMATCH'}`,
  ].join('\n');
}
