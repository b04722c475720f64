import { afterAll, beforeAll, describe } from 'vitest';
import { postgresBackend, sqliteBackend } from '../../src/backends/index.js';
import { loadConfig } from '../../src/config/index.js';
import { describeBackendContract } from '../contracts/backend.contract.js';
import { tempDir } from '../helpers/gateway.js';
import { postgresMissing, PostgresServer } from '../helpers/postgres.js';

describeBackendContract('the embedded SQLite file', false, () => {
  const tmp = tempDir();
  return Promise.resolve({
    open: sqliteBackend,
    config: (gatewayId: string) => loadConfig([{ source: 'test', values: { gatewayId, dataDir: tmp.dir } }]),
    secret: undefined,
    remove: tmp.remove,
  });
});

describe.skipIf(postgresMissing)('on a real PostgreSQL server', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await PostgresServer.start();
  }, 60_000);
  afterAll(() => server?.stop());

  describeBackendContract('PostgreSQL shared by workers', true, async () => {
    const url = await server.createDatabase();
    return {
      open: postgresBackend,
      config: (gatewayId: string) => loadConfig([{ source: 'test', values: { gatewayId, 'store.postgres.url': url, 'broker.url': 'mqtt://127.0.0.1:1', 'ble.enabled': false } }]),
      secret: new URL(url).password || url,
      remove: () => {},
    };
  });
});
