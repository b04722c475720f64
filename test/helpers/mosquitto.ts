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
    private child: ChildProcess,
    private readonly dir: { dir: string; remove: () => void },
    private readonly config: string,
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /**
   * Starts with these config lines after its listener (e.g. `password_file …`, `acl_file …`).
   * `persistent`: sessions and queued messages are saved in the broker's temp directory and
   * survive `restart()`.
   */
  static async start(lines: readonly string[], options: { persistent?: boolean } = {}): Promise<MosquittoBroker> {
    if (BINARY === undefined) throw new Error('Mosquitto is not installed (Debian package: mosquitto)');
    const dir = tempDir('vg-mosquitto-');
    const port = await freePort();
    const pidFile = join(dir.dir, 'mosquitto.pid');
    const config = join(dir.dir, 'mosquitto.conf');
    // As root Mosquitto would switch to the `mosquitto` user, which cannot read the test's files.
    const user = process.getuid?.() === 0 ? ['user root'] : [];
    const persistence = options.persistent === true ? ['persistence true', `persistence_location ${dir.dir}/`, 'autosave_interval 0'] : ['persistence false'];
    writeFileSync(config, [...user, `pid_file ${pidFile}`, ...persistence, 'log_dest stderr', 'log_type error', `listener ${port} 127.0.0.1`, ...lines, ''].join('\n'));
    return new MosquittoBroker(port, pidFile, await MosquittoBroker.run(config, port, pidFile), dir, config);
  }

  /** The broker's process id (for its CPU time). */
  pid(): number {
    return this.child.pid ?? 0;
  }

  /**
   * A graceful restart (SIGTERM, then the same config on the same port): a persistent broker saves
   * its state first. `whileDown` runs while it is stopped.
   */
  async restart(whileDown: () => Promise<unknown> = async () => {}): Promise<void> {
    await this.terminate();
    await whileDown();
    this.child = await MosquittoBroker.run(this.config, this.port, this.pidFile);
  }

  private static async run(config: string, port: number, pidFile: string): Promise<ChildProcess> {
    if (BINARY === undefined) throw new Error('Mosquitto is not installed (Debian package: mosquitto)');
    const child = spawn(BINARY, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = performance.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}: ${stderr}`);
      const up = await new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
        s.on('error', () => resolve(false));
      });
      if (up && existsSync(pidFile)) return child;
      if (performance.now() > deadline) throw new Error(`mosquitto did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async terminate(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
  }

  async stop(): Promise<void> {
    await this.terminate();
    this.dir.remove();
  }
}
