import { generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';
import { describe, expect, it, vi } from 'vitest';
import { DeliveryError } from '../../src/outputs/outbox/index.js';
import { bearerAuth, ClientCredentialsAuth, FhirClient, retryAfterMs, type ClientCredentials, type FhirAuth } from '../../src/outputs/fhir/index.js';
import { useCleanups } from '../helpers/cleanup.js';
import { tempDir } from '../helpers/gateway.js';

const defer = useCleanups();

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** An HTTP server on 127.0.0.1, port 0; `answer` sees each request (and its index) and may leave it unanswered. */
async function serve(answer: (req: Received, res: ServerResponse, index: number) => void): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      answer(r, res, received.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  defer(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/fhir+json', ...headers });
  res.end(JSON.stringify(body));
};

/** What a call rejected with, so its fields can be checked. */
async function rejection(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

const BUNDLE: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }] };
const RESPONSE: Bundle = { resourceType: 'Bundle', type: 'transaction-response', entry: [{ response: { status: '201 Created', location: 'Patient/p1/_history/1' } }] };
const OUTCOME = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', diagnostics: 'Observation.status: unknown code done' }] };

describe('retryAfterMs', () => {
  it('reads a delay in seconds', () => {
    expect(retryAfterMs('7')).toBe(7_000);
    expect(retryAfterMs('0')).toBe(0);
    expect(retryAfterMs(' 120 ')).toBe(120_000);
  });

  it('reads an HTTP date relative to now, and a past date as no wait', () => {
    const now = Date.parse('Sat, 14 Mar 2026 08:30:00 GMT');
    expect(retryAfterMs('Sat, 14 Mar 2026 08:30:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Sat, 14 Mar 2026 08:29:00 GMT', now)).toBe(0);
  });

  it('ignores a missing, empty or unreadable header', () => {
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('')).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});

describe('FhirClient', () => {
  const client = (baseUrl: string, options: { timeoutMs?: number; auth?: FhirAuth } = {}) =>
    new FhirClient({ baseUrl, timeoutMs: options.timeoutMs ?? 5_000, auth: options.auth ?? bearerAuth('tok-1') });

  it('posts the transaction as FHIR JSON to the base URL and returns the response Bundle', async () => {
    const server = await serve((_req, res) => json(res, 200, RESPONSE));
    await expect(client(`${server.url}/fhir/`).transaction(BUNDLE)).resolves.toEqual(RESPONSE);
    const [req] = server.received;
    expect(req).toMatchObject({ method: 'POST', url: '/fhir' });
    expect(req?.headers).toMatchObject({ 'content-type': 'application/fhir+json', accept: 'application/fhir+json', authorization: 'Bearer tok-1' });
    expect(JSON.parse(req?.body ?? '')).toEqual(BUNDLE);
  });

  it('refuses permanently on 400, with the OperationOutcome in the message', async () => {
    const server = await serve((_req, res) => json(res, 400, OUTCOME));
    const error = await rejection(client(server.url).transaction(BUNDLE));
    expect(error.retry).toBe('permanent');
    expect(error.message).toContain('400');
    expect(error.message).toContain('Observation.status: unknown code done');
  });

  it('is transient on 503, honouring Retry-After', async () => {
    const server = await serve((_req, res) => json(res, 503, OUTCOME, { 'retry-after': '7' }));
    const error = await rejection(client(server.url).transaction(BUNDLE));
    expect(error).toMatchObject({ retry: 'transient', retryAfterMs: 7_000 });
  });

  it.each([408, 429, 500, 502])('is transient on %d', async (status) => {
    const server = await serve((_req, res) => json(res, status, OUTCOME));
    expect((await rejection(client(server.url).transaction(BUNDLE))).retry).toBe('transient');
  });

  it.each([409, 422, 400])('is permanent on %d: the entry itself is refused', async (status) => {
    const server = await serve((_req, res) => json(res, status, OUTCOME));
    expect((await rejection(client(server.url).transaction(BUNDLE))).retry).toBe('permanent');
  });

  it.each([403, 404])('pauses the output on %d: a proxy refusing, a wrong base URL (configuration, not the entry)', async (status) => {
    const server = await serve((_req, res) => json(res, status, OUTCOME));
    expect((await rejection(client(server.url).transaction(BUNDLE))).retry).toBe('configuration');
  });

  it('is ambiguous when the server cannot be reached', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await rejection(client(`http://127.0.0.1:${port}`).transaction(BUNDLE));
    expect(error.retry).toBe('ambiguous');
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('is ambiguous when the server does not answer in time (it may have applied the transaction)', async () => {
    const server = await serve(() => {}); // never answers
    const error = await rejection(client(server.url, { timeoutMs: 200 }).transaction(BUNDLE));
    expect(error.retry).toBe('ambiguous');
    expect(server.received).toHaveLength(1);
  });

  it('does not pass off a 2xx answer without a JSON body as a Bundle', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>proxy sign-in</html>');
    });
    const error = await rejection(client(server.url).transaction(BUNDLE));
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error.retry).toBe('ambiguous');
    expect(server.received).toHaveLength(1);
    const empty = await serve((_req, res) => res.writeHead(204).end());
    expect((await rejection(client(empty.url).transaction(BUNDLE))).retry).toBe('ambiguous');
  });

  it('on 401 forgets the token and tries once more with a new one', async () => {
    const server = await serve((_req, res, i) => (i === 0 ? json(res, 401, OUTCOME) : json(res, 200, RESPONSE)));
    let token = 'expired';
    const invalidate = vi.fn(() => {
      token = 'fresh';
    });
    await expect(client(server.url, { auth: { header: async () => `Bearer ${token}`, invalidate } }).transaction(BUNDLE)).resolves.toEqual(RESPONSE);
    expect(invalidate).toHaveBeenCalledOnce();
    expect(server.received.map((r) => r.headers.authorization)).toEqual(['Bearer expired', 'Bearer fresh']);
  });

  it('pauses the output when the new token is refused too (wrong credentials: configuration)', async () => {
    const server = await serve((_req, res) => json(res, 401, OUTCOME));
    const invalidate = vi.fn();
    const error = await rejection(client(server.url, { auth: { header: async () => 'Bearer nope', invalidate } }).transaction(BUNDLE));
    expect(error.retry).toBe('configuration');
    expect(invalidate).toHaveBeenCalledOnce();
    expect(server.received).toHaveLength(2);
  });
});

