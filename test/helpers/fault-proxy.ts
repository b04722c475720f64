import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy on a free loopback port in front of a real server (victoria-metrics, the FHIR
 * server): it forwards every request as it is, unless told to answer a status itself — a wrong
 * token (401), a proxy refusing during maintenance (403), a wrong bucket or base URL (404).
 */
export class FaultProxy {
  private answer: number | undefined;
  /** Statuses it answered itself, in order. */
  readonly answered: number[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<FaultProxy> {
    const upstream = new URL(target);
    let proxy: FaultProxy | undefined;
    const server = createServer((req, res) => {
      const status = proxy?.answer;
      if (status !== undefined) {
        proxy?.answered.push(status);
        req.resume();
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'refused', message: `proxy answered ${status}` }));
        return;
      }
      const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: `${upstream.pathname.replace(/\/$/, '')}${req.url ?? ''}`, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      forward.on('error', () => res.writeHead(502).end());
      req.pipe(forward);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    proxy = new FaultProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  /** Answers `status` to every request from now on (undefined: forward again). */
  answering(status: number | undefined): void {
    this.answer = status;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}
