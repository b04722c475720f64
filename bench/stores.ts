/**
 * The two stores alone, without a broker, in a process of their own running built code (as the
 * brokers do: see build.ts): the CPU each spends per message on the same BP payloads, in batches
 * the size its broker committed in the main comparison. The gateway's
 * batches are planned as its pipeline plans them (decode, map, validate, health merged per device)
 * before the clock starts, then committed by its SQLite store (one row per reading, its indexes,
 * rollups, device health, fsync); the floor's are `JSON.parse` and its one insert.
 * With raw aedes's CPU per message, this shows how much of the gateway's CPU the store alone takes,
 * and what the 80 % target leaves for everything else the gateway does.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeHealth, validateReading, decodeJson } from '../src/pipeline/index.js';
import { loadProfiles, mapPayload, type DeviceProfile } from '../src/profiles/index.js';
import { bundledProfilesDir, ConfigSchema } from '../src/config/index.js';
import { SqliteStore } from '../src/store/sqlite/index.js';
import type { CommitBatch } from '../src/store/reading-store.js';
import { testNhsNumbers } from '../simulators/nhs.js';
import { seededRandom } from '../simulators/random.js';
import { benchDeviceIds } from './devices.js';
import { openFloorStore } from './brokers/floor-store.js';
import { builtModule } from './build.js';
import { int } from './format.js';
import { progress, progressClock } from './progress.js';
import { brokerRuntime } from './target.js';
import { GOALS, type BenchResults } from './results.js';

const DEVICES = 100;
/** Messages committed per store: enough batches that the first (warm-up) ones do not matter. */
const MESSAGES = 200_000;
const WARMUP_BATCHES = 10;

export interface StoresBenchResult {
  /** Messages per commit, as each broker committed them under load. */
  readonly gatewayBatch: number;
  readonly floorBatch: number;
  readonly gatewayCpuUsPerMessage: number;
  readonly floorCpuUsPerMessage: number;
  /** Rows stored: one per message in each store. */
  readonly ok: boolean;
}

/** The canonical BP payload of device `d`'s `n`-th message, taken `n` ms after `t0`. */
function payload(d: number, n: number, t0: number): Buffer {
  const i = d * MESSAGES + n;
  return Buffer.from(JSON.stringify({ messageId: `m${i}`, takenAt: new Date(t0 + n).toISOString(), values: { systolic: 110 + (i % 40), diastolic: 70 + (i % 20), pulse: 60 + (i % 30) } }));
}

/** CPU (user + system, every thread of this process) per item of running `commit` over `batches`, after the first few. */
function cpuPerItem<T>(batches: readonly T[], size: (b: T) => number, commit: (b: T) => void, settle: () => void = () => {}): number {
  for (const b of batches.slice(0, WARMUP_BATCHES)) commit(b);
  const measured = batches.slice(WARMUP_BATCHES);
  const start = process.cpuUsage();
  for (const b of measured) commit(b);
  settle();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / measured.reduce((n, b) => n + size(b), 0);
}

/** Messages per commit for each store. */
export interface StoreBatches {
  readonly gateway: number;
  readonly floor: number;
}

/**
 * {@link measureStores} in a child process running the built `stores-run` entry, in the brokers'
 * runtime (`npm start`'s Node flags and environment), not under the orchestrator's TypeScript loader.
 */
