import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from './auth.js';
import type { WebState } from './context.js';
import { html, type Html } from './html.js';
import { PENDING_TTL_MS, SignOnFailure, type SignOnRefusal, type SingleSignOn } from './oidc.js';
import { layout } from './pages/layout.js';
import { signInPage } from './pages/sign-in.js';

/** The browser's half of a pending sign-in: its `state`, sent back only to the callback. */
export const PENDING_COOKIE = 'vg_oidc';
const PENDING_PATH = '/auth/oidc';

const MESSAGES: Record<SignOnFailure, string> = {
  [SignOnFailure.Unavailable]: 'Single sign-on is not available at the moment: try again, or sign in with your account ID and password',
  [SignOnFailure.StateInvalid]: 'That single sign-on has expired or was already used: start again',
  [SignOnFailure.Refused]: 'Single sign-on did not complete: start again',
  [SignOnFailure.ClaimMissing]: 'Single sign-on did not say which account you are: ask an administrator',
  [SignOnFailure.AccountUnknown]: 'Your single sign-on account has no access to this service: ask an administrator',
};

const page = (reply: FastifyReply, body: Html): FastifyReply => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body.value);

/**
 * Single sign-on: `/auth/oidc` sends the browser to the provider, `/auth/oidc/callback` takes it
 * back, signs in the active account the ID token's claim names, and audits every attempt.
 */
export function oidcRoutes(app: FastifyInstance, state: WebState, oidc: SingleSignOn, label: string): void {
  const { care, accounts, log } = state.deps;

  const refuse = async (req: FastifyRequest, reply: FastifyReply, refusal: SignOnRefusal, actor?: string): Promise<FastifyReply> => {
    await care.audit({ accountId: actor ?? '(none)', name: actor ?? '', role: 'clinician', address: req.ip }, 'sign-in', undefined, 'oidc', 'refused');
    log.warn({ address: req.ip, reason: refusal.reason, code: refusal.code }, 'web single sign-on refused');
    return page(reply.code(401), signInPage({ error: MESSAGES[refusal.reason], oidcLabel: label }));
  };

  app.get('/auth/oidc', async (req, reply) => {
    const started = await oidc.begin();
    if (!started.ok) return refuse(req, reply, started.error);
    // SameSite=Lax, not Strict: the provider's redirect back is a cross-site navigation, on which
    // browsers send Lax cookies but not Strict ones [RFC 6265bis 5.4.7].
    reply.setCookie(PENDING_COOKIE, started.value.state, { path: PENDING_PATH, httpOnly: true, sameSite: 'lax', secure: state.secureCookies, maxAge: PENDING_TTL_MS / 1000 });
    return reply.header('cache-control', 'no-store').redirect(started.value.url, 303);
  });

  app.get('/auth/oidc/callback', async (req, reply) => {
    const query = req.url.split('?')[1] ?? '';
    reply.clearCookie(PENDING_COOKIE, { path: PENDING_PATH });
    const done = await oidc.complete(query, req.cookies[PENDING_COOKIE]);
    if (!done.ok) return refuse(req, reply, done.error);
    const record = await accounts.get(done.value);
    if (record === undefined || record.status !== 'active') return refuse(req, reply, { reason: SignOnFailure.AccountUnknown }, done.value.slice(0, 64));
    const { token } = await state.sessions.open(record.id, 'oidc');
    await care.audit({ accountId: record.id, name: record.name, role: record.role, address: req.ip }, 'sign-in', undefined, 'oidc');
    reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'strict', secure: state.secureCookies });
    // A page that moves on by itself, not a redirect: this navigation began at the provider, and
    // Chromium keeps a redirect chain that began cross-site cross-site, so a 303 would arrive
    // without the Strict session cookie and land on the sign-in page. The Refresh header is a
    // navigation this page starts, on which the cookie is sent [HTML 7.11.1 "shared declarative refresh steps"].
    const to = record.role === 'clinician' ? '/' : '/operations';
    return page(reply.header('refresh', `0;url=${to}`), layout({ title: 'Signed in', viewer: undefined, body: html`<h1>Signed in</h1><p><a href="${to}">Continue</a></p>` }));
  });
}
