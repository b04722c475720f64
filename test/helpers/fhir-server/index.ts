import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { tempDir } from '../gateway.js';
import { unlimitedProfiles } from '../process.js';
import type { Command } from './server.js';

const SCRIPT = fileURLToPath(new URL('./server.ts', import.meta.url));

type Found = { resourceType: string; id: string; [key: string]: unknown };

/** Controls a real FHIR R4 server process (see server.ts) started on a free port. */
export class FhirTestServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/fhir/R4`;
  }

  static start(): Promise<FhirTestServer> {
    const child = fork(SCRIPT, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      child.once('message', (m: { port: number }) => resolve(new FhirTestServer(child, m.port)));
      child.once('exit', (code) => reject(new Error(`FHIR test server exited (${code}) before listening`)));
    });
  }

  private command(command: Command): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('message', () => resolve());
      this.child.send(command);
    });
  }

  /** Stops accepting connections (and drops open ones); the data stays. */
  down(): Promise<void> {
    return this.command({ cmd: 'down' });
  }

  up(): Promise<void> {
    return this.command({ cmd: 'up' });
  }

  reset(): Promise<void> {
    return this.command({ cmd: 'reset' });
  }

  /** Answers the next `count` requests with `status` (and an OperationOutcome, or `body`). */
  fail(status: number, count: number, body?: unknown): Promise<void> {
    return this.command({ cmd: 'fail', status, count, ...(body !== undefined ? { body } : {}) });
  }

  /** The Authorization header of every POST (the gateway's writes) since the last reset ('' when none). */
  authorizations(): Promise<string[]> {
    return new Promise((resolve) => {
      this.child.once('message', (m: { authorizations: string[] }) => resolve(m.authorizations));
      this.child.send({ cmd: 'seen' } satisfies Command);
    });
  }

  /** Processes the next `count` requests, then closes the connection instead of answering. */
  drop(count: number): Promise<void> {
    return this.command({ cmd: 'drop', count });
  }

  /** Every resource a search returns (one page of up to 1000). */
  async search(resourceType: string, query: Record<string, string> = {}): Promise<Found[]> {
    const qs = new URLSearchParams({ _count: '1000', ...query });
    const res = await fetch(`${this.url}/${resourceType}?${qs.toString()}`);
    if (!res.ok) throw new Error(`search ${resourceType} failed: ${res.status} ${await res.text()}`);
    const bundle = (await res.json()) as { entry?: { resource: Found }[] };
    return (bundle.entry ?? []).map((e) => e.resource);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill();
    await exited;
  }
}

/**
 * A FHIR test server for a suite (started once, emptied before each test, stopped after) and a
 * copy of the shipped profiles without rate limits, for tests that publish streams.
 */
export function useFhirServer(): { server: () => FhirTestServer; profilesDir: () => string } {
  let server: FhirTestServer | undefined;
  let profiles: string | undefined;
  const shared = tempDir();
  beforeAll(async () => {
    profiles = unlimitedProfiles(shared.dir);
    server = await FhirTestServer.start();
  });
  afterAll(async () => {
    await server?.stop();
    shared.remove();
  });
  beforeEach(() => server?.reset());
  const need = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('useFhirServer: used outside a test');
    return v;
  };
  return { server: () => need(server), profilesDir: () => need(profiles) };
}
