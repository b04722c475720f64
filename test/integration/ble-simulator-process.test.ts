import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dbusDaemonMissing } from '../helpers/bluez.js';
import { until } from '../helpers/until.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** Command lines of the processes running now that mention `text`. */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(text)) found.push(`${pid}: ${cmdline}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe.skipIf(dbusDaemonMissing)('npm run simulate:ble, as a person runs it', () => {
  it('on Ctrl-C (SIGINT to its whole process group) stops, taking its D-Bus daemon with it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'simulators/ble/main.ts'], { cwd: REPO, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const socket = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no bus address printed: ${output}`)), 30_000);
      child.stdout.on('data', () => {
        const m = /DBUS_SYSTEM_BUS_ADDRESS=unix:path=([^,\s]+)/.exec(output);
        if (m?.[1] === undefined) return;
        clearTimeout(timer);
        resolve(m[1]);
      });
    });
    expect(processesMentioning(socket).some((p) => p.includes('dbus-daemon'))).toBe(true);

    process.kill(-(child.pid as number), 'SIGINT'); // what a terminal's Ctrl-C does
    const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
    if (!stopped) child.kill('SIGKILL');
    expect(stopped, `still running 10 s after Ctrl-C: ${output}`).toBe(true);
    await until(async () => processesMentioning(socket), (left) => left.length === 0, 'no process left serving the bus socket', 5_000);
    expect(processesMentioning(socket)).toEqual([]);
  });
});
