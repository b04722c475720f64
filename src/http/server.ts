import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';

/** What the HTTP endpoints read: narrow ports, not the gateway. */
export interface HttpPorts {
  /** Prometheus text exposition. */
  metrics(): Promise<string>;
  /** Liveness facts; `ok` false answers 503. */
  health(): { readonly ok: boolean; readonly [fact: string]: unknown };
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
    this.app = app;
    await app.listen({ host: this.options.host, port: this.options.port });
    return (app.server.address() as AddressInfo).port;
  }

  /** Idempotent. */
  async stop(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    await app?.close();
  }
}
