/**
 * The FHIR write path a production server offers the gateway — transactions whose entries are
 * conditional creates and updates on an identifier, `urn:uuid` references resolved — with the
 * identifier look-up indexed, as a real server's is. (Medplum's in-memory test server scans every
 * resource on each search, ~1 ms per resource: it would measure itself, not the gateway.)
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type Resource = { resourceType: string; id?: string; identifier?: { system?: string; value?: string }[]; [key: string]: unknown };
type Entry = { fullUrl?: string; resource: Resource; request: { method: 'POST' | 'PUT'; url: string; ifNoneExist?: string } };

const identifierOf = (query: string): string => decodeURIComponent(query.replace(/^.*identifier=/, '')).replace(/\\([\\|,$])/g, '$1');

export class BenchFhirServer {
  /** `Type|system|value` → id; resources by `Type/id`. */
  private readonly index = new Map<string, string>();
  readonly resources = new Map<string, Resource>();
  private server: Server | undefined;
  requests = 0;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests += 1;
        const bundle = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { entry: Entry[] };
        res.writeHead(200, { 'content-type': 'application/fhir+json' }).end(JSON.stringify(this.transaction(bundle.entry)));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}/fhir/R4`;
  }

  /** [FHIR R4 http.html#trules] ids assigned (or found) first, then references to full URLs rewritten. */
  private transaction(entries: readonly Entry[]): unknown {
    const refs = new Map<string, string>();
    const planned = entries.map((e) => {
      const type = e.resource.resourceType;
      const key = `${type}|${identifierOf(e.request.method === 'POST' ? (e.request.ifNoneExist ?? '') : e.request.url)}`;
      const existing = this.index.get(key);
      const id = existing ?? randomUUID();
      if (e.fullUrl !== undefined) refs.set(e.fullUrl, `${type}/${id}`);
      return { e, type, key, id, write: existing === undefined || e.request.method === 'PUT' };
    });
    for (const p of planned) {
      if (!p.write) continue;
      const resource = JSON.parse(JSON.stringify(p.e.resource, (_k, v: unknown) => (typeof v === 'string' && refs.has(v) ? refs.get(v) : v))) as Resource;
      this.index.set(p.key, p.id);
      this.resources.set(`${p.type}/${p.id}`, { ...resource, id: p.id });
    }
    return { resourceType: 'Bundle', type: 'transaction-response', entry: planned.map((p) => ({ response: { status: p.write ? '201' : '200', location: `${p.type}/${p.id}/_history/1` } })) };
  }

  count(type: string): number {
    let n = 0;
    for (const key of this.resources.keys()) if (key.startsWith(`${type}/`)) n += 1;
    return n;
  }

  async stop(): Promise<void> {
    await new Promise((r) => this.server?.close(r));
  }
}
