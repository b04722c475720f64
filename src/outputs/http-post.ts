import http from 'node:http';
import https from 'node:https';

/** What became of a POST that got an answer. */
export interface PostAnswer {
  readonly status: number;
}

/**
 * POSTs to receivers over connections kept open between requests (node:http, about a third of the
 * CPU of `fetch` per request: measured in docs/benchmarks.md). A connection left idle is closed
 * after `idleMs`, before a receiver's own keep-alive timeout would close it under a request (Node's
 * servers wait 5 s). A request that got no answer rejects with the socket's or TLS's error (its
 * `code`), or an `AbortError` after `timeoutMs`.
 */
export class HttpPoster {
  private readonly agents: { readonly http: http.Agent; readonly https: https.Agent };

  constructor(idleMs = 4_000) {
    this.agents = { http: new http.Agent({ keepAlive: true, timeout: idleMs }), https: new https.Agent({ keepAlive: true, timeout: idleMs }) };
  }

  post(url: string, headers: Readonly<Record<string, string>>, body: string, timeoutMs: number): Promise<PostAnswer> {
    return new Promise((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === 'https:';
      const options = { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, signal: AbortSignal.timeout(timeoutMs) };
      const request = secure ? https.request(target, { ...options, agent: this.agents.https }, answered) : http.request(target, { ...options, agent: this.agents.http }, answered);
      request.on('error', reject);
      request.end(body);
      // The answer's body is read to its end (and dropped), so the connection goes back to the pool.
      function answered(res: http.IncomingMessage): void {
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.resume();
      }
    });
  }

  /** Closes the connections kept open. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
