import type { Caller } from '../care/service.js';
import type { Authenticated, WebState } from './context.js';
import { csrfMatches } from './sessions.js';

export const SESSION_COOKIE = 'vg_session';

/** The request facts authentication needs (kept free of the HTTP framework). */
export interface RequestFacts {
  readonly method: string;
  readonly authorization: string | undefined;
  readonly sessionToken: string | undefined;
  readonly csrfHeader: string | undefined;
  readonly csrfField: unknown;
  readonly origin: string | undefined;
  readonly host: string | undefined;
  readonly address: string | undefined;
}

export type AuthOutcome = { ok: true; auth: Authenticated } | { ok: false; reason: 'not-signed-in' | 'csrf' };

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Who is calling: a bearer token (API clients; no cookie, so no CSRF), or a session cookie — and
 * then every change must carry the session's CSRF token, and come from this origin when the
 * browser says where it came from.
 */
export async function authenticate(state: WebState, r: RequestFacts): Promise<AuthOutcome> {
  const bearer = /^Bearer (\S+)$/i.exec(r.authorization ?? '')?.[1];
  if (bearer !== undefined) {
    const account = await state.deps.accounts.authenticateToken(bearer, state.deps.store.tokens);
    if (account === undefined) return { ok: false, reason: 'not-signed-in' };
    return { ok: true, auth: { caller: { accountId: account.id, name: account.name, role: account.role, address: r.address }, session: undefined } };
  }
  const session = await state.sessions.use(r.sessionToken);
  if (session === undefined) return { ok: false, reason: 'not-signed-in' };
  const account = await state.deps.accounts.get(session.accountId);
  if (account === undefined || account.status !== 'active') return { ok: false, reason: 'not-signed-in' };
  if (!SAFE.has(r.method)) {
    if (r.origin !== undefined && r.host !== undefined && hostOf(r.origin) !== r.host) return { ok: false, reason: 'csrf' };
    if (!csrfMatches(session, r.csrfHeader ?? r.csrfField)) return { ok: false, reason: 'csrf' };
  }
  const caller: Caller = { accountId: account.id, name: account.name, role: account.role, address: r.address };
  return { ok: true, auth: { caller, session } };
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}
