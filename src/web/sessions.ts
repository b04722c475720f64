import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../domain/index.js';

export interface Session {
  readonly accountId: string;
  /** Sent with every change (header `x-csrf-token` or form field `_csrf`). */
  readonly csrf: string;
  readonly createdAtMs: number;
  lastUsedAtMs: number;
  /** How the account signed in. */
  readonly via: 'local' | 'oidc';
}

const digest = (token: string): string => createHash('sha256').update(token).digest('base64url');

/**
 * Browser sessions: a 256-bit random token in an HttpOnly cookie, kept here only as its SHA-256,
 * with its CSRF token; a session unused for `idleMs` is gone. Held in memory: a restart signs
 * everyone out, which is the safe direction.
 */
export class Sessions {
  private readonly byDigest = new Map<string, Session>();

  constructor(
    private readonly clock: Clock,
    private readonly idleMs: number,
  ) {}

  /** A new session; the token goes in the cookie and is not kept. */
  open(accountId: string, via: Session['via']): { token: string; session: Session } {
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const session: Session = { accountId, csrf: randomBytes(24).toString('base64url'), createdAtMs: now, lastUsedAtMs: now, via };
    this.byDigest.set(digest(token), session);
    this.sweep(now);
    return { token, session };
  }

  /** The live session for a cookie's token (its idle clock restarts), or undefined. */
  use(token: string | undefined): Session | undefined {
    if (token === undefined || token.length === 0) return undefined;
    const key = digest(token);
    const s = this.byDigest.get(key);
    if (s === undefined) return undefined;
    const now = this.clock.now();
    if (now - s.lastUsedAtMs > this.idleMs) {
      this.byDigest.delete(key);
      return undefined;
    }
    s.lastUsedAtMs = now;
    return s;
  }

  close(token: string | undefined): void {
    if (token !== undefined) this.byDigest.delete(digest(token));
  }

  /** Signs an account out everywhere (revoked). */
  closeAccount(accountId: string): void {
    for (const [k, s] of this.byDigest) if (s.accountId === accountId) this.byDigest.delete(k);
  }

  private sweep(now: number): void {
    for (const [k, s] of this.byDigest) if (now - s.lastUsedAtMs > this.idleMs) this.byDigest.delete(k);
  }
}

/** Constant-time comparison of a presented CSRF token with the session's. */
export function csrfMatches(session: Session, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
