/**
 * Runs every shell command the README and the docs show, in reading order, against a real gateway,
 * and checks the documented outcome (`npm run test:docs`; `.ci/run` runs it).
 *
 * Commands are taken from the ```sh blocks of the pages in PAGES, exactly as written. The only
 * liberties are the ones a reader takes: a `<placeholder>` is replaced by what an earlier command
 * printed (the device's password, an alert's id, the simulator's bus address); a long-running command
 * (`npm start`, `npm run simulate:ble`) runs in the background, as in another terminal, and is
 * stopped (Ctrl-C) before another like it starts or at the end. `npm ci` is the set-up command,
 * run before this script. Everything happens in a copy of the repository in a temp directory (its
 * own `./data`, with the installed `node_modules` linked in), on the documented default ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** The pages whose commands run, in the order a newcomer would follow them. */
const PAGES = ['README.md', 'docs/alerts.md', 'docs/web.md', 'docs/command-line.md', 'docs/research.md', 'simulators/README.md', 'docs/bluetooth.md'];
const MQTT_PORT = 1883;
const COMMAND_TIMEOUT_MS = 180_000;
const START_TIMEOUT_MS = 180_000;

interface Output {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** What the docs promise of a command beyond exiting 0, and what a reader takes from its output. */
interface Expectation {
  readonly match: RegExp;
  /** Only on this page. */
  readonly page?: string;
  readonly check?: (out: Output, vars: ReadonlyMap<string, string>) => string | undefined;
  readonly capture?: (out: Output, vars: Map<string, string>) => void;
  /** The check may take this long to hold (a reader runs the command again a few seconds later). */
  readonly retryMs?: number;
}

const json = (text: string): unknown => JSON.parse(text);
const EXPECTATIONS: readonly Expectation[] = [
  {
    match: /devices add --profile bp-upper-arm .*--id cuff-1/,
    capture: (out, vars) => vars.set('password', /MQTT password: (\S+)/.exec(out.stdout)?.[1] ?? ''),
  },
  {
    // mqtt.js's `mqtt pub` exits 0 even when the broker refuses the connection; a reader sees the error.
    match: /^npx mqtt pub /,
    check: (out) => (/Error|refused/i.test(out.stderr) ? `the broker refused the publish: ${out.stderr.split('\n')[0] ?? ''}` : undefined),
  },
  { match: /^npm run cli -- readings --patient 9434765919$/, page: 'README.md', check: (out) => (/128/.test(out.stdout) ? undefined : 'the reading 128/82 is not listed') },
  {
    match: /devices add --profile ble-bp-cuff .*C0:FF:EE:00:10:01/,
    capture: (out, vars) => vars.set('ble cuff', /device (\S+) registered/i.exec(out.stdout)?.[1] ?? ''),
  },
  {
    match: /^npm run cli -- readings --patient 9434765919$/,
    page: 'docs/bluetooth.md',
    retryMs: 60_000,
    check: (out, vars) => (out.stdout.includes(` ${vars.get('ble cuff') ?? '?'} `) ? undefined : 'no reading from the simulated Bluetooth cuff yet'),
  },
  {
    match: /readings --patient 9434765919 .*--json/,
    capture: (out, vars) => vars.set('row id', String((json(out.stdout) as { id: number }[])[0]?.id ?? '')),
  },
  {
    match: /alerts list --open --json/,
    capture: (out, vars) => vars.set('alert id', String((json(out.stdout) as { id: string }[])[0]?.id ?? '')),
    check: (out) => ((json(out.stdout) as unknown[]).length > 0 ? undefined : 'no open alert is listed'),
  },
  {
    match: /opt-outs import opted-out\.csv$/,
    check: (out) => (/1 valid NHS numbers, 1 invalid lines skipped\n {2}line 3: /.test(out.stdout) ? undefined : 'the invalid line is not reported'),
  },
  {
    match: /research extract --project study-1 /,
    check: (out) => (/: [\d,]+ rows, [1-9]\d* patients, \d+ excluded by opt-out/.test(out.stdout) ? undefined : 'no patient in the extract'),
  },
  {
    match: /research summary --project study-1 .*--by metric$/,
    check: (out) => (out.stdout.startsWith('metric,patients,values\n') && /^systolic,\*,/m.test(out.stdout) ? undefined : 'the summary is not suppressed as expected'),
  },
  {
    match: /clinicians token dr-ahmed/,
    capture: (out, vars) => vars.set('token', /\(shown once\): (vgt_\S+)/.exec(out.stdout)?.[1] ?? ''),
  },
  {
    match: /api\/v1\/patients$/,
    check: (out) => ((json(out.stdout) as { patients?: { patientNhs?: string }[] }).patients?.[0]?.patientNhs === '9434765919' ? undefined : 'the patient is not listed'),
  },
  { match: /decode 2A35 0078005000a5f3/, check: (out) => (/"systolic": 120/.test(out.stdout) ? undefined : 'not decoded as 120/80') },
  { match: /news2 --json/, check: (out) => (typeof (json(out.stdout) as { total?: unknown }).total === 'number' ? undefined : 'no NEWS2 total') },
  { match: /hbpm --file/, check: (out) => ((json(out.stdout) as { classification?: string }).classification === 'stage2' ? undefined : 'not classified stage 2') },
  {
    match: /simulate -- .*--faults.*--json/,
    check: (out) => {
      const s = json(out.stdout) as { ok: boolean; unexpectedRejections: number; missingRejections: number; errorMessages: string[] };
      return s.ok && s.unexpectedRejections === 0 && s.missingRejections === 0 ? undefined : `summary not ok: ${JSON.stringify(s)}`;
    },
  },
];

/** A command of a page, with its page for the report. */
interface Command {
  readonly page: string;
  readonly text: string;
}

/** The commands of a page's ```sh blocks: continuation lines joined, comments dropped. */
export function commandsOf(page: string, markdown: string): Command[] {
  const commands: Command[] = [];
  for (const [, block] of markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    let pending = '';
    for (const raw of (block ?? '').split('\n')) {
      const line = pending + raw;
      if (line.endsWith('\\')) {
        pending = `${line.slice(0, -1)}`;
        continue;
      }
      pending = '';
      const text = line.replace(/\s+#\s[^'"]*$/, '').trim();
      if (text !== '' && !text.startsWith('#')) commands.push({ page, text });
    }
  }
  return commands;
}

/** A command that runs until stopped: the gateway, the BlueZ simulator. */
const longRunning = (text: string): 'gateway' | 'bluez' | undefined =>
  /(^|\s)npm start( &)?$/.test(text) ? 'gateway' : /^npm run simulate:ble$/.test(text) ? 'bluez' : undefined;

class Background {
  private readonly children = new Map<string, { child: ChildProcess; output: () => string }>();

  start(kind: string, text: string, cwd: string): { child: ChildProcess; output: () => string } {
    const child = spawn('bash', ['-c', text.replace(/\s*&$/, '')], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const entry = { child, output: () => output };
    this.children.set(kind, entry);
    return entry;
  }

  /** Ctrl-C, as a reader would, then SIGKILL if it does not go. */
  async stop(kind: string): Promise<void> {
    const entry = this.children.get(kind);
    if (entry === undefined) return;
    this.children.delete(kind);
    const { child } = entry;
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid, 'SIGINT');
    const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  async stopAll(): Promise<void> {
    for (const kind of [...this.children.keys()].reverse()) await this.stop(kind);
  }
}

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

async function waitFor(what: string, ready: () => Promise<boolean> | boolean, failed: () => string | undefined, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await ready()) return;
    const why = failed();
    if (why !== undefined) throw new Error(why);
    if (performance.now() > deadline) throw new Error(`${what}: not ready within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function run(text: string, cwd: string): Promise<Output> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', text], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The repository copied to a temp directory, without its data, builds or installed packages (linked instead). */
function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vg-docs-'));
  const skip = new Set(['node_modules', '.git', 'data', 'dist', 'coverage', 'sim-devices.json']);
  cpSync(REPO, dir, { recursive: true, filter: (src) => !skip.has(src.slice(REPO.length).split('/')[0] ?? '') });
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

async function main(): Promise<number> {
  if (!existsSync(join(REPO, 'node_modules'))) {
    process.stderr.write('run the set-up command first: npm ci\n');
    return 1;
  }
  if (await portOpen(MQTT_PORT)) {
    process.stderr.write(`port ${MQTT_PORT} is in use: the documented commands need the default ports free\n`);
    return 1;
  }
  // Every page with commands is run: a new page with a ```sh block must be placed in PAGES.
  const unlisted = readdirSync(join(REPO, 'docs'))
    .map((f) => `docs/${f}`)
    .filter((page) => page.endsWith('.md') && !PAGES.includes(page) && /^```sh$/m.test(readFileSync(join(REPO, page), 'utf8')));
  if (unlisted.length > 0) {
    process.stderr.write(`pages with commands this script does not run (add them to PAGES): ${unlisted.join(', ')}\n`);
    return 1;
  }
  const dir = workspace();
  const background = new Background();
  const vars = new Map<string, string>();
  const commands = PAGES.flatMap((page) => commandsOf(page, readFileSync(join(REPO, page), 'utf8')));
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  try {
    for (const command of commands) {
      const label = `${command.page}: ${command.text}`;
      const startedMs = Date.now();
      try {
        if (command.text === 'npm ci') {
          skipped += 1;
          process.stdout.write(`- ${label}  (the set-up command, run before this script)\n`);
          continue;
        }
        const text = command.text.replace(/<([a-z ]+)>/g, (whole, name: string) => {
          const value = vars.get(name);
          if (value === undefined || value === '') throw new Error(`nothing printed earlier gives ${whole}`);
          return value;
        });
        const kind = longRunning(text.replace(/^DBUS_SYSTEM_BUS_ADDRESS=\S+ /, ''));
        if (kind !== undefined) {
          await background.stop(kind);
          if (kind === 'gateway') await waitFor('the previous gateway', async () => !(await portOpen(MQTT_PORT)), () => undefined, 15_000);
          const { child, output } = background.start(kind, text, dir);
          const exited = (): string | undefined => (child.exitCode === null ? undefined : `exited ${child.exitCode}: ${output().slice(-2000)}`);
          if (kind === 'gateway') await waitFor(text, () => portOpen(MQTT_PORT), exited, START_TIMEOUT_MS);
          else {
            await waitFor(text, () => /DBUS_SYSTEM_BUS_ADDRESS=\S+/.test(output()), exited, START_TIMEOUT_MS);
            vars.set('that address', /DBUS_SYSTEM_BUS_ADDRESS=(\S+)/.exec(output())?.[1] ?? '');
          }
        } else {
          const expectations = EXPECTATIONS.filter((x) => x.match.test(text) && (x.page === undefined || x.page === command.page));
          const deadline = performance.now() + Math.max(0, ...expectations.map((e) => e.retryMs ?? 0));
          for (;;) {
            const out = await run(text, dir);
            if (out.code !== 0) throw new Error(`exited ${out.code}\n${out.stdout.slice(-2000)}${out.stderr.slice(-2000)}`);
            const problem = expectations.map((e) => e.check?.(out, vars)).find((p) => p !== undefined);
            if (problem === undefined) {
              for (const e of expectations) e.capture?.(out, vars);
              break;
            }
            if (performance.now() > deadline) throw new Error(`${problem}\n${out.stdout.slice(-2000)}`);
            await new Promise((r) => setTimeout(r, 2_000));
          }
        }
        passed += 1;
        process.stdout.write(`✓ ${label}  (${((Date.now() - startedMs) / 1000).toFixed(1)} s)\n`);
      } catch (error) {
        failed += 1;
        process.stdout.write(`✗ ${label}\n    ${(error as Error).message.replace(/\n/g, '\n    ')}\n`);
      }
    }
  } finally {
    await background.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`docs: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

process.exitCode = await main();
