import { setTimeout as sleep } from 'node:timers/promises';
import type { MqttClient } from 'mqtt';
import type { DeviceCredentials } from '../src/devices/index.js';
import type { HeapUsage } from './brokers/control.js';
import type { BenchChild } from './child.js';
import { connectDevice } from './connect.js';
import { mapLimit } from '../simulators/concurrency.js';

/** Connections opened at once: on the gateway each waits for a scrypt check on libuv's pool. */
const CONNECT_CONCURRENCY = 32;
/** Lets the broker finish per-connection work (timers, buffers) before memory is read. */
const SETTLE_MS = 1_000;

/** The broker's memory, after a full GC, before and after the idle devices connected. */
export interface IdleResult {
  readonly devices: number;
  readonly rssBeforeBytes: number;
  readonly rssAfterBytes: number;
  /** RSS growth per device: includes one-off growth (heap spaces, pools), so it errs high. */
  readonly rssPerDevice: number;
  /** Growth of live JS heap plus buffers per device: what each connection keeps alive. */
  readonly livePerDevice: number;
}

/**
 * Connects the devices as idle clients (keepalive 60 s, no publishes) and measures the broker's
 * memory growth, each reading taken after a full GC in the broker. The clients disconnect after.
 */
export async function measureIdle(broker: BenchChild, url: string, devices: readonly DeviceCredentials[]): Promise<IdleResult> {
  const measure = async (): Promise<{ rss: number; live: number }> => {
    await sleep(SETTLE_MS);
    const heap = await broker.call<HeapUsage>('gc');
    return { rss: broker.rssBytes(), live: heap.heapUsed + heap.external };
  };
  const clients: MqttClient[] = [];
  try {
    const before = await measure();
    await mapLimit(devices, CONNECT_CONCURRENCY, async (device) => void clients.push(await connectDevice(url, device)));
    const after = await measure();
    return {
      devices: devices.length,
      rssBeforeBytes: before.rss,
      rssAfterBytes: after.rss,
      rssPerDevice: (after.rss - before.rss) / devices.length,
      livePerDevice: (after.live - before.live) / devices.length,
    };
  } finally {
    await Promise.all(clients.map((c) => c.endAsync()));
  }
}
