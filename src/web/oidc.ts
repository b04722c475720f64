import * as client from 'openid-client';
import { err, ok, type Clock, type Result } from '../domain/index.js';

/** The `web.oidc` settings. */
export interface OidcOptions {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  readonly accountClaim: string;
  /** Scopes asked for (`openid` at least). */
  readonly scope: string;
  readonly label: string;
}

/** Why a single sign-on did not sign anyone in (kebab-case codes, one message each in the routes). */
export const SignOnFailure = {
  /** Discovery or the token endpoint could not be reached. */
  Unavailable: 'provider-unavailable',
  /** No pending sign-in for this `state` in this browser: unknown, expired, or already used. */
  StateInvalid: 'state-invalid',
  /** The provider answered with an error, or its answer or ID token did not validate. */
  Refused: 'provider-refused',
  /** The ID token has no usable account claim. */
  ClaimMissing: 'claim-missing',
  /** The claim names no active account here. */
  AccountUnknown: 'account-unknown',
} as const;
export type SignOnFailure = (typeof SignOnFailure)[keyof typeof SignOnFailure];

/** A failure, with what may be logged about it: the library's error code and the OAuth error, never tokens or codes. */
export interface SignOnRefusal {
  readonly reason: SignOnFailure;
  readonly code?: string | undefined;
}

/** Sign-in through an external identity provider, in two steps around the browser's visit there. */
export interface SingleSignOn {
  /** Where to send the browser, and the `state` to bind to it (in a cookie). */
  begin(): Promise<Result<{ readonly url: string; readonly state: string }, SignOnRefusal>>;
  /**
   * The provider's answer (the callback's query string) checked against the pending sign-in named
   * by its `state`, which must also be the one this browser holds: the account claim's value.
   */
  complete(query: string, browserState: string | undefined): Promise<Result<string, SignOnRefusal>>;
}

interface Pending {
  readonly verifier: string;
  readonly nonce: string;
  readonly atMs: number;
}

/** A sign-in not finished in this long must start again. */
export const PENDING_TTL_MS = 10 * 60_000;
/** Unauthenticated callers can start sign-ins: beyond this many pending, the oldest is dropped. */
const MAX_PENDING = 10_000;
const DISCOVERY_TIMEOUT_S = 10;

/**
 * OpenID Connect authorization code flow with PKCE, `state` and `nonce` [OIDC Core 3.1; RFC 7636;
 * RFC 9700 2.1], through openid-client (which validates the ID token: signature, issuer, audience,
 * expiry, nonce). The only file that imports openid-client.
 *
 * Pending sign-ins (PKCE verifier, nonce) are kept here, in memory, keyed by `state`, for
 * `PENDING_TTL_MS` by the injected clock, and used at most once: no secret leaves the server, and a
 * replayed callback finds nothing. The browser also holds the `state` in a short-lived cookie the
 * routes set, and the callback must present both: a `state` alone (in a link an attacker sends after
 * signing in as themselves) signs no one in [RFC 6749 10.12]. A restart forgets pending sign-ins,
 * like sessions; the user clicks again.
 *
 * Discovery happens on first use, not at start: an unreachable provider leaves local sign-in working,
 * and is tried again on the next click.
 */
export class OidcSignOn implements SingleSignOn {
  private readonly pending = new Map<string, Pending>();
  private discovered: Promise<client.Configuration> | undefined;

  constructor(
    private readonly options: OidcOptions,
    private readonly clock: Clock,
  ) {}

