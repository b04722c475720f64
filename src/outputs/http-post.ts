import http from 'node:http';
import https from 'node:https';

/** What became of a POST that got an answer. */
export interface PostAnswer {
  readonly status: number;
  /** Whether the status is a success (2xx). */
  readonly ok: boolean;
  readonly headers: http.IncomingHttpHeaders;
  /** The answer's body as text, when asked for (`readBody`); else empty. */
  readonly body: string;
}

/**
 * POSTs to receivers over connections kept open between requests (node:http, about a third of the
 * CPU of `fetch` per request: measured in docs/benchmarks.md). A connection left idle is closed
 * after `idleMs`, before a receiver's own keep-alive timeout would close it under a request (Node's
 * servers wait 5 s). A request that got no answer rejects with the socket's or TLS's error (its
 * `code`), or with `ETIMEDOUT` after `timeoutMs`.
 */
export class HttpPoster {
  private readonly agents: { readonly http: http.Agent; readonly https: https.Agent };

  constructor(idleMs = 4_000) {
    this.agents = { http: new http.Agent({ keepAlive: true, timeout: idleMs }), https: new https.Agent({ keepAlive: true, timeout: idleMs }) };
  }

  post(url: string, headers: Readonly<Record<string, string>>, body: string, timeoutMs: number, { readBody = false }: { readBody?: boolean } = {}): Promise<PostAnswer> {
    return new Promise((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === 'https:';
      const signal = AbortSignal.timeout(timeoutMs);
      const options = { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, signal };
      const request = secure ? https.request(target, { ...options, agent: this.agents.https }, answered) : http.request(target, { ...options, agent: this.agents.http }, answered);
      request.on('error', (error) => reject(signal.aborted ? Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }) : error));
      request.end(body);
      // The answer's body is read to its end (kept, or dropped), so the connection goes back to the pool.
      function answered(res: http.IncomingMessage): void {
        let text = '';
        res.on('error', reject);
        const status = res.statusCode ?? 0;
        res.on('end', () => resolve({ status, ok: status >= 200 && status < 300, headers: res.headers, body: text }));
        if (!readBody) return void res.resume();
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
      }
    });
  }

  /** Closes the connections kept open. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
