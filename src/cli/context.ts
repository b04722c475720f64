import { configFileFromEnv, fileLayer, loadConfig, readEnv, type ConfigLayer, type LoadedConfig } from '../config/index.js';

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
