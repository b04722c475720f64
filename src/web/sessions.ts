import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../domain/index.js';
import type { EitherPort } from '../store/async-port.js';
import type { SessionRecord, SessionStore } from '../store/care-views.js';

export interface Session {
  readonly accountId: string;
  /** Sent with every change (header `x-csrf-token` or form field `_csrf`). */
  readonly csrf: string;
  readonly createdAtMs: number;
  readonly lastUsedAtMs: number;
  /** How the account signed in. */
  readonly via: 'local' | 'oidc';
}

const digest = (token: string): string => createHash('sha256').update(token).digest('base64url');

/**
 * A session's last use is written at most this often: each request would otherwise be a write to a
 * shared database. The idle limit is minutes long, so a session may outlive it by this much at most.
 */
const TOUCH_EVERY_MS = 30_000;

/**
 * Browser sessions: a 256-bit random token in an HttpOnly cookie, kept only as its SHA-256, with its
 * CSRF token; a session unused for `idleMs` is gone. Kept in memory by a single gateway (a restart
 * signs everyone out, which is the safe direction), in the database by workers sharing one, so a
 * browser may be answered by any of them.
 */
export class Sessions {
  private lastSweepMs = 0;

  constructor(
    private readonly store: EitherPort<SessionStore>,
    private readonly clock: Clock,
    private readonly idleMs: number,
  ) {}

  /** A new session; the token goes in the cookie and is not kept. */
  async open(accountId: string, via: Session['via']): Promise<{ token: string; session: Session }> {
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const session: Session = { accountId, csrf: randomBytes(24).toString('base64url'), createdAtMs: now, lastUsedAtMs: now, via };
    await this.store.insert({ digest: digest(token), ...session });
    if (now - this.lastSweepMs >= TOUCH_EVERY_MS) {
      this.lastSweepMs = now;
      await this.store.sweep(now - this.idleMs);
    }
    return { token, session };
  }

  /** The live session for a cookie's token (its idle clock restarts), or undefined. */
  async use(token: string | undefined): Promise<Session | undefined> {
    if (token === undefined || token.length === 0) return undefined;
    const key = digest(token);
    const s = await this.store.get(key);
    if (s === undefined) return undefined;
    const now = this.clock.now();
    if (now - s.lastUsedAtMs > this.idleMs) {
      await this.store.delete(key);
      return undefined;
    }
    if (now - s.lastUsedAtMs >= TOUCH_EVERY_MS || now < s.lastUsedAtMs) await this.store.touch(key, now);
    return { accountId: s.accountId, csrf: s.csrf, createdAtMs: s.createdAtMs, lastUsedAtMs: now, via: s.via };
  }

  async close(token: string | undefined): Promise<void> {
    if (token !== undefined) await this.store.delete(digest(token));
  }
}

/** Sessions held by one gateway process. */
export class MemorySessionStore implements SessionStore {
  private readonly byDigest = new Map<string, SessionRecord>();

  insert(s: SessionRecord): void {
    this.byDigest.set(s.digest, s);
  }

  get(digest: string): SessionRecord | undefined {
    return this.byDigest.get(digest);
  }

  touch(digest: string, atMs: number): void {
    const s = this.byDigest.get(digest);
    if (s !== undefined) this.byDigest.set(digest, { ...s, lastUsedAtMs: atMs });
  }

  delete(digest: string): void {
    this.byDigest.delete(digest);
  }

  sweep(beforeMs: number): number {
    let n = 0;
    for (const [k, s] of this.byDigest) {
      if (s.lastUsedAtMs < beforeMs) {
        this.byDigest.delete(k);
        n++;
      }
    }
    return n;
  }
}

/** Constant-time comparison of a presented CSRF token with the session's. */
export function csrfMatches(session: Session, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
