import { createHash } from 'node:crypto';
import pg from 'pg';

/** The one place the `pg` library is used: a pool, queries with parameters, and transactions. */

/** A row as `pg` returns it: column name → value (BIGINT as a number: every time is ms since epoch, well inside 2^53). */
export type PgRow = Record<string, unknown>;

/** Queries on one connection: the pool's, or a transaction's. */
export interface PgQueryable {
  query(sql: string, params?: readonly unknown[]): Promise<PgRow[]>;
  /** Rows changed (INSERT, UPDATE, DELETE). */
  execute(sql: string, params?: readonly unknown[]): Promise<number>;
}

const BIGINT_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === BIGINT_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** Names of prepared statements by their text. */
const statementNames = new Map<string, string>();

/**
 * A statement with parameters is prepared once per connection, named by its text, and executed
 * from then on without being parsed and planned again (measured: parsing and planning were most
 * of PostgreSQL's CPU for the small statements of each commit and alert plan).
 */
function prepared(sql: string, params: readonly unknown[]): pg.QueryConfig {
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = `vg_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    statementNames.set(sql, name);
  }
  return { name, text: sql, values: params as unknown[] };
}

class Connection implements PgQueryable {
  constructor(private readonly client: pg.Pool | pg.PoolClient) {}

  // Without parameters a text may hold several statements (migrations); with them, one.
  async query(sql: string, params?: readonly unknown[]): Promise<PgRow[]> {
    return (await (params === undefined ? this.client.query(sql) : this.client.query(prepared(sql, params)))).rows as PgRow[];
  }

  async execute(sql: string, params?: readonly unknown[]): Promise<number> {
    return (await (params === undefined ? this.client.query(sql) : this.client.query(prepared(sql, params)))).rowCount ?? 0;
  }
}

/** A pool of connections to one PostgreSQL database (`store.postgres.url`). */
export class PgDatabase implements PgQueryable {
  private readonly pool: pg.Pool;
  private readonly connection: Connection;

  constructor(
    private readonly url: string,
    options: { max?: number } = {},
  ) {
    this.pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, types });
    // A connection the server drops (a restart, a failover) is replaced at the next query: idle, the
    // pool reports it here; checked out, its next query fails. Either way it must not throw
    // (an 'error' event with no listener would end the process).
    this.pool.on('error', () => {});
    this.pool.on('connect', (client) => client.on('error', () => {}));
    this.connection = new Connection(this.pool);
  }

  query(sql: string, params?: readonly unknown[]): Promise<PgRow[]> {
    return this.connection.query(sql, params);
  }

  execute(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.connection.execute(sql, params);
  }

  /** Runs `fn` in one transaction on one connection: committed if it resolves, rolled back if it throws. */
  async transaction<T>(fn: (tx: PgQueryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(new Connection(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that cannot even roll back (the server restarted, the network dropped) is closed, not pooled.
      broken = await client.query('ROLLBACK').then(
        () => false,
        () => true,
      );
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Calls `onPayload` with each notification on `channel` (PostgreSQL `LISTEN`), on a connection of
   * its own (not the pool's), connected again with back-off whenever it is lost; `onState` hears of
   * each loss and return (notifications sent meanwhile are not seen). Returns how to stop listening.
   */
  listen(channel: string, onPayload: (payload: string) => void, onState: (up: boolean, error?: Error) => void): () => Promise<void> {
    let client: pg.Client | undefined;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let delayMs = 500;
    const connect = async (): Promise<void> => {
      const c = new pg.Client({ connectionString: this.url, types });
      const lost = (error?: Error) => {
        if (client !== c) return;
        client = undefined;
        void c.end().catch(() => undefined);
        if (stopped) return;
        onState(false, error);
        timer = setTimeout(() => void connect(), delayMs);
        delayMs = Math.min(30_000, delayMs * 2);
      };
      c.on('error', lost);
      c.on('end', () => lost());
      c.on('notification', (n) => {
        if (n.channel === channel && n.payload !== undefined) onPayload(n.payload);
      });
      client = c;
      try {
        await c.connect();
        await c.query(`LISTEN ${pg.Client.prototype.escapeIdentifier(channel)}`);
        if (stopped) return void (await c.end());
        delayMs = 500;
        onState(true);
      } catch (error) {
        lost(error as Error);
      }
    };
    void connect();
    return async () => {
      stopped = true;
      clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
