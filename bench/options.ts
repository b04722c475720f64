import { parseArgs } from 'node:util';

/** What one `npm run bench` does; every figure can be changed on the command line. */
export interface BenchOptions {
  /** Simulated devices publishing readings. */
  readonly devices: number;
  /** Devices connected idle for the memory measurement (0 skips it). */
  readonly idleDevices: number;
  /** Load-generator processes the publishing devices are shared between. */
  readonly workers: number;
  /** QoS 1 publishes each device keeps in flight. */
  readonly window: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  /** Rounds of the durable floor comparison (each the floor, then the gateway). */
  readonly floorRounds: number;
  /** Rounds of the InfluxDB comparison (each the gateway without, then with, the output). */
  readonly influxRounds: number;
  /** Rounds of the alert rules' cost (each the gateway with its rules off, then on). */
  readonly rulesRounds: number;
  /** Points per InfluxDB write (undefined: the gateway's default). */
  readonly influxBatch: number | undefined;
  /** Where to write the results as JSON (besides the table on stdout). */
  readonly out: string | undefined;
  /** Where the brokers under test write V8 CPU profiles (`node --cpu-prof`). */
  readonly cpuProfDir: string | undefined;
  /** Devices sending 1,000 readings/s in all for the alert latency (0 skips it). */
  readonly alertDevices: number;
  /** Parts left out of the run (the gateway vs raw aedes comparison always runs). */
  readonly skip: ReadonlySet<BenchPart>;
}

/** The parts of a run after the gateway vs raw aedes comparison. */
export const BENCH_PARTS = ['floor', 'stores', 'influx', 'rules', 'alerts', 'fhir', 'flood', 'web', 'research', 'migration', 'worker', 'postgres'] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

/** The `--help` text. */
export const USAGE = `usage: npm run bench -- [options]
  --devices N        publishing devices (default 100)
  --idle-devices N   idle devices for the memory measurement, 0 to skip (default 2000)
  --workers N        load-generator processes (default 2)
  --window N         QoS 1 publishes in flight per device (default 32)
  --warmup S         warm-up seconds per broker (default 3)
  --seconds S        measured seconds per broker (default 10)
  --floor-rounds N   rounds of the durable floor comparison, each the floor and the gateway, in turns first (default 5)
  --influx-batch N   points per InfluxDB write (default: the gateway's, influx.batchSize)
  --influx-rounds N  rounds of the InfluxDB comparison, each the gateway without and with it, in turns first (default 5)
  --rules-rounds N   rounds of the alert rules' cost, each the gateway with its rules off and on, in turns first (default 3)
  --out FILE         also write the results as JSON to FILE
  --cpu-prof DIR     write a CPU profile of each broker under test to DIR
  --alert-devices N  devices sending 1,000 readings/s in all for the alert latency, 0 to skip (default 1000)
  --skip LIST        parts to leave out, comma-separated: ${BENCH_PARTS.join(', ')}`;

/** Parses the command line (`'help'` for `--help`); throws with the usage text on anything it does not understand. */
export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      devices: { type: 'string', default: '100' },
      'idle-devices': { type: 'string', default: '2000' },
      workers: { type: 'string', default: '2' },
      window: { type: 'string', default: '32' },
      warmup: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '10' },
      'floor-rounds': { type: 'string', default: '5' },
      'influx-batch': { type: 'string' },
      'influx-rounds': { type: 'string', default: '5' },
      'rules-rounds': { type: 'string', default: '3' },
      out: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'alert-devices': { type: 'string', default: '1000' },
      skip: { type: 'string', default: '' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const number = (name: string, raw: string, min: number, integer = true): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      throw new Error(`--${name} must be ${integer ? 'a whole number' : 'a number'} ≥ ${min}, not "${raw}"\n${USAGE}`);
    }
    return n;
  };
  return {
    devices: number('devices', values.devices, 1),
    idleDevices: number('idle-devices', values['idle-devices'], 0),
    workers: number('workers', values.workers, 1),
    window: number('window', values.window, 1),
    warmupMs: number('warmup', values.warmup, 0, false) * 1000,
    measureMs: number('seconds', values.seconds, 1, false) * 1000,
    floorRounds: number('floor-rounds', values['floor-rounds'], 1),
    influxRounds: number('influx-rounds', values['influx-rounds'], 1),
    rulesRounds: number('rules-rounds', values['rules-rounds'], 1),
    influxBatch: values['influx-batch'] === undefined ? undefined : number('influx-batch', values['influx-batch'], 1),
    out: values.out,
    cpuProfDir: values['cpu-prof'],
    alertDevices: number('alert-devices', values['alert-devices'], 0),
    skip: parts(values.skip),
  };
}

function parts(raw: string): ReadonlySet<BenchPart> {
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = names.filter((n) => !(BENCH_PARTS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`--skip: unknown part ${unknown.join(', ')} (known: ${BENCH_PARTS.join(', ')})\n${USAGE}`);
  return new Set(names as BenchPart[]);
}
