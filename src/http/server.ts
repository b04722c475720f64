import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { AccessRequest, BrokerDecision, ConnectRequest } from '../ingest/mqtt/index.js';
import { listenOn } from './listen.js';

/** What the HTTP endpoints read: narrow ports, not the gateway. */
export interface HttpPorts {
  /** Prometheus text exposition. */
  metrics(): Promise<string>;
  /** Liveness facts; `ok` false answers 503. */
  health(): { readonly ok: boolean; readonly [fact: string]: unknown };
  /** An external broker's authentication and authorisation (EMQX's HTTP sources), when served. */
  brokerAccess?: {
    authenticate(r: ConnectRequest): Promise<BrokerDecision>;
    authorize(r: AccessRequest): Promise<BrokerDecision>;
  };
}

export interface HttpOptions {
  readonly host: string;
  readonly port: number;
}

/**
 * The operator's HTTP endpoints: `GET /metrics` (Prometheus) and `GET /healthz`. The one file
 * that speaks fastify.
 */
export class HttpServer {
  private app: FastifyInstance | undefined;

  constructor(
    private readonly options: HttpOptions,
    private readonly ports: HttpPorts,
  ) {}

  /** Listens; resolves with the bound port. */
  async start(): Promise<number> {
    const app = Fastify({ logger: false });
    app.get('/metrics', async (_req, reply) => reply.type('text/plain; version=0.0.4').send(await this.ports.metrics()));
    app.get('/healthz', async (_req, reply) => {
      const health = this.ports.health();
      return reply.code(health.ok ? 200 : 503).send(health);
    });
    const access = this.ports.brokerAccess;
    if (access !== undefined) {
      // [EMQX HTTP authentication / authorisation] POST with a JSON body from the configured
      // template; answer 200 with {"result": "allow" | "deny" | "ignore", "is_superuser": false}.
      // A body that is not the documented shape is denied (EMQX takes a 4xx as "ignore").
      app.post('/broker/emqx/authn', async (req) => {
        const r = connectRequest(req.body);
        return { result: r === undefined ? 'deny' : await access.authenticate(r), is_superuser: false };
      });
      app.post('/broker/emqx/authz', async (req) => {
        const r = accessRequest(req.body);
        return { result: r === undefined ? 'deny' : await access.authorize(r) };
      });
    }
    this.app = app;
    await listenOn(() => app.listen({ host: this.options.host, port: this.options.port }), { ...this.options, setting: 'http.host, http.port' });
    return (app.server.address() as AddressInfo).port;
  }

  /** Idempotent. */
  async stop(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    await app?.close();
  }
}

const text = (body: unknown, key: string): string | undefined => {
  const v = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined;
  return typeof v === 'string' ? v : undefined;
};

/** `{"clientid": "${clientid}", "username": "${username}", "password": "${password}"}`. */
function connectRequest(body: unknown): ConnectRequest | undefined {
  const [clientid, username, password] = [text(body, 'clientid'), text(body, 'username'), text(body, 'password')];
  return clientid === undefined || username === undefined || password === undefined ? undefined : { clientid, username, password };
}

/** `{"clientid": "${clientid}", "username": "${username}", "topic": "${topic}", "action": "${action}"}`. */
function accessRequest(body: unknown): AccessRequest | undefined {
  const [clientid, username, topic, action] = [text(body, 'clientid'), text(body, 'username'), text(body, 'topic'), text(body, 'action')];
  if (clientid === undefined || username === undefined || topic === undefined || (action !== 'publish' && action !== 'subscribe')) return undefined;
  return { clientid, username, topic, action };
}
