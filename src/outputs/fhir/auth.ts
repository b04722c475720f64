import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { RetryClass } from '../../domain/index.js';
import { DeliveryError } from '../outbox/index.js';
import type { FhirAuth } from './client.js';

/** No credentials: the server is open (tests) or protected at the network edge. */
export const noAuth: FhirAuth = { header: async () => undefined, invalidate: () => {} };

/** A fixed bearer token. */
export const bearerAuth = (token: string): FhirAuth => ({ header: async () => `Bearer ${token}`, invalidate: () => {} });

export interface ClientCredentials {
  readonly tokenUrl: string;
  readonly clientId: string;
  /** `client_secret_basic` authentication… */
  readonly clientSecret?: string | undefined;
  /** …or, as SMART Backend Services asks, a signed JWT assertion (`private_key_jwt`, RS384 or ES384). */
  readonly privateKeyFile?: string | undefined;
  readonly keyId?: string | undefined;
  readonly scope: string;
  readonly timeoutMs: number;
}

/**
 * OAuth 2.0 client credentials [RFC 6749 §4.4], in the SMART Backend Services style
 * [SMART App Launch 2.0, Backend Services]: a token is fetched when needed and reused until shortly
 * before it expires. With a private key the client authenticates with a short-lived JWT assertion
 * [RFC 7523 §2.2] instead of a shared secret.
 */
export class ClientCredentialsAuth implements FhirAuth {
  private token: { value: string; expiresAtMs: number } | undefined;
  private fetching: Promise<string> | undefined;
  private readonly key: KeyObject | undefined;

  constructor(
    private readonly options: ClientCredentials,
    private readonly now: () => number = Date.now,
  ) {
    this.key = options.privateKeyFile === undefined ? undefined : createPrivateKey(readFileSync(options.privateKeyFile));
    // [SMART Backend Services] RS384 or ES384: an EC key must be on P-384.
    const curve = this.key?.asymmetricKeyDetails?.namedCurve;
    if (this.key?.asymmetricKeyType === 'ec' && curve !== 'secp384r1') throw new RangeError(`an EC private key for ES384 must be P-384 (secp384r1), not ${String(curve)}`);
    if (this.key !== undefined && !['rsa', 'ec'].includes(this.key.asymmetricKeyType ?? '')) throw new RangeError('the private key must be RSA (RS384) or EC P-384 (ES384)');
  }

  async header(): Promise<string> {
    if (this.token !== undefined && this.now() < this.token.expiresAtMs) return `Bearer ${this.token.value}`;
    this.fetching ??= this.fetchToken().finally(() => {
      this.fetching = undefined;
    });
    return `Bearer ${await this.fetching}`;
  }

  invalidate(): void {
    this.token = undefined;
  }

  private async fetchToken(): Promise<string> {
    const { tokenUrl, clientId, clientSecret, scope } = this.options;
    const form = new URLSearchParams({ grant_type: 'client_credentials', scope });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (this.key !== undefined) {
      form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      form.set('client_assertion', this.assertion());
    } else if (clientSecret !== undefined) {
      headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
    } else form.set('client_id', clientId);
    let res: Response;
    try {
      res = await fetch(tokenUrl, { method: 'POST', headers, body: form.toString(), signal: AbortSignal.timeout(this.options.timeoutMs) });
    } catch (error) {
      throw new DeliveryError(`token endpoint unreachable: ${error instanceof Error ? error.message : String(error)}`, RetryClass.Transient, undefined);
    }
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string };
    if (!res.ok || typeof body.access_token !== 'string') {
      // A refused client is an operator's problem, not the entries': keep them and retry later.
      throw new DeliveryError(`token endpoint answered ${res.status}${body.error !== undefined ? ` (${body.error})` : ''}`, RetryClass.Transient, undefined);
    }
    const lifetimeMs = (body.expires_in ?? 300) * 1000;
    // Renew a little early so a token does not expire in flight.
    this.token = { value: body.access_token, expiresAtMs: this.now() + Math.max(0, lifetimeMs - Math.min(60_000, lifetimeMs / 10)) };
    return body.access_token;
  }

  /** [SMART Backend Services: authentication JWT] iss = sub = client id, aud = token URL, exp ≤ 5 minutes, unique jti. */
  private assertion(): string {
    const key = this.key as KeyObject;
    const ec = key.asymmetricKeyType === 'ec';
    const header = { alg: ec ? 'ES384' : 'RS384', typ: 'JWT', ...(this.options.keyId !== undefined ? { kid: this.options.keyId } : {}) };
    const nowS = Math.floor(this.now() / 1000);
    const claims = { iss: this.options.clientId, sub: this.options.clientId, aud: this.options.tokenUrl, exp: nowS + 300, jti: randomUUID() };
    const input = `${b64url(header)}.${b64url(claims)}`;
    const signature = sign('sha384', Buffer.from(input), ec ? { key, dsaEncoding: 'ieee-p1363' } : key);
    return `${input}.${signature.toString('base64url')}`;
  }
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
