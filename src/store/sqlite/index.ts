import { openDatabase, type SqliteConnection } from './database.js';
import { SqliteDeadLetters } from './dead-letters.js';
import { SqliteDeviceStore } from './devices.js';
import { SqliteDeviceHealth } from './health.js';
import { SqliteAlerts } from './alerts.js';
import { SqliteClinicians } from './clinicians.js';
import { SqliteDerived } from './derived.js';
import { SqliteOutbox } from './outbox.js';
import { SqlitePatients } from './patients.js';
import { SqliteReadingStore } from './readings.js';
import { SqliteAudit } from './audit.js';
import { SqliteApiTokens } from './tokens.js';
import { SqliteCareViews } from './views.js';
import { SqliteResearch } from './research.js';
import { SqliteBrokerCredentials } from './broker-credentials.js';
import type { RollupOptions } from './rollups.js';

export { SCHEMA_VERSION } from './migrations.js';
export type { StoredDeadLetter } from './dead-letters.js';
export type { OutboxStats, PendingOutboxEntry } from './outbox.js';
export type { DerivationInput } from './derived.js';
export { SqliteDerived, SqliteAlerts, SqliteClinicians };
export type { AlertEvent } from './alerts.js';
export type { AccountRole, ClinicianRecord } from './clinicians.js';
export type { PatientOverride, PatientSettings } from '../patient-store.js';
export { SqlitePatients };
export { SqliteOutbox };
export { SqliteWriterThread } from './writer.js';
export { SqliteReadingStore, SqliteDeviceStore, SqliteDeadLetters, SqliteAudit, SqliteApiTokens };
export type { AuditFilter, StoredAuditEntry } from './audit.js';
export type { ApiTokenRecord } from './tokens.js';
export type { PointValue, SeriesBucket } from './views.js';
export type { OptOutState, ResearchValue } from './research.js';
export { SqliteResearch, SqliteBrokerCredentials };

/** The gateway's embedded store: one SQLite file holding devices, readings, dead letters and device health. */
export class SqliteStore {
  readonly readings: SqliteReadingStore;
  readonly devices: SqliteDeviceStore;
  readonly deadLetters: SqliteDeadLetters;
  readonly outbox: SqliteOutbox;
  readonly derived: SqliteDerived;
  readonly alerts: SqliteAlerts;
  readonly clinicians: SqliteClinicians;
  readonly patients: SqlitePatients;
  readonly audit: SqliteAudit;
  readonly tokens: SqliteApiTokens;
  readonly views: SqliteCareViews;
  readonly research: SqliteResearch;
  readonly brokerCredentials: SqliteBrokerCredentials;
  private readonly db: SqliteConnection;

  /**
   * `rollupsEveryMs`: how often, at most, the per-minute rollups are written (`ROLLUPS_EVERY_MS` in rollups.ts),
   * on `rollupsClock` (a monotonic clock in ms); tests set both.
   */
  constructor(file: string, options: RollupOptions = {}) {
    this.db = openDatabase(file);
    const health = new SqliteDeviceHealth(this.db);
    this.deadLetters = new SqliteDeadLetters(this.db);
    this.outbox = new SqliteOutbox(this.db);
    this.derived = new SqliteDerived(this.db);
    this.alerts = new SqliteAlerts(this.db);
    this.clinicians = new SqliteClinicians(this.db);
    this.patients = new SqlitePatients(this.db);
    this.audit = new SqliteAudit(this.db);
    this.tokens = new SqliteApiTokens(this.db);
    this.views = new SqliteCareViews(this.db);
    this.research = new SqliteResearch(this.db);
    this.brokerCredentials = new SqliteBrokerCredentials(this.db);
    this.readings = new SqliteReadingStore(this.db, this.deadLetters, health, this.outbox, this.derived, this.alerts, this.audit, options);
    this.devices = new SqliteDeviceStore(this.db, health);
  }

  isOpen(): boolean {
    return this.db.open;
  }

  /** Idempotent. Writes the rollups and the per-patient index of the readings stored since they were last written first. */
  close(): void {
    if (!this.db.open) return;
    try {
      this.readings.writeDeferred();
    } finally {
      this.db.close();
    }
  }
}
