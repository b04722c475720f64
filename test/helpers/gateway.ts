import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type LoadedConfig } from '../../src/config/index.js';
import { DeviceRegistry, type DeviceCredentials } from '../../src/devices/index.js';
import { systemClock, type Clock } from '../../src/domain/index.js';
import { sqliteBackend } from '../../src/backends/index.js';
import { Gateway, type GatewayParts } from '../../src/gateway.js';
import type { SqliteStore } from '../../src/store/sqlite/index.js';
import { createLogger } from '../../src/observability/index.js';

/**
 * A temp directory removed by the returned cleanup (retried: a server that has just exited may
 * still have a file of its own appear and vanish as the tree is walked, ENOTEMPTY).
 */
export function tempDir(prefix = 'vg-test-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }) };
}

export interface TestGateway extends GatewayParts<SqliteStore> {
  readonly gateway: Gateway<SqliteStore>;
  readonly config: LoadedConfig;
  readonly url: string;
  /** Registers a device with the real registry (scrypt and all). */
  addDevice(profileId: string, options?: { id?: string; patient?: string; bleAddress?: string }): Promise<DeviceCredentials>;
  stop(): Promise<void>;
}

export const TEST_NHS = '9434765919';

/** Starts a real gateway on 127.0.0.1, port 0, with its SQLite file in `dataDir`. */
export async function startGateway(
  dataDir: string,
  overrides: Record<string, unknown> = {},
  clock: Clock = systemClock,
): Promise<TestGateway> {
  const config = loadConfig([
    { source: 'test', values: { dataDir, 'mqtt.port': 0, 'mqtt.host': '127.0.0.1', 'http.port': 0, 'web.port': 0, 'log.level': process.env['VG_TEST_LOG'] ?? 'silent', ...overrides } },
  ]);
  const gateway = new Gateway(sqliteBackend, config, createLogger({ level: process.env['VG_TEST_LOG'] ?? 'silent' }), clock);
  const parts = await gateway.start();
  const registry = new DeviceRegistry(parts.store.devices, parts.profiles, clock, parts.store.brokerCredentials);
  return {
    ...parts,
    gateway,
    config,
    url: `mqtt://127.0.0.1:${parts.mqttPort}`,
    addDevice: (profileId, o = {}) => registry.add({ profileId, patient: o.patient ?? TEST_NHS, deviceId: o.id, bleAddress: o.bleAddress }),
    stop: () => gateway.stop(),
  };
}
