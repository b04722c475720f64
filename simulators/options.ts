import type { Clock } from '../src/domain/index.js';
import type { DeviceCredentials } from './credentials.js';
import type { ProgressStream } from './progress.js';
import type { GatewayStoreOptions } from './provision.js';

/** How to run a simulation; everything but `url` has a default. */
export interface SimulationOptions {
  /** The gateway's MQTT URL, e.g. `mqtt://127.0.0.1:1883`. */
  readonly url: string;
  /** Profiles of provisioned devices, assigned in turn; default: every MQTT profile in the canonical payload shape. */
  readonly profiles?: readonly string[] | undefined;
  /** Devices to simulate; default: one per profile when provisioning, else every device in the credentials. */
  readonly devices?: number | undefined;
  /** Regular messages per second over all devices (default 10); each device also keeps to its profile's limit. */
  readonly ratePerSecond?: number | undefined;
  /** Run this long… (default 10 s when no `count` is given) */
  readonly durationMs?: number | undefined;
  /** …or until this many regular messages are sent, whichever comes first. */
  readonly count?: number | undefined;
  /** MQTT QoS of every publish (default 1). */
  readonly qos?: 0 | 1 | undefined;
  /** Also send each kind of faulty message, and a flood (default false). */
  readonly faults?: boolean | undefined;
  /** Seed of every random choice; default: from the clock (the summary names it, to replay the run). */
  readonly seed?: number | undefined;
  /** Register devices that are missing with the gateway's command line, on this store. */
  readonly provision?: GatewayStoreOptions | undefined;
  /** Devices to use, as given… */
  readonly credentials?: readonly DeviceCredentials[] | undefined;
  /** …or read from a JSON file of `[{ deviceId, secret, profile }]`. */
  readonly credentialsFile?: string | undefined;
  /** Write the devices used (provisioned ones included) here, for the next run. */
  readonly saveCredentialsFile?: string | undefined;
  /** The gateway's profile directory (default: the shipped device-profiles/). */
  readonly profilesDir?: string | undefined;
  /** The gateway's `mqtt.maxPayloadBytes` (default 65536), for the oversized fault. */
  readonly maxPayloadBytes?: number | undefined;
  readonly connectTimeoutMs?: number | undefined;
  /** A publish not acknowledged within this counts as an error (default 15 s). */
  readonly ackTimeoutMs?: number | undefined;
  /** How long to wait after the last acknowledgement for expected rejections still on their way (default 2 s). */
  readonly settleMs?: number | undefined;
  /** Draw progress here (a bar on a terminal, periodic lines otherwise). */
  readonly progress?: ProgressStream | undefined;
  /** Where to tell the person running it what is going on (provisioning, skipped faults). */
  readonly notice?: ((line: string) => void) | undefined;
  /** Aborting ends the run early, still with a summary. */
  readonly signal?: AbortSignal | undefined;
  readonly clock?: Clock | undefined;
}

export const DEFAULTS = {
  ratePerSecond: 10,
  durationMs: 10_000,
  qos: 1,
  maxPayloadBytes: 65_536,
  connectTimeoutMs: 10_000,
  ackTimeoutMs: 15_000,
  settleMs: 2_000,
} as const;
