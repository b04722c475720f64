import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigSchema, ENV_VARS, fileLayer, loadConfig, notYetOnPostgres, readEnv } from '../../src/config/index.js';
import { GatewayError } from '../../src/domain/index.js';
import { tempDir } from '../helpers/gateway.js';

const configError = (fn: () => unknown): GatewayError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error('expected a GatewayError');
};

describe('config', () => {
  it('runs on defaults with no file', () => {
    const c = loadConfig([]);
    expect(c.mqtt.port).toBe(1883);
    expect(c.mqtt.tls).toBeUndefined();
    expect(c.dbFile).toMatch(/data[/\\]gateway\.db$/);
    expect(c.profilesDir).toMatch(/device-profiles$/);
    expect(Object.isFrozen(c) && Object.isFrozen(c.mqtt)).toBe(true);
  });

  it('takes PostgreSQL from VG_POSTGRES_URL, and names each part a worker on it cannot run yet with the setting that turns it off', () => {
    const env = { source: 'environment', values: readEnv({ VG_POSTGRES_URL: 'postgres://vg:secret@db.example:5432/vitals' }) };
    const c = loadConfig([env]);
    expect(c.store.postgres).toEqual({ url: 'postgres://vg:secret@db.example:5432/vitals', poolSize: 10 });
    expect(notYetOnPostgres(c).map((line) => line.split(':')[0])).toEqual(['broker.url', 'ble.enabled']);
    const worker = loadConfig([env, { source: 'file', values: { 'broker.url': 'mqtt://broker:1883', 'ble.enabled': false } }]);
    expect(notYetOnPostgres(worker)).toEqual([]);
    // The FHIR output runs there once every worker names its records the same.
    const fhir = { 'broker.url': 'mqtt://broker:1883', 'ble.enabled': false, 'fhir.url': 'https://fhir.example/R4' };
    expect(notYetOnPostgres(loadConfig([env, { source: 'file', values: fhir }])).map((line) => line.split(':')[0])).toEqual(['fhir.serviceId']);
    expect(notYetOnPostgres(loadConfig([env, { source: 'file', values: { ...fhir, 'fhir.serviceId': 'north-rpm' } }]))).toEqual([]);
    expect(notYetOnPostgres(loadConfig([]))).toEqual([]); // SQLite: everything runs
    expect(configError(() => loadConfig([{ source: 'file', values: { 'store.postgres.url': 'mysql://x' } }])).message).toContain('store.postgres.url');
  });

  it('applies file, then environment, then flags', () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'gw.json');
      writeFileSync(file, JSON.stringify({ mqtt: { port: 1000, host: '127.0.0.1' }, dataDir: 'store', log: { level: 'warn' } }));
      const c = loadConfig([
        fileLayer(file),
        { source: 'environment', values: readEnv({ VG_MQTT_PORT: '2000', VG_LOG_LEVEL: 'debug' }) },
        { source: 'command line', values: { 'mqtt.port': 3000 } },
      ]);
      expect(c.mqtt).toMatchObject({ port: 3000, host: '127.0.0.1' });
      expect(c.log.level).toBe('debug');
      expect(c.dataDir).toBe(join(tmp.dir, 'store')); // relative to the config file
    } finally {
      tmp.remove();
    }
  });

  it('reports every bad key at once, naming key and source', () => {
    const e = configError(() =>
      loadConfig([
        { source: 'config file x.json', values: { 'mqtt.prot': 1, 'log.level': 'loud' } },
        { source: 'environment', values: readEnv({ VG_MQTT_PORT: 'eighty' }) },
      ]),
    );
    expect(e.code).toBe('GW_CONFIG_INVALID');
    expect(e.message).toMatch(/mqtt\.prot: unknown setting \(from config file x\.json\)/);
    expect(e.message).toMatch(/log\.level: .*\(from config file x\.json\)/);
    expect(e.message).toMatch(/mqtt\.port: .*\(from environment\)/);
  });

  it('rejects an out-of-range port and a half-configured TLS', () => {
    expect(configError(() => loadConfig([{ source: 'flags', values: { 'mqtt.port': 70000 } }])).message).toMatch(/mqtt\.port/);
    expect(configError(() => loadConfig([{ source: 'flags', values: { 'mqtt.tls.certFile': 'c.pem' } }])).message).toMatch(/mqtt\.tls\.keyFile/);
  });

  it('says clearly when the config file is unreadable', () => {
    expect(configError(() => fileLayer('/nonexistent/gw.json')).code).toBe('GW_CONFIG_FILE_UNREADABLE');
  });

  it('every environment variable maps to a real key', () => {
    const all = readEnv(Object.fromEntries(Object.keys(ENV_VARS).map((n) => [n, '1'])));
    expect(Object.keys(all)).toHaveLength(Object.keys(ENV_VARS).length);
    for (const key of Object.keys(all)) expect(key.split('.')[0]! in ConfigSchema.shape).toBe(true);
  });
});
