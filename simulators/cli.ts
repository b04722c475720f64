import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { SimulationOptions } from './options.js';
import { formatSummary } from './report.js';
import { runSimulation } from './simulation.js';

/** Exit codes: 0 every message acknowledged, 1 not (or the run failed), 2 invalid usage. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

const positive = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number above 0');
  return n;
};
const wholeFrom =
  (min: number) =>
  (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min) throw new InvalidArgumentError(`expected a whole number of at least ${min}`);
    return Number(value);
  };
const whole = wholeFrom(1);
const profileList = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  ...value.split(',').map((p) => p.trim()).filter((p) => p !== ''),
];

interface CliOptions {
  url: string;
  profile?: string[];
  devices?: number;
  rate: number;
  duration?: number;
  count?: number;
  qos: '0' | '1';
  faults?: boolean;
  seed?: number;
  provision?: boolean;
  dataDir?: string;
  config?: string;
  credentials?: string;
  saveCredentials?: string;
  profilesDir?: string;
  maxPayloadBytes: number;
  ackTimeout: number;
  json?: boolean;
  quiet?: boolean;
}

/** The simulator's command line (the one file that speaks commander). */
export function buildProgram(): Command {
  return new Command('simulate')
    .description('Simulate health devices publishing realistic readings over MQTT to a vitals-gateway.')
    .option('--url <url>', 'gateway MQTT URL', 'mqtt://127.0.0.1:1883')
    .option('--profile <ids>', 'device profile(s), repeatable or comma-separated (default: every canonical profile)', profileList)
    .option('--devices <n>', 'number of devices (default: one per profile, or all in --credentials)', whole)
    .option('--rate <n>', 'regular messages per second over all devices', positive, 10)
    .option('--duration <seconds>', 'run this long (default 10 unless --count)', positive)
    .option('--count <n>', 'stop after n regular messages', whole)
    .addOption(new Option('--qos <qos>', 'MQTT QoS of every publish').choices(['0', '1']).default('1'))
    .option('--faults', 'also send each kind of faulty message and a flood')
    .option('--seed <n>', 'seed for deterministic readings (default: from the clock)', wholeFrom(0))
    .option('--provision', 'register the devices with the gateway CLI (devices add)')
    .option('--data-dir <dir>', 'the gateway\'s data directory (with --provision)')
    .option('--config <file>', 'the gateway\'s config file (with --provision)')
    .option('--credentials <file>', 'use the devices in this JSON file: [{ deviceId, secret, profile }]')
    .option('--save-credentials <file>', 'write the devices used to this file, for --credentials next time')
    .option('--profiles-dir <dir>', 'the gateway\'s device profile directory (default: the shipped profiles)')
    .option('--max-payload-bytes <n>', 'the gateway\'s mqtt.maxPayloadBytes (for the oversized fault)', whole, 65_536)
    .option('--ack-timeout <seconds>', 'a publish not acknowledged by then is an error', positive, 15)
    .option('--json', 'print the summary as JSON')
    .option('--quiet', 'no progress on stderr')
    .showHelpAfterError()
    .exitOverride();
}

function toOptions(o: CliOptions, signal: AbortSignal): SimulationOptions {
  return {
    url: o.url,
    profiles: o.profile,
    devices: o.devices,
    ratePerSecond: o.rate,
    durationMs: o.duration === undefined ? undefined : o.duration * 1000,
    count: o.count,
    qos: o.qos === '0' ? 0 : 1,
    faults: o.faults === true,
    seed: o.seed,
    provision: o.provision === true ? { dataDir: o.dataDir, config: o.config } : undefined,
    credentialsFile: o.credentials,
    saveCredentialsFile: o.saveCredentials,
    profilesDir: o.profilesDir,
    maxPayloadBytes: o.maxPayloadBytes,
    ackTimeoutMs: o.ackTimeout * 1000,
    progress: o.quiet === true ? undefined : process.stderr,
    notice: (line) => process.stderr.write(`simulate: ${line}\n`),
    signal,
  };
}

/** Parses `argv`, runs the simulation and prints its summary; resolves with the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    program.parse(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    throw error;
  }
  const o = program.opts<CliOptions>();
  // First Ctrl-C ends the run early (with a summary); a second one is not caught.
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  process.once('SIGINT', stop);
  try {
    const summary = await runSimulation(toOptions(o, abort.signal));
    process.stdout.write(o.json === true ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    return summary.ok ? 0 : EXIT_FAILED;
  } catch (error) {
    process.stderr.write(`simulate: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILED;
  } finally {
    process.off('SIGINT', stop);
  }
}