  async begin(): Promise<Result<{ url: string; state: string }, SignOnRefusal>> {
    const config = await this.configuration();
    if (!config.ok) return config;
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const now = this.clock.now();
    this.sweep(now);
    this.pending.set(state, { verifier, nonce, atMs: now });
    const url = client.buildAuthorizationUrl(config.value, {
      redirect_uri: this.options.redirectUri,
      scope: this.options.scope,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return ok({ url: url.href, state });
  }

  async complete(query: string, browserState: string | undefined): Promise<Result<string, SignOnRefusal>> {
    const callback = new URL(this.options.redirectUri);
    callback.search = query;
    const state = callback.searchParams.get('state') ?? '';
    const pending = this.pending.get(state);
    this.pending.delete(state);
    if (pending === undefined || browserState !== state || this.clock.now() - pending.atMs > PENDING_TTL_MS) return err({ reason: SignOnFailure.StateInvalid });
    const config = await this.configuration();
    if (!config.ok) return config;
    let claims: client.IDToken | undefined;
    try {
      const tokens = await client.authorizationCodeGrant(config.value, callback, { pkceCodeVerifier: pending.verifier, expectedState: state, expectedNonce: pending.nonce, idTokenExpected: true });
      claims = tokens.claims();
    } catch (cause) {
      return err({ reason: unreachable(cause) ? SignOnFailure.Unavailable : SignOnFailure.Refused, code: codeOf(cause) });
    }
    const value = claims?.[this.options.accountClaim];
    if (typeof value !== 'string' || value.length === 0) return err({ reason: SignOnFailure.ClaimMissing });
    return ok(value);
  }

  /** The provider's metadata, discovered once; a failure is not kept, so the next sign-in tries again. */
  private async configuration(): Promise<Result<client.Configuration, SignOnRefusal>> {
    this.discovered ??= this.discover();
    try {
      return ok(await this.discovered);
    } catch (cause) {
      this.discovered = undefined;
      return err({ reason: SignOnFailure.Unavailable, code: codeOf(cause) });
    }
  }

  private async discover(): Promise<client.Configuration> {
    const issuer = new URL(this.options.issuer);
    const { clientId, clientSecret } = this.options;
    // Plain HTTP only to a provider on this machine (a development one); anywhere else discovery
    // refuses it [RFC 6749 3.1: TLS on the authorization and token endpoints].
    const loopback = issuer.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname);
    const execute = loopback ? [client.allowInsecureRequests] : [];
    const found = await client.discovery(issuer, clientId, clientSecret, client.ClientSecretBasic(clientSecret), { execute, timeout: DISCOVERY_TIMEOUT_S });
    // client_secret_basic is what servers must support and the registration default [RFC 6749
    // 2.3.1; OIDC Registration 2]; a provider that lists only client_secret_post gets that.
    const methods = found.serverMetadata().token_endpoint_auth_methods_supported;
    if (methods === undefined || methods.includes('client_secret_basic') || !methods.includes('client_secret_post')) return found;
    const post = new client.Configuration(found.serverMetadata(), clientId, clientSecret, client.ClientSecretPost(clientSecret));
    if (loopback) client.allowInsecureRequests(post);
    return post;
  }

  private sweep(now: number): void {
    for (const [state, p] of this.pending) if (now - p.atMs > PENDING_TTL_MS) this.pending.delete(state);
    // Map order is insertion order: the first key is the oldest.
    while (this.pending.size >= MAX_PENDING) {
      const oldest = this.pending.keys().next();
      if (oldest.done === true) break;
      this.pending.delete(oldest.value);
    }
  }
}

/**
 * The provider's OAuth `error` (`access_denied`, `invalid_grant`) or the library's error code
 * (`OAUTH_…`): safe to log. The `error` of a callback comes from its query string, so only a short
 * code-shaped one is kept.
 */
function codeOf(cause: unknown): string | undefined {
  if (typeof cause !== 'object' || cause === null) return undefined;
  const { error, code } = cause as { error?: unknown; code?: unknown };
  const found = typeof error === 'string' ? error : code;
  return typeof found === 'string' && /^[\w.-]{1,64}$/.test(found) ? found : undefined;
}

/** A network failure or timeout (fetch's TypeError, an abort) rather than an answer. */
function unreachable(cause: unknown): boolean {
  return cause instanceof TypeError || (cause instanceof Error && (cause.name === 'AbortError' || cause.name === 'TimeoutError'));
}
