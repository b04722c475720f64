import { GatewayError } from '../../domain/index.js';
import { PgAlerts } from './alerts.js';
import { PgBrokerCredentials } from './broker-credentials.js';
import { PgClinicians } from './clinicians.js';
import { PgDatabase } from './database.js';
import { PgDeadLetters } from './dead-letters.js';
import { PgDerived } from './derived.js';
import { PgDeviceStore } from './devices.js';
import { migratePg } from './migrations.js';
import { PgOutbox } from './outbox.js';
import { PgPatients } from './patients.js';
import { PgReadingStore } from './readings.js';
import { PgCareViews } from './views.js';
import { PgResearch } from './research.js';
import { PgApiTokens, PgAudit, PgSessions } from './web.js';

export { PG_SCHEMA_VERSION } from './migrations.js';
export { PgApiTokens, PgAudit, PgCareViews, PgDerived, PgResearch, PgSessions };
export { PgAlerts, PgBrokerCredentials, PgClinicians, PgDatabase, PgDeadLetters, PgDeviceStore, PgOutbox, PgPatients, PgReadingStore };

/**
 * The store on PostgreSQL (`store.postgres.url`), for gateways on several machines sharing one
 * database. The ports it offers so far; each passes the same contract suite as the SQLite store's.
 */
export class PgStore {
  readonly devices: PgDeviceStore;
  readonly deadLetters: PgDeadLetters;
  readonly patients: PgPatients;
  readonly clinicians: PgClinicians;
  readonly alerts: PgAlerts;
  readonly outbox: PgOutbox;
  readonly readings: PgReadingStore;
  readonly brokerCredentials: PgBrokerCredentials;
  readonly views: PgCareViews;
  readonly audit: PgAudit;
  readonly tokens: PgApiTokens;
  readonly sessions: PgSessions;
  readonly research: PgResearch;
  readonly derived: PgDerived;

  private constructor(private readonly db: PgDatabase) {
    this.devices = new PgDeviceStore(db);
    this.deadLetters = new PgDeadLetters(db);
    this.patients = new PgPatients(db);
    this.clinicians = new PgClinicians(db);
    this.alerts = new PgAlerts(db);
    this.outbox = new PgOutbox(db);
    this.readings = new PgReadingStore(db);
    this.brokerCredentials = new PgBrokerCredentials(db);
    this.views = new PgCareViews(db);
    this.audit = new PgAudit(db);
    this.tokens = new PgApiTokens(db);
    this.sessions = new PgSessions(db);
    this.research = new PgResearch(db);
    this.derived = new PgDerived(db);
  }

  /** Connects and applies pending migrations. */
  static async open(url: string, options: { poolSize?: number } = {}): Promise<PgStore> {
    const db = new PgDatabase(url, { max: options.poolSize ?? 10 });
    try {
      await migratePg(db);
    } catch (error) {
      await db.close();
      if (error instanceof GatewayError) throw error;
      const { hostname, port, pathname } = new URL(url);
      throw new GatewayError('GW_STORE_UNREACHABLE', `PostgreSQL at ${hostname}:${port || 5432}${pathname} cannot be opened: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return new PgStore(db);
  }

  /** Notifications on `channel` (see {@link PgReadingStore.announce}); returns how to stop listening. */
  listen(channel: string, onPayload: (payload: string) => void, onState: (up: boolean, error?: Error) => void): () => Promise<void> {
    return this.db.listen(channel, onPayload, onState);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
