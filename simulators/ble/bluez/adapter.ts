/**
 * org.bluez.Adapter1 at `/org/bluez/hci0`: power, discovery (which makes not-yet-known devices
 * appear) and RemoveDevice, with BlueZ's errors for calls made in the wrong state.
 */
import { BusError, type ExportedInterface, type InterfaceImpl } from './dbus.js';
import { BluezErrors } from './interfaces.js';

export interface AdapterOptions {
  /** Default `00:1A:7D:DA:71:13`. */
  readonly address?: string;
  /** Default `vitals-sim`. */
  readonly name?: string;
  /** Default true. */
  readonly powered?: boolean;
}

/** What the adapter does to the simulator's devices. */
export interface DeviceDirectory {
  /** Devices in range but not yet on the bus appear (discovery heard them advertise). */
  discover(): void;
  /** Removes the device at this object path; false if there is none. */
  remove(path: string): boolean;
  /** Power went off: every link drops. */
  powerOff(): void;
}

/** Filters BlueZ accepts in SetDiscoveryFilter [org.bluez.Adapter.rst]. */
const DISCOVERY_FILTERS = ['UUIDs', 'RSSI', 'Pathloss', 'Transport', 'DuplicateData', 'Discoverable', 'Pattern'];

export class SimulatedAdapter implements InterfaceImpl {
  readonly address: string;
  readonly name: string;
  /** The last filter set with SetDiscoveryFilter, as plain values (e.g. `{ Transport: 'le' }`). */
  discoveryFilter: Readonly<Record<string, unknown>> = {};
  /** StartDiscovery calls received. */
  startDiscoveryCalls = 0;
  private alias: string;
  private on: boolean;
  private scanning = false;
  private bus: ExportedInterface | undefined;

  constructor(
    options: AdapterOptions,
    private readonly devices: DeviceDirectory,
  ) {
    this.address = options.address ?? '00:1A:7D:DA:71:13';
    this.name = options.name ?? 'vitals-sim';
    this.alias = this.name;
    this.on = options.powered ?? true;
  }

  link(bus: ExportedInterface | undefined): void {
    this.bus = bus;
  }

  get powered(): boolean {
    return this.on;
  }

  get discovering(): boolean {
    return this.scanning;
  }

  /** Powers the adapter on or off (as `Set Powered` does); off drops every link and stops discovery. */
  setPowered(on: boolean): void {
    if (on === this.on) return;
    this.on = on;
    if (!on) {
      this.devices.powerOff();
      this.setDiscovering(false);
    }
    this.bus?.changed({ Powered: on });
  }

  get(property: string): unknown {
    const props: Record<string, unknown> = {
      Address: this.address,
      AddressType: 'public',
      Name: this.name,
      Alias: this.alias,
      Class: 0,
      Powered: this.on,
      Discoverable: false,
      DiscoverableTimeout: 180,
      Pairable: true,
      PairableTimeout: 0,
      Discovering: this.scanning,
      UUIDs: [],
      Modalias: 'usb:v1D6Bp0246d0540',
    };
    return props[property];
  }

  set(property: string, value: unknown): void {
    if (property === 'Powered') return this.setPowered(value === true);
    if (property === 'Alias') {
      this.alias = String(value) === '' ? this.name : String(value);
      this.bus?.changed({ Alias: this.alias });
      return;
    }
    throw new BusError(BluezErrors.NotSupported, `${property} cannot be changed on the simulator`);
  }

  call(method: string, args: readonly unknown[]): unknown {
    switch (method) {
      case 'SetDiscoveryFilter': {
        const filter = (args[0] ?? {}) as Record<string, { value: unknown }>;
        const unknown = Object.keys(filter).filter((k) => !DISCOVERY_FILTERS.includes(k));
        if (unknown.length > 0) throw new BusError(BluezErrors.InvalidArguments, `Invalid arguments in method call: ${unknown.join(', ')}`);
        this.discoveryFilter = Object.fromEntries(Object.entries(filter).map(([k, v]) => [k, v.value]));
        return undefined;
      }
      case 'StartDiscovery':
        this.startDiscoveryCalls += 1;
        if (!this.on) throw new BusError(BluezErrors.NotReady, 'Resource Not Ready');
        this.setDiscovering(true);
        this.devices.discover();
        return undefined;
      case 'StopDiscovery':
        if (!this.on) throw new BusError(BluezErrors.NotReady, 'Resource Not Ready');
        if (!this.scanning) throw new BusError(BluezErrors.Failed, 'No discovery started');
        this.setDiscovering(false);
        return undefined;
      case 'RemoveDevice':
        if (!this.devices.remove(String(args[0]))) throw new BusError(BluezErrors.DoesNotExist, 'Does Not Exist');
        return undefined;
      case 'GetDiscoveryFilters':
        return DISCOVERY_FILTERS;
      default:
        throw new BusError('org.freedesktop.DBus.Error.UnknownMethod', `${method} is not implemented`);
    }
  }

  private setDiscovering(on: boolean): void {
    if (on === this.scanning) return;
    this.scanning = on;
    this.bus?.changed({ Discovering: on });
  }
}
