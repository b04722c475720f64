/**
 * Configuration: one strict zod schema, defaults that run on a fresh machine, and layers applied in
 * order — config file, `VG_*` environment variables, command-line flags. The result is frozen.
 */
export { ConfigSchema, type Config } from './schema.js';
export { loadConfig, fileLayer, bundledProfilesDir, type ConfigLayer, type LoadedConfig } from './load.js';
export { readEnv, configFileFromEnv, ENV_VARS } from './env.js';
export { gatewayVersion } from './version.js';
export { notYetOnPostgres } from './postgres.js';
