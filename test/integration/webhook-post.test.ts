import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RetryClass } from '../../src/domain/index.js';
import { webhookAlertDeliver } from '../../src/outputs/alerts/index.js';
import { useCleanups } from '../helpers/cleanup.js';

const defer = useCleanups();
const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url)));
const KEY = new Uint8Array(32).fill(7);

/** A delivery row as the alert lanes hand it over. */
const row = (url: string, n: number) => ({ id: n, lane: 'dr-a', createdAtMs: 0, payload: JSON.stringify({ clinicianId: 'dr-a', url, message: { eventId: `a-1:open:${n}`, state: 'open' } }) });

async function listening(server: Server | TlsServer): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  defer(() => new Promise((r) => server.close(r)));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('webhook deliveries over HTTP', () => {
  it('POSTs one after another on one kept-open connection, each body whole, delivered on 2xx', async () => {
    let connections = 0;
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(bodies.length === 3 ? 200 : 204).end(bodies.length === 3 ? 'thanks' : undefined);
      });
    });
    server.on('connection', () => connections++);
    const url = `http://${await listening(server)}/hooks`;
    const deliver = webhookAlertDeliver(KEY, 5_000, () => Date.now());
    defer(() => deliver.close());
    for (let n = 1; n <= 5; n++) expect(await deliver(row(url, n))).toBe('delivered');
    expect(bodies.map((b) => (JSON.parse(b) as { eventId: string }).eventId)).toEqual(['a-1:open:1', 'a-1:open:2', 'a-1:open:3', 'a-1:open:4', 'a-1:open:5']);
    expect(connections).toBe(1);
  });

  it('classifies what went wrong: a refusal of the delivery, an outage, a receiver that never answers, a certificate not trusted', async () => {
    const deliver = webhookAlertDeliver(KEY, 300, () => Date.now());
    defer(() => deliver.close());
    const failure = (url: string) => deliver(row(url, 1)).then(() => undefined, (e: unknown) => e as { message: string; retry: RetryClass });

    const refusing = `http://${await listening(createServer((_req, res) => res.writeHead(422).end()))}/hooks`;
    expect(await failure(refusing)).toMatchObject({ message: 'webhook answered 422', retry: RetryClass.Permanent });
    const down = `http://${await listening(createServer((_req, res) => res.writeHead(503).end()))}/hooks`;
    expect(await failure(down)).toMatchObject({ message: 'webhook answered 503', retry: RetryClass.Transient });
    const silent = createServer(() => {}); // takes the request, never answers
    const mute = `http://${await listening(silent)}/hooks`;
    defer(() => silent.closeAllConnections());
    expect(await failure(mute)).toMatchObject({ message: expect.stringMatching(/^webhook unreachable: no answer within 300 ms/), retry: RetryClass.Ambiguous });
    const tls = createTlsServer({ key: fixture('key.pem'), cert: fixture('cert.pem') }, (_req, res) => res.writeHead(204).end());
    const untrusted = `https://${await listening(tls)}/hooks`;
    expect(await failure(untrusted)).toMatchObject({ message: expect.stringContaining('webhook unreachable: self-signed certificate'), retry: RetryClass.Configuration });
  });
});
