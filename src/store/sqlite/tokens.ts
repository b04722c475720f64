import type { ApiTokenRecord, ApiTokenStore } from '../care-views.js';
import type { SqliteConnection } from './database.js';

export type { ApiTokenRecord } from '../care-views.js';

const COLUMNS = 'id, account_id AS accountId, name, created_at AS createdAtMs, revoked_at AS revokedAtMs';
const toRecord = (r: unknown): ApiTokenRecord => {
  const t = r as ApiTokenRecord & { revokedAtMs: number | null };
  return { ...t, revokedAtMs: t.revokedAtMs ?? undefined };
};

/** API clients' bearer tokens: only their SHA-256 is kept. */
export class SqliteApiTokens implements ApiTokenStore {
  constructor(private readonly db: SqliteConnection) {}

  insert(t: { id: string; accountId: string; tokenHash: string; name: string; createdAtMs: number }): void {
    this.db.prepare('INSERT INTO api_tokens (id, account_id, token_hash, name, created_at) VALUES (?, ?, ?, ?, ?)').run(t.id, t.accountId, t.tokenHash, t.name, t.createdAtMs);
  }

  /** The live token with this hash. */
  byHash(tokenHash: string): ApiTokenRecord | undefined {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL`).get(tokenHash);
    return r === undefined ? undefined : toRecord(r);
  }

  list(accountId?: string): ApiTokenRecord[] {
    return this.db.prepare(`SELECT ${COLUMNS} FROM api_tokens WHERE (@a IS NULL OR account_id = @a) ORDER BY created_at`).all({ a: accountId ?? null }).map(toRecord);
  }

  revoke(id: string, atMs: number): boolean {
    return this.db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(atMs, id).changes === 1;
  }
}
