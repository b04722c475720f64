/**
 * The gateway under test: the real `Gateway` (full pipeline, SQLite with group commit) on
 * 127.0.0.1, MQTT and HTTP on port 0, with a temp data directory, logging silenced and a BP
 * profile without a rate limit. With `--influx-url` its InfluxDB output is on and writes to that
 * server, in batches of `--influx-batch` points (default: the gateway's); with `--alerts-off` its
 * rules engine is off. Provisions `--devices` devices through the real registry (scrypt and all)
 * before it reports ready, each for a patient of its own, and with `--clinician` a clinician account
 * looking after those patients, and prints `{"port":…,"devices":[{deviceId,secret},…],"clinician":{id,secret}}`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/index.js';
import { ClinicianRegistry } from '../../src/clinicians/index.js';
import { DeviceRegistry } from '../../src/devices/index.js';
import { systemClock } from '../../src/domain/index.js';
import { sqliteBackend } from '../../src/backends/index.js';
import { Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/observability/index.js';
import { applyV8Flags } from '../../src/runtime/index.js';
import { INFLUX_SINK } from '../../src/outputs/influx/index.js';
import { mapLimit } from '../../simulators/concurrency.js';
import { testNhsNumbers } from '../../simulators/nhs.js';
import { seededRandom } from '../../simulators/random.js';
import { benchDeviceIds } from '../devices.js';
import { BENCH_PROFILE_ID, writeBenchProfiles } from './bench-profile.js';
import { serveBroker } from './control.js';
import { watchGcPauses } from './gc-pauses.js';

/** The clinician account `--clinician` adds. */
const BENCH_CLINICIAN = 'bench-clinician';
/** Hashes in flight while provisioning: enough to keep every core's share of libuv's pool busy. */
const PROVISIONING_CONCURRENCY = 16;

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '100' },
    'influx-url': { type: 'string' },
    'influx-batch': { type: 'string' },
    'alerts-off': { type: 'boolean', default: false },
    clinician: { type: 'boolean', default: false },
    /** Comma-separated webhook URLs: a clinician for each, the patients shared out among them. */
    webhooks: { type: 'string' },
  },
});
const influxUrl = values['influx-url'];
const influxBatch = values['influx-batch'];
const dir = mkdtempSync(join(tmpdir(), 'vg-bench-'));
const config = loadConfig([
  {
    source: 'bench',
    values: {
      dataDir: join(dir, 'data'),
      profilesDir: writeBenchProfiles(join(dir, 'profiles')),
      'mqtt.host': '127.0.0.1',
      'mqtt.port': 0,
      'http.port': 0,
      'web.port': 0,
      'log.level': 'silent',
      ...(influxUrl === undefined ? {} : { 'influx.url': influxUrl }),
      ...(influxBatch === undefined ? {} : { 'influx.batchSize': Number(influxBatch) }),
      ...(values['alerts-off'] ? { 'alerts.enabled': false } : {}),
    },
  },
]);
// As `vitals-gateway start` does before the gateway starts.
applyV8Flags();
const gcSeconds = watchGcPauses();
const gateway = new Gateway(sqliteBackend, config, createLogger({ level: (process.env['VG_BENCH_LOG'] ?? 'silent') as 'silent' }));
const stop = async (): Promise<void> => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
};
const { parts, devices, clinician } = await (async () => {
  try {
    const parts = await gateway.start();
    const registry = new DeviceRegistry(parts.store.devices, parts.profiles, systemClock);
    // One patient per device, as at home (a patient's own monitor): per-patient work (NEWS2, home BP averages) stays per patient.
    const ids = benchDeviceIds(Number(values.devices));
    const patients = testNhsNumbers(ids.length, seededRandom(1));
    const devices = await mapLimit(ids, PROVISIONING_CONCURRENCY, (deviceId, i) => registry.add({ profileId: BENCH_PROFILE_ID, patient: patients[i] as string, deviceId }));
    let clinician: { id: string; secret: string } | undefined;
    if (values.clinician) {
      const clinicians = new ClinicianRegistry(parts.store.clinicians, systemClock);
      clinician = { id: BENCH_CLINICIAN, secret: (await clinicians.add(BENCH_CLINICIAN, 'Bench clinician')).secret };
      for (const patient of patients) await clinicians.assign(BENCH_CLINICIAN, patient);
      const hooks = values.webhooks === undefined ? [] : values.webhooks.split(',');
      for (const [j, url] of hooks.entries()) {
        await clinicians.add(`bench-hook-${j}`, `Bench webhook ${j}`, { url, key: new Uint8Array(32).fill(9) });
        for (const [i, patient] of patients.entries()) if (i % hooks.length === j) await clinicians.assign(`bench-hook-${j}`, patient);
      }
    }
    return { parts, devices, clinician };
  } catch (error) {
    await stop();
    throw error;
  }
})();

/** What `stats` answers: stored values and dead letters (to prove nothing was rejected), and group-commit totals. */
export interface GatewayStats {
  /** Stored readings (one row each). */
  readonly rows: number;
  /** Their values. */
  readonly values?: number;
  readonly deadLetters: number;
  readonly commits: number;
  readonly commitSeconds: number;
  /** The main thread's garbage-collection pauses so far. */
  readonly gcSeconds: number;
}

/** What `outbox` answers: InfluxDB points delivered so far (`vg_outbox_delivered_total`), and those queued or refused for good. */
export interface OutboxStats {
  readonly delivered: number;
  readonly pending: number;
  readonly dead: number;
}

type MetricValue = { readonly metricName?: string; readonly labels: Readonly<Record<string, string | number | undefined>>; readonly value: number };

/** The first value of one of the gateway's Prometheus metrics that `match` picks (0 if none). */
async function metricValue(metric: string, match: (v: MetricValue) => boolean): Promise<number> {
  const values = ((await parts.metrics.registry.getSingleMetric(metric)?.get())?.values ?? []) as readonly MetricValue[];
  return values.find(match)?.value ?? 0;
}

/** A sum or count of one of the gateway's Prometheus histograms. */
const histogramTotal = (metric: string, total: '_sum' | '_count'): Promise<number> =>
  metricValue(metric, (v) => v.metricName === `${metric}${total}`);

serveBroker(
  {
    port: parts.mqttPort ?? 0,
    devices,
    ...(clinician === undefined ? {} : { clinician }),
    ...(influxUrl === undefined ? {} : { influx: { batchSize: config.influx.batchSize, flushIntervalMs: config.influx.flushIntervalMs } }),
  },
  {
    stats: async (): Promise<GatewayStats> => ({
      rows: parts.store.readings.readingCount(),
      values: parts.store.readings.count(),
      deadLetters: parts.store.deadLetters.list({ limit: 1 }).length,
      commits: await histogramTotal('vg_commit_rows', '_count'),
      commitSeconds: await histogramTotal('vg_commit_duration_seconds', '_sum'),
      gcSeconds: gcSeconds(),
    }),
    outbox: async (): Promise<OutboxStats> => {
      const { pending, dead } = parts.store.outbox.stats(INFLUX_SINK);
      return { delivered: await metricValue('vg_outbox_delivered_total', (v) => v.labels['sink'] === INFLUX_SINK), pending, dead };
    },
  },
  stop,
);
