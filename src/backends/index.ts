import type { Config } from '../config/index.js';
import type { GatewayStore, OpenBackend } from './backend.js';
import { postgresBackend } from './postgres.js';
import { sqliteBackend } from './sqlite.js';

export type { AlertParts, Backend, GatewayStore, OpenBackend } from './backend.js';
export { postgresBackend, sharedAlertEngine } from './postgres.js';
export { sqliteBackend } from './sqlite.js';

/** The backend the configuration names: PostgreSQL when `store.postgres` is set, else the embedded SQLite file. */
export function backendFor(config: Config): OpenBackend<GatewayStore> {
  return config.store.postgres === undefined ? sqliteBackend : postgresBackend;
}
