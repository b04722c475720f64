/**
 * A BlueZ stand-in that owns `org.bluez` on a private bus so the real node-ble can be driven
 * without radio hardware [ble.md, "Testing the BLE bridge without radio hardware"]: the agent
 * manager at `/org/bluez`, one adapter `hci0`, and the simulated devices under it.
 */
import { DbusService } from './dbus.js';
import { SimulatedAdapter, type AdapterOptions } from './adapter.js';
import type { SimulatedDevice } from './device.js';
import { ADAPTER, AGENT_MANAGER } from './interfaces.js';

export interface SimulatorOptions {
  /** The bus to serve on, e.g. `PrivateBus.address`. */
  readonly busAddress: string;
  readonly adapter?: AdapterOptions;
}

/** A device or a device model that has one. */
export type Simulated = SimulatedDevice | { readonly device: SimulatedDevice };

const ROOT = '/org/bluez';
const ADAPTER_PATH = `${ROOT}/hci0`;

export class BlueZSimulator {
  readonly adapter: SimulatedAdapter;
  /** Errors of the bus connection (a dead daemon, a broken socket), oldest first. */
  readonly errors: Error[] = [];
  private readonly all = new Map<string, SimulatedDevice>();
  private service: DbusService | undefined;

  constructor(private readonly options: SimulatorOptions) {
    this.adapter = new SimulatedAdapter(options.adapter ?? {}, {
      discover: () => {
        for (const device of this.all.values()) this.attach(device);
      },
      remove: (path) => {
        const device = [...this.all.values()].find((d) => d.present && `${ADAPTER_PATH}/${d.node}` === path);
        device?.detach('removed');
        return device !== undefined;
      },
      powerOff: () => {
        for (const device of this.all.values()) if (device.present) device.dropLink();
      },
    });
  }

  /** Object path of the adapter (`/org/bluez/hci0`). */
  get adapterPath(): string {
    return ADAPTER_PATH;
  }

  /** Every device in range, present on the bus or not. */
  get devices(): readonly SimulatedDevice[] {
    return [...this.all.values()];
  }

  /** Connects to the bus, owns `org.bluez` and exports the adapter and the known devices. */
  async start(): Promise<void> {
    if (this.service !== undefined) return;
    const service = await DbusService.connect(this.options.busAddress, 'org.bluez', (e) => this.errors.push(e));
    this.service = service;
    service.export(ROOT, AGENT_MANAGER, { get: () => undefined, call: () => undefined });
    this.adapter.link(service.export(ADAPTER_PATH, ADAPTER, this.adapter));
    for (const device of this.all.values()) if (device.known) this.attach(device);
  }

  /**
   * Brings a device into range. A known device (the default) is on the bus at once; another
   * appears at the next StartDiscovery, or now if discovery is running.
   */
  add<T extends Simulated>(simulated: T): T {
    const device = deviceOf(simulated);
    if (this.all.has(device.address)) throw new Error(`a device with address ${device.address} is already simulated`);
    this.all.set(device.address, device);
    if (device.known || this.adapter.discovering) this.attach(device);
    return simulated;
  }

  /** Takes a device out of range for good: its link drops and it leaves the bus. */
  remove(simulated: Simulated): void {
    const device = deviceOf(simulated);
    device.detach('removed');
    this.all.delete(device.address);
  }

  /** The device with this MAC address, if simulated. */
  device(address: string): SimulatedDevice | undefined {
    return this.all.get(address.toUpperCase());
  }

  /** Drops every link, removes every object and leaves the bus; idempotent, safe before start. */
  stop(): Promise<void> {
    const service = this.service;
    if (service === undefined) return Promise.resolve();
    this.service = undefined;
    for (const device of this.all.values()) device.detach('removed');
    this.adapter.link(undefined);
    service.close();
    return Promise.resolve();
  }

  private attach(device: SimulatedDevice): void {
    const service = this.service;
    if (service === undefined || device.present) return;
    device.attach({ service, adapterPath: ADAPTER_PATH, powered: () => this.adapter.powered });
  }
}

const deviceOf = (simulated: Simulated): SimulatedDevice => ('device' in simulated ? simulated.device : simulated);
