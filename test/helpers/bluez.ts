import { afterAll, afterEach, beforeAll } from 'vitest';
import { BlueZSimulator, DBUS_DAEMON, PrivateBus, type AdapterOptions, type Simulated } from '../../simulators/ble/bluez/index.js';

/**
 * True when `dbus-daemon` is missing and the BLE tests must be skipped. Under CI (CI=true) a missing
 * daemon is not skipped: starting the bus fails the run.
 */
export const dbusDaemonMissing = DBUS_DAEMON === undefined && process.env['CI'] !== 'true';
if (dbusDaemonMissing) {
  process.stderr.write('\n*** SKIPPING BLE tests: dbus-daemon is not installed (Debian package: dbus-daemon) ***\n\n');
}

export interface BlueZ {
  /** The private bus address (also in `process.env.DBUS_SYSTEM_BUS_ADDRESS` while the suite runs). */
  readonly busAddress: string;
  readonly simulator: BlueZSimulator;
  /** Brings a device (or model) into range for the current test only; returns it. */
  add<T extends Simulated>(simulated: T): T;
}

/**
 * A private bus and a BlueZ simulator for the enclosing `describe.skipIf(dbusDaemonMissing)`,
 * started before its tests and stopped after them, with `DBUS_SYSTEM_BUS_ADDRESS` pointing at the
 * bus meanwhile so node-ble's `createBluetooth()` finds the simulator. Call `createBluetooth()`
 * inside tests or hooks (after this helper's beforeAll), and `destroy()` it before the suite ends.
 */
export function useBlueZ(options: { readonly adapter?: AdapterOptions } = {}): BlueZ {
  let bus: PrivateBus | undefined;
  let simulator: BlueZSimulator | undefined;
  let previous: string | undefined;
  const added: Simulated[] = [];
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useBlueZ(): used outside the tests of the describe that called it');
    return value;
  };
  beforeAll(async () => {
    bus = await PrivateBus.start();
    previous = process.env['DBUS_SYSTEM_BUS_ADDRESS'];
    process.env['DBUS_SYSTEM_BUS_ADDRESS'] = bus.address;
    simulator = new BlueZSimulator({ busAddress: bus.address, ...(options.adapter === undefined ? {} : { adapter: options.adapter }) });
    await simulator.start();
  });
  afterEach(() => {
    for (const device of added.splice(0).reverse()) simulator?.remove(device);
  });
  afterAll(async () => {
    await simulator?.stop();
    await bus?.stop();
    if (previous === undefined) delete process.env['DBUS_SYSTEM_BUS_ADDRESS'];
    else process.env['DBUS_SYSTEM_BUS_ADDRESS'] = previous;
  });
  return {
    get busAddress() {
      return started(bus).address;
    },
    get simulator() {
      return started(simulator);
    },
    add(simulated) {
      started(simulator).add(simulated);
      added.push(simulated);
      return simulated;
    },
  };
}

/** `promise`, or a rejection naming `what` after `ms`: node-ble calls hang when the bus or peer dies [ble.md]. */
export function within<T>(promise: Promise<T>, what: string, ms = 3_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
