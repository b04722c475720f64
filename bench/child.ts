import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { builtModule } from './build.js';
import type { CommandReply } from './ipc.js';
import { cpuMs, rssBytes, threadTimes, type ThreadTime } from './proc.js';

const EXIT_TIMEOUT_MS = 15_000;

/**
 * Orchestrator side of one bench child process (a broker under test or a load worker): starts its
 * built code, waits for its ready line, sends it commands, and reads its memory and CPU from /proc.
 */
export class BenchChild<Ready = unknown> {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<void>;

  private constructor(
    private readonly proc: ChildProcess,
    readonly ready: Ready,
  ) {
    proc.on('message', (raw) => {
      const { id, value, error } = raw as CommandReply;
      const waiter = this.pending.get(id);
      this.pending.delete(id);
      if (error !== undefined) waiter?.reject(new Error(`${this.name}: ${error}`));
      else waiter?.resolve(value);
    });
    proc.on('error', (error) => process.stderr.write(`${this.name}: ${error.message}\n`));
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code) => {
        for (const w of this.pending.values()) w.reject(new Error(`${this.name} exited (code ${code})`));
        this.pending.clear();
        resolve();
      }),
    );
  }

  /**
   * Forks `script` (a source module's URL) as built ({@link buildForBench}), with `env` added to
   * this process's, and resolves once it has printed its ready line.
   */
  static start<Ready>(script: URL, args: readonly string[] = [], nodeFlags: readonly string[] = [], env: Readonly<Record<string, string>> = {}): Promise<BenchChild<Ready>> {
    const proc = fork(fileURLToPath(builtModule(script)), args, {
      execArgv: [...nodeFlags],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      proc.once('error', reject);
      proc.once('exit', (code) => reject(new Error(`${script.pathname} exited (code ${code}) before it was ready`)));
      const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
      lines.once('line', (line) => {
        lines.on('line', (more) => process.stderr.write(`${more}\n`));
        resolve(new BenchChild<Ready>(proc, JSON.parse(line) as Ready));
      });
    });
  }

  get pid(): number {
    return this.proc.pid as number;
  }

  private get name(): string {
    return `child ${this.pid}`;
  }

  /** Sends a command and resolves with the child's answer. */
  call<T = unknown>(cmd: string, arg?: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (!this.proc.connected) return reject(new Error(`${this.name} is gone`));
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, cmd, arg });
    });
  }

  rssBytes(): number {
    return rssBytes(this.pid);
  }

  cpuMs(): number {
    return cpuMs(this.pid);
  }

  threadTimes(): Map<number, ThreadTime> {
    return threadTimes(this.pid);
  }

  /** Asks the child to clean up and exit; kills it if it has not gone within the timeout. */
  async close(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    await this.call('exit').catch(() => undefined);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), EXIT_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}
