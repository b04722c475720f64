import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundledProfilesDir } from '../../src/config/index.js';
import { DeviceRegistry, type DeviceCredentials } from '../../src/devices/index.js';
import { systemClock } from '../../src/domain/index.js';
import { loadProfiles } from '../../src/profiles/index.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { TEST_NHS } from './gateway.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** The built command line (test/helpers/build.ts builds it before the tests run). */
const MAIN = join(REPO, 'dist', 'src', 'main.js');

/** Runs the CLI to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: REPO, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly exited: Promise<number | null>;
  stderr(): string;
  /** Everything it printed so far. */
  stdout(): string;
  /**
   * SIGTERM, then the exit code once it has stopped; a process still running `graceMs` later is
   * killed (SIGKILL) and the call fails, quoting the end of its log: a stop that hangs is a defect.
   */
  stop(graceMs?: number): Promise<number | null>;
}

/** Starts `vitals-gateway start` as a child process on a free port (Node run with `nodeFlags`); resolves once it prints its address. */
export async function spawnGateway(args: string[], nodeFlags: readonly string[] = []): Promise<GatewayProcess> {
  const { started, out } = await spawnStart(['--mqtt-port', '0', '--mqtt-host', '127.0.0.1', ...args], /listening on mqtts?:\/\/[^:]+:(\d+)/, {}, nodeFlags);
  return { ...started, port: Number(out[1]) };
}

/** Starts `vitals-gateway start --broker …` (a worker on an external broker); resolves once every connection is subscribed. */
export async function spawnWorker(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Omit<GatewayProcess, 'port'>> {
  return (await spawnStart(args, /subscribed at mqtts?:\/\//, env)).started;
}

/** `vitals-gateway start` with `args` (HTTP and web on free ports), until its output matches `ready`. */
function spawnStart(args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}, nodeFlags: readonly string[] = []): Promise<{ started: Omit<GatewayProcess, 'port'>; out: RegExpExecArray }> {
  const child = spawn(process.execPath, [...nodeFlags, MAIN, 'start', '--http-port', '0', '--web-port', '0', ...args], { cwd: REPO, env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) resolve({ started: { child, exited, stderr: () => stderr, stdout: () => out, stop: (graceMs) => stopProcess(child, exited, () => stderr, graceMs) }, out: m });
    });
    void exited.then((code) => reject(new Error(`gateway exited (${code}) before it was ready: ${stderr}`)));
  });
}

async function stopProcess(child: ChildProcess, exited: Promise<number | null>, stderr: () => string, graceMs = 20_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
  const code = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (code !== 'late') return code;
  child.kill('SIGKILL');
  await exited;
  throw new Error(`gateway did not stop within ${graceMs} ms of SIGTERM (killed); its log ends: ${stderr().slice(-2_000)}`);
}

/** A copy of the shipped profiles with every rate limit raised, for stream tests. */
export function unlimitedProfiles(dir: string): string {
  const target = join(dir, 'profiles');
  cpSync(bundledProfilesDir(), target, { recursive: true });
  for (const id of ['thermometer', 'bp-upper-arm']) {
    const file = join(target, `${id}.json`);
    const profile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...profile, maxMessagesPerMinute: 1_000_000 }));
  }
  return target;
}

/** Provisions thermometer `thermo-1` in the store under `dataDir`, before a gateway process opens it. */
export async function provisionThermometer(dataDir: string, profilesDir: string): Promise<DeviceCredentials> {
  const store = new SqliteStore(join(dataDir, 'gateway.db'));
  try {
    return await new DeviceRegistry(store.devices, loadProfiles(profilesDir), systemClock).add({ profileId: 'thermometer', patient: TEST_NHS, deviceId: 'thermo-1' });
  } finally {
    store.close();
  }
}