describe('ClientCredentialsAuth', () => {
  const NOW = Date.UTC(2026, 2, 14, 8, 30);

  /** A token endpoint answering `tok-1`, `tok-2`, … valid for `expiresInS`. */
  async function tokenEndpoint(expiresInS = 300) {
    const server = await serve((_req, res, i) => json(res, 200, { access_token: `tok-${i + 1}`, token_type: 'bearer', expires_in: expiresInS }));
    const tokenUrl = `${server.url}/oauth2/token`;
    const forms = () => server.received.map((r) => new URLSearchParams(r.body));
    return { tokenUrl, received: server.received, forms };
  }

  const credentials = (tokenUrl: string, over: Partial<ClientCredentials> = {}): ClientCredentials => ({
    tokenUrl,
    clientId: 'vitals-gateway',
    clientSecret: 's3cret',
    scope: 'system/Observation.write system/Patient.write',
    timeoutMs: 2_000,
    ...over,
  });

  it('asks for a client-credentials token with the secret in HTTP Basic', async () => {
    const endpoint = await tokenEndpoint();
    const auth = new ClientCredentialsAuth(credentials(endpoint.tokenUrl), () => NOW);
    await expect(auth.header()).resolves.toBe('Bearer tok-1');
    const [req] = endpoint.received;
    expect(req).toMatchObject({ method: 'POST', url: '/oauth2/token' });
    expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req?.headers.authorization).toBe(`Basic ${Buffer.from('vitals-gateway:s3cret').toString('base64')}`);
    expect(Object.fromEntries(endpoint.forms()[0] ?? [])).toEqual({ grant_type: 'client_credentials', scope: 'system/Observation.write system/Patient.write' });
  });

  it('form-encodes the client id and secret inside HTTP Basic [RFC 6749 §2.3.1]', async () => {
    const endpoint = await tokenEndpoint();
    await new ClientCredentialsAuth(credentials(endpoint.tokenUrl, { clientId: 'gw:ward 7', clientSecret: 'p@ss:w/rd+é' }), () => NOW).header();
    const basic = Buffer.from((endpoint.received[0]?.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8');
    const [id, secret] = basic.split(':').map((part) => decodeURIComponent(part.replace(/\+/g, ' ')));
    expect([id, secret]).toEqual(['gw:ward 7', 'p@ss:w/rd+é']);
  });

  it('reuses the token until shortly before it expires', async () => {
    const endpoint = await tokenEndpoint(300);
    let now = NOW;
    const auth = new ClientCredentialsAuth(credentials(endpoint.tokenUrl), () => now);
    await auth.header();
    now = NOW + 269_999; // renewed a tenth of the lifetime early (at most a minute)
    await expect(auth.header()).resolves.toBe('Bearer tok-1');
    now = NOW + 270_000;
    await expect(auth.header()).resolves.toBe('Bearer tok-2');
    expect(endpoint.received).toHaveLength(2);
  });

  it('renews a long-lived token one minute early', async () => {
    const endpoint = await tokenEndpoint(3_600);
    let now = NOW;
    const auth = new ClientCredentialsAuth(credentials(endpoint.tokenUrl), () => now);
    await auth.header();
    now = NOW + 3_539_999;
    await expect(auth.header()).resolves.toBe('Bearer tok-1');
    now = NOW + 3_540_000;
    await expect(auth.header()).resolves.toBe('Bearer tok-2');
  });

  it('fetches a new token after invalidate()', async () => {
    const endpoint = await tokenEndpoint();
    const auth = new ClientCredentialsAuth(credentials(endpoint.tokenUrl), () => NOW);
    await auth.header();
    auth.invalidate();
    await expect(auth.header()).resolves.toBe('Bearer tok-2');
    expect(endpoint.received).toHaveLength(2);
  });

  it('shares one fetch between concurrent callers', async () => {
    const endpoint = await tokenEndpoint();
    const auth = new ClientCredentialsAuth(credentials(endpoint.tokenUrl), () => NOW);
    await expect(Promise.all([auth.header(), auth.header(), auth.header()])).resolves.toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-1']);
    expect(endpoint.received).toHaveLength(1);
  });

  it('fails transiently when the endpoint refuses, answers without a token, or cannot be reached', async () => {
    const refusing = await serve((_req, res, i) => (i === 0 ? json(res, 401, { error: 'invalid_client' }) : json(res, 200, { token_type: 'bearer' })));
    const auth = new ClientCredentialsAuth(credentials(`${refusing.url}/token`), () => NOW);
    const refused = await rejection(auth.header());
    expect(refused.retry).toBe('transient');
    expect(refused.message).toContain('invalid_client');
    expect((await rejection(auth.header())).retry).toBe('transient');

    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const { port } = gone.address() as AddressInfo;
    await new Promise<void>((resolve) => gone.close(() => resolve()));
    expect((await rejection(new ClientCredentialsAuth(credentials(`http://127.0.0.1:${port}/token`), () => NOW).header())).retry).toBe('transient');
  });

  describe('with a private key (SMART Backend Services, private_key_jwt)', () => {
    function keyFile(key: KeyObject): string {
      const tmp = tempDir('vg-fhir-key-');
      defer(tmp.remove);
      const file = join(tmp.dir, 'client.pem');
      writeFileSync(file, key.export({ type: 'pkcs8', format: 'pem' }));
      return file;
    }

    /** Fetches a token with the key and returns the form and the decoded assertion. */
    async function assertionWith(privateKey: KeyObject) {
      const endpoint = await tokenEndpoint();
      const auth = new ClientCredentialsAuth(credentials(endpoint.tokenUrl, { clientSecret: undefined, privateKeyFile: keyFile(privateKey), keyId: 'gw-key-1' }), () => NOW);
      await expect(auth.header()).resolves.toBe('Bearer tok-1');
      const form = endpoint.forms()[0] as URLSearchParams;
      const jwt = form.get('client_assertion') ?? '';
      const [header = '', claims = '', signature = ''] = jwt.split('.');
      const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
      auth.invalidate();
      await auth.header();
      const second = endpoint.forms()[1]?.get('client_assertion') ?? '';
      return {
        endpoint,
        form,
        header: decode(header),
        claims: decode(claims),
        signed: Buffer.from(`${header}.${claims}`),
        signature: Buffer.from(signature, 'base64url'),
        secondClaims: decode(second.split('.')[1] ?? ''),
      };
    }

    it('signs an RS384 assertion instead of sending a secret', async () => {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const a = await assertionWith(privateKey);
      expect(a.endpoint.received[0]?.headers.authorization).toBeUndefined();
      expect(a.form.get('grant_type')).toBe('client_credentials');
      expect(a.form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      expect(a.header).toEqual({ alg: 'RS384', typ: 'JWT', kid: 'gw-key-1' });
      expect(verify('sha384', a.signed, publicKey, a.signature)).toBe(true);
    });

    it('signs an ES384 assertion with a P-384 key (JWS signature: raw r‖s)', async () => {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
      const a = await assertionWith(privateKey);
      expect(a.header).toMatchObject({ alg: 'ES384' });
      expect(a.signature).toHaveLength(96);
      expect(verify('sha384', a.signed, { key: publicKey, dsaEncoding: 'ieee-p1363' }, a.signature)).toBe(true);
    });

    it('refuses an EC key not on P-384 (ES384) when it is loaded, not at the first token', () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const dir = tempDir();
      defer(dir.remove);
      const file = join(dir.dir, 'p256.pem');
      writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
      expect(() => new ClientCredentialsAuth({ tokenUrl: 'http://127.0.0.1:1/token', clientId: 'c', privateKeyFile: file, scope: 's', timeoutMs: 100 })).toThrow(/P-384/);
    });

    it('claims iss = sub = client id, aud = token URL, expiry within five minutes and a fresh jti', async () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
      const a = await assertionWith(privateKey);
      const nowS = Math.floor(NOW / 1000);
      expect(a.claims).toMatchObject({ iss: 'vitals-gateway', sub: 'vitals-gateway', aud: a.endpoint.tokenUrl });
      expect(a.claims['exp']).toBeGreaterThan(nowS);
      expect(a.claims['exp']).toBeLessThanOrEqual(nowS + 300);
      expect(a.claims['jti']).toEqual(expect.any(String));
      expect(a.claims['jti']).not.toBe('');
      expect(a.secondClaims['jti']).not.toBe(a.claims['jti']);
    });
  });
});
