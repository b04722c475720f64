/**
 * The gateway under test: the real `Gateway` (full pipeline, SQLite with group commit) on
 * 127.0.0.1, MQTT and HTTP on port 0, with a temp data directory, logging silenced and a BP
 * profile without a rate limit. Provisions `--devices` devices through the real registry (scrypt and all) before it
 * reports ready, and prints `{"port":…,"devices":[{deviceId,secret},…]}`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/index.js';
import { DeviceRegistry } from '../../src/devices/index.js';
import { systemClock } from '../../src/domain/index.js';
import { Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/observability/index.js';
import { mapLimit } from '../../simulators/concurrency.js';
import { benchDeviceIds } from '../devices.js';
import { BENCH_PROFILE_ID, writeBenchProfiles } from './bench-profile.js';
import { serveBroker } from './control.js';

/** A valid NHS number (checksum and all) for the patient every simulated device belongs to. */
const PATIENT_NHS = '9434765919';
/** Hashes in flight while provisioning: enough to keep every core's share of libuv's pool busy. */
const PROVISIONING_CONCURRENCY = 16;

const { values } = parseArgs({ options: { devices: { type: 'string', default: '100' } } });
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
      'log.level': 'silent',
    },
  },
]);
const gateway = new Gateway(config, createLogger({ level: 'silent' }));
const stop = async (): Promise<void> => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
};
const { parts, devices } = await (async () => {
  try {
    const parts = await gateway.start();
    const registry = new DeviceRegistry(parts.store.devices, parts.profiles, systemClock);
    const devices = await mapLimit(benchDeviceIds(Number(values.devices)), PROVISIONING_CONCURRENCY, (deviceId) =>
      registry.add({ profileId: BENCH_PROFILE_ID, patient: PATIENT_NHS, deviceId }),
    );
    return { parts, devices };
  } catch (error) {
    await stop();
    throw error;
  }
})();

/** What `stats` answers: stored values and dead letters (to prove nothing was rejected), and group-commit totals. */
export interface GatewayStats {
  readonly rows: number;
  readonly deadLetters: number;
  readonly commits: number;
  readonly commitSeconds: number;
}

/** A sum or count of one of the gateway's Prometheus histograms. */
async function histogramTotal(metric: string, total: '_sum' | '_count'): Promise<number> {
  const histogram = await parts.metrics.registry.getSingleMetric(metric)?.get();
  const values = (histogram?.values ?? []) as readonly { metricName?: string; value: number }[];
  return values.find((v) => v.metricName === `${metric}${total}`)?.value ?? 0;
}

serveBroker(
  { port: parts.mqttPort, devices },
  {
    stats: async (): Promise<GatewayStats> => ({
      rows: parts.store.readings.count(),
      deadLetters: parts.store.deadLetters.list({ limit: 1 }).length,
      commits: await histogramTotal('vg_commit_rows', '_count'),
      commitSeconds: await histogramTotal('vg_commit_duration_seconds', '_sum'),
    }),
  },
  stop,
);
