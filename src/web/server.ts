import compress from '@fastify/compress';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GatewayError } from '../domain/index.js';
import { apiRoutes } from './api.js';
import { authenticate, SESSION_COOKIE } from './auth.js';
import type { Authenticated, WebDeps, WebState } from './context.js';
import { OidcSignOn, type OidcOptions } from './oidc.js';
import { oidcRoutes } from './oidc-routes.js';
import { pageRoutes } from './page-routes.js';
import { problemPage } from './pages/sign-in.js';
import { Problem, problem } from './problems.js';
import { Sessions } from './sessions.js';
import { listenOn } from '../http/listen.js';

export interface WebOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly certFile: string; readonly keyFile: string } | undefined;
  readonly sessionIdleMinutes: number;
  /** Single sign-on; without it, local sign-in only. */
  readonly oidc?: OidcOptions | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set for every route that needs a signed-in caller. */
    auth: Authenticated | undefined;
  }
}

const require = createRequire(import.meta.url);
const ASSETS = join(dirname(fileURLToPath(import.meta.url)), 'assets');
const PUBLIC = [/^\/assets\//, /^\/auth\//, /^\/api\/v1\/openapi\.json$/, /^\/api\/v1\/docs$/, /^\/favicon\.ico$/];

/**
 * Content Security Policy: scripts, styles and connections from this origin only (no inline
 * script); fonts also from assets.nhs.uk, where the NHS.UK frontend's Frutiger is served.
 */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' https://assets.nhs.uk; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * The web app and its JSON API on one listener: the only file that assembles fastify and its
 * plugins. Browser pages under `/`, the API under `/api/v1` (OpenAPI at `/api/v1/openapi.json`),
 * static assets under `/assets`. Every route but sign-in and assets needs a caller.
 */
export class WebServer {
  private app: FastifyInstance | undefined;
  readonly sessions: Sessions;

  constructor(
    private readonly options: WebOptions,
    private readonly deps: WebDeps,
  ) {
    this.sessions = new Sessions(deps.sessions, deps.clock, options.sessionIdleMinutes * 60_000);
  }

  async start(): Promise<number> {
    const tls = this.options.tls;
    let https: { cert: Buffer; key: Buffer } | null = null;
    if (tls !== undefined) {
      try {
        https = { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) };
      } catch (cause) {
        throw new GatewayError('GW_TLS_FILES_UNREADABLE', `web.tls: cannot read TLS files: ${(cause as Error).message}`, { cause });
      }
    }
    const base = (https === null ? Fastify({ logger: false, bodyLimit: 64 * 1024 }) : Fastify({ logger: false, bodyLimit: 64 * 1024, https })) as unknown as FastifyInstance;
    const app = base.withTypeProvider<ZodTypeProvider>();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    const state: WebState = { deps: this.deps, sessions: this.sessions, secureCookies: https !== null };
    await app.register(compress, { global: true, threshold: 1024 });
    await app.register(cookie);
    await app.register(formbody);
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'vitals-gateway API', version: '1', description: 'Clinicians, operators and admins: patients, readings, alerts, devices, outputs and the audit trail. Errors are RFC 9457 problem details.' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE } } },
        security: [{ bearer: [] }, { session: [] }],
      },
      transform: jsonSchemaTransform,
    });
    await app.register(fastifyStatic, { root: ASSETS, prefix: '/assets/', decorateReply: false, maxAge: '1h' });
    await app.register(fastifyStatic, { root: join(dirname(require.resolve('nhsuk-frontend/package.json')), 'dist', 'nhsuk'), prefix: '/assets/nhsuk/', decorateReply: false, maxAge: '1d', allowedPath: (p: string) => /\.(css|js|svg|png|ico)$/.test(p) });
    await app.register(fastifyStatic, { root: join(dirname(require.resolve('nhsuk-frontend/package.json')), 'dist', 'nhsuk', 'assets', 'images'), prefix: '/assets/images/', decorateReply: false, maxAge: '1d' });
    await app.register(fastifyStatic, { root: join(dirname(require.resolve('uplot/package.json')), 'dist'), prefix: '/assets/uplot/', decorateReply: false, maxAge: '1d' });

    app.decorateRequest('auth', undefined);
    app.addHook('onSend', async (_req, reply) => {
      reply.header('content-security-policy', CSP);
      reply.header('x-content-type-options', 'nosniff');
      // Not `no-referrer`: under it a browser sends `Origin: null` with the app's own form posts,
      // which the origin check refuses. `same-origin` still sends nothing to other sites.
      reply.header('referrer-policy', 'same-origin');
      if (https !== null) reply.header('strict-transport-security', 'max-age=31536000');
    });
    app.addHook('preHandler', async (req, reply) => {
      const path = req.url.split('?')[0] ?? '';
      if (PUBLIC.some((r) => r.test(path))) return;
      const outcome = await authenticate(state, {
        method: req.method,
        authorization: req.headers.authorization,
        sessionToken: req.cookies[SESSION_COOKIE],
        csrfHeader: typeof req.headers['x-csrf-token'] === 'string' ? req.headers['x-csrf-token'] : undefined,
        csrfField: (req.body as Record<string, unknown> | undefined)?.['_csrf'],
        origin: req.headers.origin,
        host: req.headers.host,
        address: req.ip,
      });
      if (outcome.ok) {
        req.auth = outcome.auth;
        return;
      }
      if (outcome.reason === 'csrf') {
        this.deps.log.warn({ path, address: req.ip }, 'change refused: no valid CSRF token');
        return send(req, reply, Problem.Csrf);
      }
      if (path.startsWith('/api/')) return send(req, reply, Problem.NotSignedIn);
      return reply.redirect(`/auth/sign-in?next=${encodeURIComponent(req.url)}`);
    });
    app.setErrorHandler((error: Error & { statusCode?: number }, req, reply) => {
      if (hasZodFastifySchemaValidationErrors(error)) {
        return send(req, reply, Problem.Invalid, error.validation.map((v) => `${v.instancePath || 'request'}: ${v.message ?? 'invalid'}`).join('; '));
      }
      const status = (error as { statusCode?: number }).statusCode;
      if (status !== undefined && status >= 400 && status < 500) return send(req, reply, status === 404 ? Problem.NotFound : Problem.Invalid, error.message);
      this.deps.log.error({ err: error.message, path: req.url.split('?')[0] }, 'web request failed');
      return send(req, reply, Problem.Internal);
    });
    app.setNotFoundHandler((req, reply) => send(req, reply, Problem.NotFound));

    await app.register((api, _o, done) => (apiRoutes(api, state), done()), { prefix: '/api/v1' });
    const oidc = this.options.oidc;
    pageRoutes(base, state, oidc?.label);
    if (oidc !== undefined) oidcRoutes(base, state, new OidcSignOn(oidc, this.deps.clock), oidc.label);
    this.app = base;
    await listenOn(() => app.listen({ host: this.options.host, port: this.options.port }), { ...this.options, setting: 'web.host, web.port' });
    return (app.server.address() as AddressInfo).port;
  }

  /** Idempotent. */
  async stop(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    await app?.close();
  }
}

/** A problem: JSON problem details for the API, a page for browsers. */
export function send(req: FastifyRequest, reply: FastifyReply, code: Problem, detail?: string): FastifyReply {
  const p = problem(code, detail, req.url.split('?')[0]);
  if (req.url.startsWith('/api/') || !(req.headers.accept ?? '').includes('text/html')) {
    return reply.code(p.status).type('application/problem+json').send(p);
  }
  return reply.code(p.status).type('text/html; charset=utf-8').send(problemPage({ status: p.status, title: p.title, detail: detail ?? '' }).value);
}
