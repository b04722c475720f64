import type { ApiTokenRecord, ApiTokenStore, AuditFilter, AuditTrail, ReviewMark, SessionRecord, SessionStore, StoredAuditEntry } from '../care-views.js';
import type { AsyncPort } from '../async-port.js';
import type { PgQueryable, PgRow } from './database.js';

const num = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));
const str = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

/** The audit trail and review marks on PostgreSQL (both written in the commit: see PgReadingStore). */
export class PgAudit implements AsyncPort<AuditTrail> {
  constructor(private readonly db: PgQueryable) {}

  async list(f: AuditFilter = {}): Promise<StoredAuditEntry[]> {
    // Only the filters given, so each is an index condition (`audit_patient`, `audit_actor`, the key).
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (v: unknown): string => `$${params.push(v)}`;
    if (f.patientNhs !== undefined) where.push(`patient_nhs = ${param(f.patientNhs)}`);
    if (f.actor !== undefined) where.push(`actor = ${param(f.actor)}`);
    if (f.sinceMs !== undefined) where.push(`at >= ${param(f.sinceMs)}`);
    if (f.beforeId !== undefined) where.push(`id < ${param(f.beforeId)}`);
    const rows = await this.db.query(
      `SELECT id, at, actor, role, action, patient_nhs, target, address, outcome FROM audit ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${param(f.limit ?? 100)}`,
      params,
    );
    return rows.map((r) => ({
      id: Number(r['id']),
      atMs: Number(r['at']),
      actor: String(r['actor']),
      role: String(r['role']),
      action: String(r['action']),
      patientNhs: str(r['patient_nhs']),
      target: str(r['target']),
      address: str(r['address']),
      outcome: r['outcome'] as StoredAuditEntry['outcome'],
    }));
  }

  async lastReview(patientNhs: string): Promise<ReviewMark | undefined> {
    const [r] = await this.db.query('SELECT patient_nhs, by, at FROM patient_reviews WHERE patient_nhs = $1', [patientNhs]);
    return r === undefined ? undefined : review(r);
  }

  async reviews(): Promise<Map<string, ReviewMark>> {
    const rows = await this.db.query('SELECT patient_nhs, by, at FROM patient_reviews');
    return new Map(rows.map((r) => [String(r['patient_nhs']), review(r)]));
  }
}

const review = (r: PgRow): ReviewMark => ({ patientNhs: String(r['patient_nhs']), by: String(r['by']), atMs: Number(r['at']) });

const tokenRecord = (r: PgRow): ApiTokenRecord => ({
  id: String(r['id']),
  accountId: String(r['account_id']),
  name: String(r['name']),
  createdAtMs: Number(r['created_at']),
  revokedAtMs: num(r['revoked_at']),
});

/** API clients' bearer tokens on PostgreSQL: only their SHA-256 is kept. */
export class PgApiTokens implements AsyncPort<ApiTokenStore> {
  constructor(private readonly db: PgQueryable) {}

  async insert(t: { id: string; accountId: string; tokenHash: string; name: string; createdAtMs: number }): Promise<void> {
    await this.db.execute('INSERT INTO api_tokens (id, account_id, token_hash, name, created_at) VALUES ($1, $2, $3, $4, $5)', [t.id, t.accountId, t.tokenHash, t.name, t.createdAtMs]);
  }

  async byHash(tokenHash: string): Promise<ApiTokenRecord | undefined> {
    const [r] = await this.db.query('SELECT id, account_id, name, created_at, revoked_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL', [tokenHash]);
    return r === undefined ? undefined : tokenRecord(r);
  }

  async list(accountId?: string): Promise<ApiTokenRecord[]> {
    const rows =
      accountId === undefined
        ? await this.db.query('SELECT id, account_id, name, created_at, revoked_at FROM api_tokens ORDER BY created_at, id', [])
        : await this.db.query('SELECT id, account_id, name, created_at, revoked_at FROM api_tokens WHERE account_id = $1 ORDER BY created_at, id', [accountId]);
    return rows.map(tokenRecord);
  }

  async revoke(id: string, atMs: number): Promise<boolean> {
    return (await this.db.execute('UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [atMs, id])) === 1;
  }
}

/** Browser sessions on PostgreSQL, so any worker answers a signed-in browser: only the token's SHA-256 is kept. */
export class PgSessions implements AsyncPort<SessionStore> {
  constructor(private readonly db: PgQueryable) {}

  async insert(s: SessionRecord): Promise<void> {
    await this.db.execute('INSERT INTO web_sessions (digest, account_id, csrf, created_at, last_used_at, via) VALUES ($1, $2, $3, $4, $5, $6)', [
      s.digest,
      s.accountId,
      s.csrf,
      s.createdAtMs,
      s.lastUsedAtMs,
      s.via,
    ]);
  }

  async get(digest: string): Promise<SessionRecord | undefined> {
    const [r] = await this.db.query('SELECT digest, account_id, csrf, created_at, last_used_at, via FROM web_sessions WHERE digest = $1', [digest]);
    if (r === undefined) return undefined;
    return { digest, accountId: String(r['account_id']), csrf: String(r['csrf']), createdAtMs: Number(r['created_at']), lastUsedAtMs: Number(r['last_used_at']), via: r['via'] as SessionRecord['via'] };
  }

  async touch(digest: string, atMs: number): Promise<void> {
    await this.db.execute('UPDATE web_sessions SET last_used_at = $1 WHERE digest = $2', [atMs, digest]);
  }

  async delete(digest: string): Promise<void> {
    await this.db.execute('DELETE FROM web_sessions WHERE digest = $1', [digest]);
  }

  async sweep(beforeMs: number): Promise<number> {
    return this.db.execute('DELETE FROM web_sessions WHERE last_used_at < $1', [beforeMs]);
  }
}
