import type { Config } from '../../config/index.js';
import type { Clock, Issue } from '../../domain/index.js';
import type { Logger } from '../../observability/index.js';
import type { DeviceContext, Ingestor } from '../../pipeline/index.js';
import type { ProfileCatalog } from '../../profiles/index.js';
import type { DeviceStore } from '../../store/device-store.js';
import { BleBridge, type BleDevice } from './bridge.js';
import { NodeBleStack } from './node-ble.js';

/** The BLE bridge as the gateway holds it: running, or why not. */
export interface BleBridgeHandle {
  /** The bridge once it runs. */
  readonly current: BleBridge | undefined;
  readonly state: 'disabled' | 'starting' | 'running' | 'unavailable';
  /** Settles once the bridge runs (or could not start: undefined). */
  readonly ready: Promise<BleBridge | undefined>;
  /** Stops the bridge; one still opening closes as soon as it opens. */
  stop(): Promise<void>;
}

/**
 * Opens the BLE bridge in the background (BlueZ may be slow or absent): without BlueZ the gateway
 * runs without it and says so once. Decoded readings go through the same pipeline as MQTT ones.
 */
export function startBleBridge(options: Config['ble'], deps: { devices: DeviceStore; profiles: ProfileCatalog; ingestor: Ingestor }, clock: Clock, log: Logger): BleBridgeHandle {
  let current: BleBridge | undefined;
  let state: BleBridgeHandle['state'] = options.enabled ? 'starting' : 'disabled';
  let stopBridge: (() => Promise<void>) | undefined;
  let stopping = false;
  const { devices: store, profiles, ingestor } = deps;
  const devices = (): BleDevice[] =>
    store.list().flatMap((d) => {
      const profile = profiles.get(d.profileId);
      if (d.status !== 'active' || d.bleAddress === undefined || profile?.ble === undefined) return [];
      return [{ context: { deviceId: d.id, patientNhs: d.patientNhs, profile, serial: d.serial }, address: d.bleAddress, ble: profile.ble }];
    });
  const ingest = {
    reading: (device: DeviceContext, source: string, payload: Buffer) => ingestor.readings(device, source, payload, { rateLimited: false }),
    reject: (device: DeviceContext, source: string, payload: Buffer, issues: Issue[]) => ingestor.undecodable(device, source, payload, issues),
  };
  const cursors = { get: (id: string) => store.recordCursor(id), set: (id: string, seq: number) => store.setRecordCursor(id, seq, clock.now()) };
  const open = async (): Promise<BleBridge | undefined> => {
    const stack = await NodeBleStack.open(options);
    const bridge = new BleBridge(stack, devices, ingest, cursors, clock, options, log);
    stopBridge = async () => {
      await bridge.stop();
      await stack.close();
    };
    if (!stopping) await bridge.start();
    if (stopping) {
      await stopBridge();
      return undefined;
    }
    current = bridge;
    state = 'running';
    return bridge;
  };
  const ready = !options.enabled
    ? Promise.resolve(undefined)
    : open().catch(async (error: unknown) => {
        await stopBridge?.().catch(() => undefined);
        if (stopping) return undefined; // stopped while opening: not a missing BlueZ
        state = 'unavailable';
        log.warn({ err: error instanceof Error ? error.message : String(error) }, 'no BlueZ here (or no adapter): running without the BLE bridge');
        return undefined;
      });
  return {
    get current() {
      return current;
    },
    get state() {
      return state;
    },
    ready,
    async stop() {
      stopping = true;
      await stopBridge?.();
    },
  };
}

/** The bridge where it cannot run: on a store that is not this gateway's own (`ble.enabled` is then refused). */
export const BLE_OFF: BleBridgeHandle = { current: undefined, state: 'disabled', ready: Promise.resolve(undefined), stop: () => Promise.resolve() };
