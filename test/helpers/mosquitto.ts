import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './gateway.js';
import { freePort } from './ports.js';

const BINARY = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'].find((p) => existsSync(p));

/**
 * True when Mosquitto is missing and its tests must be skipped. Under CI (CI=true) a missing broker
 * is not skipped: starting it fails the run.
 */
export const mosquittoMissing = BINARY === undefined && process.env['CI'] !== 'true';
if (mosquittoMissing) {
  process.stderr.write('\n*** SKIPPING Mosquitto tests: Mosquitto is not installed (Debian package: mosquitto) ***\n\n');
}

/** A real Mosquitto broker on a free loopback port, with its own config file (never the system service). */
export class MosquittoBroker {
  private constructor(
    readonly port: number,
    readonly pidFile: string,
    private readonly child: ChildProcess,
    private readonly dir: { dir: string; remove: () => void },
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Starts with these config lines after its listener (e.g. `password_file …`, `acl_file …`). */
  static async start(lines: readonly string[]): Promise<MosquittoBroker> {
    if (BINARY === undefined) throw new Error('Mosquitto is not installed (Debian package: mosquitto)');
    const dir = tempDir('vg-mosquitto-');
    const port = await freePort();
    const pidFile = join(dir.dir, 'mosquitto.pid');
    const config = join(dir.dir, 'mosquitto.conf');
    // As root Mosquitto would switch to the `mosquitto` user, which cannot read the test's files.
    const user = process.getuid?.() === 0 ? ['user root'] : [];
    writeFileSync(config, [...user, `pid_file ${pidFile}`, 'persistence false', 'log_dest stderr', 'log_type error', `listener ${port} 127.0.0.1`, ...lines, ''].join('\n'));
    const child = spawn(BINARY, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}: ${stderr}`);
      const up = await new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
        s.on('error', () => resolve(false));
      });
      if (up && existsSync(pidFile)) return new MosquittoBroker(port, pidFile, child, dir);
      if (Date.now() > deadline) throw new Error(`mosquitto did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    this.dir.remove();
  }
}
