import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PgDatabase } from '../../src/store/postgres/index.js';
import { tempDir } from './gateway.js';
import { MosquittoBroker } from './mosquitto.js';
import { WORKER_BROKER_LINES } from './mqtt.js';
import { freePort } from './ports.js';
import { realClockEnv } from './real-clock.js';

/** Debian's PostgreSQL server programs (package postgresql), newest version first. */
const BIN = ['/usr/lib/postgresql']
  .filter((d) => existsSync(d))
  .flatMap((d) => readdirSync(d).sort((a, b) => Number(b) - Number(a)).map((v) => join(d, v, 'bin')))
  .find((d) => existsSync(join(d, 'pg_ctl')) && existsSync(join(d, 'initdb')));

/**
 * True when PostgreSQL is missing and its tests must be skipped. Under CI (CI=true) a missing
 * server is not skipped: starting it fails the run.
 */
export const postgresMissing = BIN === undefined && process.env['CI'] !== 'true';
if (postgresMissing) {
  process.stderr.write('\n*** SKIPPING PostgreSQL tests: PostgreSQL is not installed (Debian package: postgresql) ***\n\n');
}

/** PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user the package creates. */
const asRoot = process.getuid?.() === 0;
const run = (program: string, args: readonly string[]): void => {
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(BIN as string, program), ...args]] : [join(BIN as string, program), [...args]];
  // The server runs on the real clock, never under libfaketime: its deadlock check depends on it (see realClockEnv).
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env: realClockEnv() });
  if (r.status !== 0) throw new Error(`${program} failed (${r.status}): ${r.stderr || r.stdout}`);
};

/** A real PostgreSQL server on a free loopback port, with its own data directory (initdb, pg_ctl). */
export class PostgresServer {
  private databases = 0;

  private constructor(
    readonly port: number,
    private readonly data: { dir: string; remove: () => void },
  ) {}

  static async start(): Promise<PostgresServer> {
    if (BIN === undefined) throw new Error('PostgreSQL is not installed (Debian package: postgresql)');
    const data = tempDir('vg-pg-');
    if (asRoot) chownSync(data.dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })));
    const server = new PostgresServer(await freePort(), data);
    run('initdb', ['-D', join(data.dir, 'db'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
    // The tests start and stop it; they never crash the server itself, so its fsyncs are off for speed.
    server.run();
    return server;
  }

  private run(): void {
    const { dir } = this.data;
    run('pg_ctl', ['-D', join(dir, 'db'), '-w', '-t', '30', '-l', join(dir, 'log'), '-o', `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c full_page_writes=off`, 'start']);
  }

  /** Stops the server (fast shutdown: its clients are disconnected), runs `whileDown`, starts it again on the same port and data. */
  async restart(whileDown: () => Promise<unknown> = async () => {}): Promise<void> {
    run('pg_ctl', ['-D', join(this.data.dir, 'db'), '-w', '-m', 'fast', 'stop']);
    try {
      await whileDown();
    } finally {
      this.run();
    }
  }

  /** The server's main process id (its backends are its children): for CPU time. */
  pid(): number {
    return Number(readFileSync(join(this.data.dir, 'db', 'postmaster.pid'), 'utf8').split('\n')[0]);
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** A new database on the server, empty or a copy of `template` (a database of this server no one is connected to): its URL. */
  async createDatabase(template?: string): Promise<string> {
    const name = `vg_test_${++this.databases}`;
    const admin = new PgDatabase(this.url());
    try {
      await admin.execute(`CREATE DATABASE ${name}${template === undefined ? '' : ` TEMPLATE ${template}`}`);
    } finally {
      await admin.close();
    }
    return this.url(name);
  }

  stop(): void {
    try {
      run('pg_ctl', ['-D', join(this.data.dir, 'db'), '-w', '-m', 'fast', 'stop']);
    } finally {
      this.data.remove();
    }
  }
}

/**
 * What a group of worker processes on PostgreSQL needs, each closed by `defer`: a database of its
 * own on `server`, a Mosquitto broker for the group, and a directory holding the webhook key every
 * worker shares (`webhook.key`).
 */
export async function workerGroup(server: PostgresServer, defer: (cleanup: () => unknown) => void): Promise<{ url: string; broker: MosquittoBroker; dir: string }> {
  const url = await server.createDatabase();
  const broker = await MosquittoBroker.start(WORKER_BROKER_LINES);
  defer(() => broker.stop());
  const tmp = tempDir();
  defer(tmp.remove);
  writeFileSync(join(tmp.dir, 'webhook.key'), randomBytes(32));
  return { url, broker, dir: tmp.dir };
}