export function benchStores(batchSizes: StoreBatches): StoresBenchResult {
  const runtime = brokerRuntime();
  const entry = fileURLToPath(builtModule(new URL('./stores-run.ts', import.meta.url)));
  const out = execFileSync(process.execPath, [...runtime.nodeFlags, entry, String(batchSizes.gateway), String(batchSizes.floor)], {
    env: { ...process.env, ...runtime.env, ...progressClock() },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  return JSON.parse(out) as StoresBenchResult;
}

/** Plans and commits the same readings through each store, in this process, and measures each store's CPU per message. */
export function measureStores(batchSizes: StoreBatches): StoresBenchResult {
  const dir = mkdtempSync(join(tmpdir(), 'vg-bench-stores-'));
  try {
    const profile = loadProfiles(bundledProfilesDir()).get('bp-upper-arm') as DeviceProfile;
    const ids = benchDeviceIds(DEVICES);
    const patients = testNhsNumbers(DEVICES, seededRandom(1));
    const t0 = Date.now() - 3_600_000;
    const perDevice = Math.ceil(MESSAGES / DEVICES);
    // Devices take turns, as under load: message n of every device, then n + 1.
    const messages = Array.from({ length: perDevice * DEVICES }, (_, i) => ({ d: i % DEVICES, n: Math.floor(i / DEVICES) }));

    progress(`stores alone: planning ${messages.length.toLocaleString('en-GB')} readings as the pipeline does, in commits of ${batchSizes.gateway}`);
    const store = new SqliteStore(join(dir, 'gateway.db'));
    ids.forEach((id, d) => store.devices.insert({ id, profileId: profile.id, patientNhs: patients[d] ?? '', serial: undefined, secretHash: 'x', status: 'active', createdAtMs: t0, revokedAtMs: undefined, secretRotatedAtMs: undefined }));
    const defaults = ConfigSchema.parse({}); // the gateway's limits, as it runs by default
    const { maxFutureSkewMs, clockDriftToleranceMs } = defaults.ingest;
    const gatewayBatches: CommitBatch[] = [];
    for (let from = 0; from < messages.length; from += batchSizes.gateway) {
      const readings = [];
      const health = [];
      for (const { d, n } of messages.slice(from, from + batchSizes.gateway)) {
        const receivedAtMs = t0 + n + 500;
        const json = decodeJson(payload(d, n, t0), defaults.mqtt.maxPayloadBytes);
        const mapped = json.ok ? mapPayload(profile, json.value) : undefined;
        const reading = mapped?.ok === true ? mapped.value[0] : undefined;
        const valid = reading === undefined ? undefined : validateReading(profile, reading, { deviceId: ids[d] ?? '', patientNhs: patients[d] ?? '', receivedAtMs, maxFutureSkewMs, clockDriftToleranceMs });
        if (valid?.ok !== true) throw new Error(`bench payload refused: ${JSON.stringify(valid?.error ?? mapped ?? json)}`);
        readings.push(valid.value.reading);
        health.push({ deviceId: ids[d] ?? '', seenAtMs: receivedAtMs, readingAtMs: valid.value.time.takenAtMs });
      }
      gatewayBatches.push({ readings, deadLetters: [], health: mergeHealth(health), outbox: [] });
    }
    progress('stores alone: the gateway\'s store committing them');
    // The rollups and the per-patient index of the last readings committed are written when the store closes: measured too.
    const gatewayCpuUsPerMessage = cpuPerItem(gatewayBatches, (b) => b.readings.length, (b) => store.readings.commit(b), () => store.readings.writeDeferred());
    const gatewayRows = store.readings.readingCount();
    store.close();

    progress(`stores alone: the floor's JSON.parse and insert, in commits of ${batchSizes.floor}`);
    const floor = openFloorStore(join(dir, 'floor.db'));
    const floorBatches: { device: string; payload: Buffer }[][] = [];
    for (let from = 0; from < messages.length; from += batchSizes.floor) {
      floorBatches.push(messages.slice(from, from + batchSizes.floor).map(({ d, n }) => ({ device: ids[d] ?? '', payload: payload(d, n, t0) })));
    }
    // As the floor's broker: the payload as text, its messageId parsed out, then the batch's rows.
    const floorCpuUsPerMessage = cpuPerItem(floorBatches, (b) => b.length, (b) =>
      floor.commit(
        b.map(({ device, payload }) => {
          const text = payload.toString();
          return { device, messageId: String((JSON.parse(text) as { messageId?: unknown }).messageId), payload: text };
        }),
      ),
    );
    const floorRows = floor.rows();
    floor.close();
    return { gatewayBatch: batchSizes.gateway, floorBatch: batchSizes.floor, gatewayCpuUsPerMessage, floorCpuUsPerMessage, ok: gatewayRows === messages.length && floorRows === messages.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The stores alone beside the brokers measured whole, and what the 80 % target leaves the gateway:
 * at that rate the machine's cores, less the load generator's CPU per message, are the gateway's
 * most; less raw aedes and the store alone, what remains for everything else it does.
 */
export function formatStores(s: StoresBenchResult, r: BenchResults): string {
  const us = (n: number): string => n.toFixed(1);
  const aedes = r.raw.brokerCpuUsPerMessage;
  const gateway = r.gateway.brokerCpuUsPerMessage;
  const lines = [
    `Each store alone (built code in a process of its own, no broker: ${int(MESSAGES)} BP messages of ${DEVICES} devices, committed as each broker committed under load)`,
    `  gateway's store     ${us(s.gatewayCpuUsPerMessage)} µs of CPU per reading (commits of ${int(s.gatewayBatch)} readings, planned as the pipeline plans them)`,
    `  floor's insert      ${us(s.floorCpuUsPerMessage)} µs of CPU per message (JSON.parse and its one row, commits of ${int(s.floorBatch)})`,
    `  with raw aedes      gateway ${us(aedes)} + ${us(s.gatewayCpuUsPerMessage)} = ${us(aedes + s.gatewayCpuUsPerMessage)} µs (measured whole: ${us(gateway)}), floor ${us(aedes)} + ${us(s.floorCpuUsPerMessage)} = ${us(aedes + s.floorCpuUsPerMessage)} µs (measured whole: ${r.floor === undefined ? '–' : us(r.floor.brokerCpuUsPerMessage)})`,
  ];
  if (r.floor !== undefined) {
    const rate = GOALS.floorRatio * r.floor.messagesPerS;
    const loadUs = (r.gateway.loadCores * 1e6) / r.gateway.messagesPerS;
    const most = (r.machine.cpus * 1e6) / rate - loadUs;
    const rest = most - aedes - s.gatewayCpuUsPerMessage;
    lines.push(
      `  the 80 % target     ${int(rate)} msgs/s on ${r.machine.cpus} cores beside the load generator's ${us(loadUs)} µs per message leaves the gateway at most ${us(most)} µs: ${us(rest)} µs for all it does beyond raw aedes and its store (now ${us(gateway - aedes - s.gatewayCpuUsPerMessage)})`,
    );
  }
  if (!s.ok) lines.push('  MISMATCH: a store did not hold one row per message');
  return lines.join('\n');
}
