/**
 * A private D-Bus message bus (`dbus-daemon`) in a temporary directory, for the BlueZ simulator and
 * the node-ble client it serves: nothing touches the machine's system bus.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's `dbus-daemon` package installs the daemon; undefined when it is not installed. */
export const DBUS_DAEMON = ['/usr/bin/dbus-daemon', '/usr/local/bin/dbus-daemon'].find((p) => existsSync(p));

const START_TIMEOUT_MS = 5_000;
const WATCHDOG = 'trap "" INT; "$1" --session "$2" --nofork --print-address=1 </dev/null & pid=$!; read -r _; kill "$pid"; wait "$pid"';
const STOP_TIMEOUT_MS = 2_000;

/** A running private bus; `address` is what `DBUS_SYSTEM_BUS_ADDRESS` / `busAddress` take. */
export class PrivateBus {
  private constructor(
    readonly address: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  /** Starts `dbus-daemon --session` on a socket of its own; resolves once it prints its address. */
  static async start(): Promise<PrivateBus> {
    if (DBUS_DAEMON === undefined) throw new Error('dbus-daemon is not installed (Debian package: dbus-daemon)');
    const dir = mkdtempSync(join(tmpdir(), 'vg-dbus-'));
    // A shell keeps the daemon only while our end of its stdin is open, so a test worker that dies
    // without stop() takes its daemon with it. The shell ignores SIGINT, as its background daemon
    // does: Ctrl-C to the whole process group must not kill the shell and leave the daemon behind.
    const child = spawn('/bin/sh', ['-c', WATCHDOG, 'dbus-watchdog', DBUS_DAEMON, `--address=unix:path=${join(dir, 'bus')}`], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    try {
      const address = await printedAddress(child);
      return new PrivateBus(address, child, dir);
    } catch (e) {
      child.stdin?.end();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** Stops the daemon (closing the watchdog's stdin kills it) and removes its directory; idempotent. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.stdin?.end();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The first line the daemon prints (`--print-address=1`): its full address, e.g. `unix:path=…,guid=…`. */
function printedAddress(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`dbus-daemon printed no address within ${START_TIMEOUT_MS} ms: ${err}`)), START_TIMEOUT_MS);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      reject(e);
    };
    // "Failed to set fd limit" on stderr is harmless [ble.md]; kept only for the error message.
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n');
      if (line.length < 2) return;
      clearTimeout(timer);
      resolve((line[0] ?? '').trim());
    });
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`dbus-daemon exited (${code}) before printing its address: ${err}`)));
  });
}
