import { PgDatabase } from './database.js';
import { PgDeadLetters } from './dead-letters.js';
import { PgDeviceStore } from './devices.js';
import { migratePg } from './migrations.js';

export { PG_SCHEMA_VERSION } from './migrations.js';
export { PgDatabase, PgDeadLetters, PgDeviceStore };

/**
 * The store on PostgreSQL (`store.postgres.url`), for gateways on several machines sharing one
 * database. The ports it offers so far; each passes the same contract suite as the SQLite store's.
 */
export class PgStore {
  readonly devices: PgDeviceStore;
  readonly deadLetters: PgDeadLetters;

  private constructor(private readonly db: PgDatabase) {
    this.devices = new PgDeviceStore(db);
    this.deadLetters = new PgDeadLetters(db);
  }

  /** Connects and applies pending migrations. */
  static async open(url: string): Promise<PgStore> {
    const db = new PgDatabase(url);
    try {
      await migratePg(db);
    } catch (error) {
      await db.close();
      throw error;
    }
    return new PgStore(db);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
