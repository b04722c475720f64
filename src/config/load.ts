import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GatewayError } from '../domain/index.js';
import { ConfigSchema, type Config } from './schema.js';

/** One layer of settings, as dotted keys (`mqtt.port`) → values, with where it came from. */
export interface ConfigLayer {
  readonly source: string;
  readonly values: Readonly<Record<string, unknown>>;
}

/** A loaded config: validated, with paths resolved, frozen. */
export type LoadedConfig = Readonly<Config> & { readonly profilesDir: string; readonly dbFile: string; readonly pseudonymKeyFile: string; readonly webhookKeyFile: string; readonly researchKeyFile: string };

/**
 * Validates the config built from layers applied in order (file, then env, then flags, each
 * overriding the last). All problems are reported in one GW_CONFIG_INVALID error that names each
 * bad key and the layer it came from.
 */
export function loadConfig(layers: readonly ConfigLayer[]): LoadedConfig {
  const merged: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.values)) {
      if (value === undefined) continue;
      setPath(merged, key, value);
      origin.set(key, layer.source);
    }
  }
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.flatMap((i) => {
      const base = i.path.map(String);
      const keys = i.code === 'unrecognized_keys' ? i.keys.map((k) => [...base, k].join('.')) : [base.join('.') || '(root)'];
      return keys.map((key) => {
        const from = origin.get(key);
        const msg = i.code === 'unrecognized_keys' ? 'unknown setting' : i.message;
        return `${key}: ${msg}${from === undefined ? '' : ` (from ${from})`}`;
      });
    });
    throw new GatewayError('GW_CONFIG_INVALID', `invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const config = parsed.data;
  return deepFreeze({
    ...config,
    dataDir: resolve(config.dataDir),
    profilesDir: resolve(config.profilesDir ?? bundledProfilesDir()),
    dbFile: join(resolve(config.dataDir), 'gateway.db'),
    pseudonymKeyFile: resolve(config.pseudonymKeyFile ?? join(config.dataDir, 'pseudonym.key')),
    webhookKeyFile: resolve(config.webhookKeyFile ?? join(config.dataDir, 'webhook.key')),
    researchKeyFile: resolve(config.researchKeyFile ?? join(config.dataDir, 'research.key')),
  });
}

/** Reads a JSON config file as one layer (nested objects flattened to dotted keys). */
export function fileLayer(file: string): ConfigLayer {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new GatewayError('GW_CONFIG_FILE_UNREADABLE', `cannot read config file ${file}: ${(cause as Error).message}`, { cause });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new GatewayError('GW_CONFIG_FILE_UNREADABLE', `config file ${file} must hold a JSON object`);
  }
  const values = flatten(json as Record<string, unknown>);
  // Relative paths in a config file are relative to the file.
  for (const key of ['dataDir', 'profilesDir', 'pseudonymKeyFile', 'webhookKeyFile', 'researchKeyFile', 'mqtt.tls.certFile', 'mqtt.tls.keyFile', 'mqtt.tls.caFile']) {
    if (typeof values[key] === 'string') values[key] = resolve(dirname(file), values[key] as string);
  }
  return { source: `config file ${file}`, values };
}

function flatten(obj: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix + k;
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0) {
      Object.assign(out, flatten(v as Record<string, unknown>, `${key}.`));
    } else out[key] = v;
  }
  return out;
}

function setPath(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let here = target;
  for (const part of parts.slice(0, -1)) {
    const next = here[part];
    if (typeof next !== 'object' || next === null) here[part] = {};
    here = here[part] as Record<string, unknown>;
  }
  here[parts[parts.length - 1] as string] = value;
}

/** The `device-profiles/` folder shipped beside the gateway's code (found from this module's location). */
export function bundledProfilesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'device-profiles')) && existsSync(join(dir, 'package.json'))) return join(dir, 'device-profiles');
    dir = dirname(dir);
  }
  return resolve('device-profiles');
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
