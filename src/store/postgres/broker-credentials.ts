import type { AsyncPort } from '../async-port.js';
import type { BrokerCredential, BrokerCredentialStore } from '../broker-credential-store.js';
import type { PgQueryable } from './database.js';

/** BrokerCredentialStore on PostgreSQL. */
export class PgBrokerCredentials implements AsyncPort<BrokerCredentialStore> {
  constructor(private readonly db: PgQueryable) {}

  async set(c: BrokerCredential): Promise<void> {
    await this.db.execute(
      `INSERT INTO broker_credentials (username, password_hash, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at`,
      [c.username, c.passwordHash, c.updatedAtMs],
    );
  }

  async all(): Promise<BrokerCredential[]> {
    const rows = await this.db.query('SELECT username, password_hash, updated_at FROM broker_credentials ORDER BY username');
    return rows.map((r) => ({ username: r['username'] as string, passwordHash: r['password_hash'] as string, updatedAtMs: r['updated_at'] as number }));
  }
}
