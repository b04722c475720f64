import { IssueCode, systemClock } from '../src/domain/index.js';
import { loadProfiles, type DeviceProfile } from '../src/profiles/index.js';
import { mapLimit } from './concurrency.js';
import type { DeviceCredentials } from './credentials.js';
import { DeviceConnection, type Rejection } from './device.js';
import { assembleFleet } from './fleet.js';
import { DEFAULTS, type SimulationOptions } from './options.js';
import { shippedProfilesDir } from './paths.js';
import { ProgressReporter } from './progress.js';
import { seededRandom } from './random.js';
import { SimulatedDevice } from './simulated-device.js';
import { Tally, type Summary } from './tally.js';
import { Traffic } from './traffic.js';

/** Connections opened at once: each costs the gateway a scrypt verification. */
const PARALLEL_CONNECTS = 8;

/** The summary of a run, with the seed that replays it. */
export type SimulationSummary = Summary & { readonly seed: number };

/** Waits `ms` (at least one turn of the event loop), ending early when `signal` aborts. */
function sleeper(signal: AbortSignal | undefined): (ms: number) => Promise<void> {
  return (ms) =>
    new Promise((resolve) => {
      if (signal?.aborted === true) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
    });
}

/** Connects every device, a few at a time; when any cannot connect, closes the others and throws saying why. */
async function connectFleet(
  fleet: readonly DeviceCredentials[],
  options: SimulationOptions,
  qos: 0 | 1,
  onRejection: (deviceId: string, rejection: Rejection) => void,
  onError: (message: string) => void,
): Promise<DeviceConnection[]> {
  const results = await mapLimit(fleet, PARALLEL_CONNECTS, (c) =>
    DeviceConnection.open({
      url: options.url,
      deviceId: c.deviceId,
      secret: c.secret,
      qos,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      ackTimeoutMs: options.ackTimeoutMs ?? DEFAULTS.ackTimeoutMs,
      onRejection: (r) => onRejection(c.deviceId, r),
      onError,
    }).then(
      (connection) => ({ connection }),
      (error: Error) => ({ error: `${c.deviceId} could not connect to ${options.url}: ${error.message}` }),
    ),
  );
  const opened = results.flatMap((r) => ('connection' in r ? [r.connection] : []));
  const refused = results.flatMap((r) => ('error' in r ? [r.error] : []));
  if (refused.length > 0) {
    await Promise.all(opened.map((c) => c.close()));
    throw new Error(refused.join('\n'));
  }
  return opened;
}

/**
 * Runs a simulation: assembles the devices (given, read or provisioned), connects each as its own
 * MQTT client, sends realistic readings (and faults) at the requested pace, waits for every
 * acknowledgement and the rejections the faults should cause, disconnects, and sums it all up.
 * Throws when devices cannot be assembled or connected; everything after that ends in a summary.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationSummary> {
  const clock = options.clock ?? systemClock;
  const seed = options.seed ?? clock.now() % 2 ** 31;
  const random = seededRandom(seed);
  const catalog = loadProfiles(options.profilesDir ?? shippedProfilesDir());
  const { devices: fleet, reused } = await assembleFleet(options, catalog, random.fork('fleet'));
  const qos = options.qos ?? DEFAULTS.qos;
  const tally = new Tally();
  const runTag = clock.now().toString(36);

  const byId = new Map<string, SimulatedDevice>();
  const onRejection = (deviceId: string, r: Rejection): void => {
    tally.rejection(r);
    if (r.issues.some((i) => i.code === IssueCode.RateLimited)) byId.get(deviceId)?.allowance.drain();
  };
  const links = await connectFleet(fleet, options, qos, onRejection, (message) => tally.error(message));

  const devices = fleet.map(
    (c, i) =>
      new SimulatedDevice(c, catalog.get(c.profile) as DeviceProfile, links[i] as DeviceConnection, random.fork(`device-${i}`), runTag, clock, {
        allowanceStartsFull: !reused.has(c.deviceId),
      }),
  );
  for (const d of devices) byId.set(d.id, d);
  const traffic = new Traffic(
    devices,
    {
      ratePerSecond: options.ratePerSecond ?? DEFAULTS.ratePerSecond,
      count: options.count,
      durationMs: options.durationMs ?? (options.count === undefined ? DEFAULTS.durationMs : undefined),
      faults: options.faults ?? false,
      maxPayloadBytes: options.maxPayloadBytes ?? DEFAULTS.maxPayloadBytes,
    },
    { clock, sleep: sleeper(options.signal), random: random.fork('traffic'), tally, signal: options.signal, notice: options.notice ?? (() => {}) },
  );
  const progress =
    options.progress &&
    new ProgressReporter(options.progress, () => ({
      fraction: traffic.progress(),
      sent: tally.sent,
      acknowledged: tally.acknowledged,
      rejected: tally.rejections,
      errors: tally.errors,
    }));
  const startedMs = clock.now();
  progress?.start();
  try {
    await traffic.run();
    await tally.settled(options.settleMs ?? DEFAULTS.settleMs);
  } finally {
    progress?.stop();
    await Promise.all(links.map((c) => c.close()));
  }
  const devicesByProfile: Record<string, number> = {};
  for (const d of fleet) devicesByProfile[d.profile] = (devicesByProfile[d.profile] ?? 0) + 1;
  return { seed, ...tally.summary({ url: options.url, qos, devices: fleet.length, devicesByProfile, elapsedMs: clock.now() - startedMs }) };
}
