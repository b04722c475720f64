import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundledProfilesDir } from '../../src/config/index.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(REPO, 'src', 'main.ts');

/** Runs the CLI to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: REPO, env: { ...process.env, ...env } });
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
}

/** Starts `vitals-gateway start` as a child process on a free port; resolves once it prints its address. */
export function spawnGateway(args: string[]): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'start', '--mqtt-port', '0', '--mqtt-host', '127.0.0.1', '--http-port', '0', '--web-port', '0', ...args], { cwd: REPO });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on mqtts?:\/\/[^:]+:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]), exited, stderr: () => stderr });
    });
    void exited.then((code) => reject(new Error(`gateway exited (${code}) before listening: ${stderr}`)));
  });
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
