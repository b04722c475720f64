import { configFileFromEnv, fileLayer, loadConfig, readEnv, type ConfigLayer, type LoadedConfig } from '../config/index.js';
import { GatewayError, parseNhsNumber } from '../domain/index.js';
import { userInfo } from 'node:os';
import { PgStore } from '../store/postgres/index.js';
import { SqliteStore } from '../store/sqlite/index.js';

/** Options every command accepts. */
export interface GlobalOptions {
  readonly config?: string | undefined;
  readonly dataDir?: string | undefined;
}

/** Builds the config for a command: defaults, then the config file, then VG_* variables, then flags. */
export function commandConfig(global: GlobalOptions, flags: Record<string, unknown> = {}): LoadedConfig {
  const layers: ConfigLayer[] = [];
  const file = global.config ?? configFileFromEnv();
  if (file !== undefined) layers.push(fileLayer(file));
  layers.push({ source: 'environment', values: readEnv() });
  layers.push({ source: 'command line', values: { dataDir: global.dataDir, ...flags } });
  return loadConfig(layers);
}

function withSqlite<T>(config: LoadedConfig, fn: (store: SqliteStore, config: LoadedConfig) => T): T {
  const store = new SqliteStore(config.dbFile);
  let result: T;
  try {
    result = fn(store, config);
  } catch (error) {
    store.close();
    throw error;
  }
  if (result instanceof Promise) return result.finally(() => store.close()) as T;
  store.close();
  return result;
}

/** A `--patient` option as a valid NHS number; a clear error otherwise. */
export function patientOption(raw: string): string {
  const nhs = parseNhsNumber(raw);
  if (!nhs.ok) throw new GatewayError('GW_NHS_NUMBER_INVALID', `--patient: ${nhs.error}`);
  return nhs.value;
}

/** Who acts from the command line: `cli:<user>` (alerts, corrections and the audit trail name them so). */
export const cliActor = (): string => `cli:${userInfo().username}`;

/** Records an audit entry for a command-line action (the same trail as the web app's); on PostgreSQL, await it. */
export function auditCli(store: SqliteStore | PgStore, action: string, patientNhs: string | undefined, target: string | undefined): unknown {
  return store.readings.commit({ readings: [], deadLetters: [], health: [], audit: [{ atMs: Date.now(), actor: cliActor(), role: 'cli', action, patientNhs, target, address: undefined, outcome: 'ok' }] });
}

/**
 * Runs `fn` on the configured store, the embedded SQLite file or PostgreSQL (`store.postgres.url`),
 * closing it once `fn` settles. `fn` awaits every port's answer, so it serves both.
 */
export async function withAnyStore<T>(global: GlobalOptions, fn: (store: SqliteStore | PgStore, config: LoadedConfig) => Promise<T>): Promise<T> {
  const config = commandConfig(global);
  const postgres = config.store.postgres;
  if (postgres === undefined) return withSqlite(config, fn);
  const store = await PgStore.open(postgres.url, { poolSize: 2 });
  try {
    return await fn(store, config);
  } finally {
    await store.close();
  }
}
