import type { BrokerCredential, BrokerCredentialStore } from '../broker-credential-store.js';
import type { SqliteConnection } from './database.js';

/** BrokerCredentialStore on SQLite. */
export class SqliteBrokerCredentials implements BrokerCredentialStore {
  constructor(private readonly db: SqliteConnection) {}

  set(c: BrokerCredential): void {
    this.db
      .prepare(
        `INSERT INTO broker_credentials (username, password_hash, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at`,
      )
      .run(c.username, c.passwordHash, c.updatedAtMs);
  }

  all(): BrokerCredential[] {
    return this.db.prepare('SELECT username, password_hash AS passwordHash, updated_at AS updatedAtMs FROM broker_credentials ORDER BY username').all() as BrokerCredential[];
  }
}
