/**
 * The BLE stack on BlueZ through node-ble (the only file that imports it): one D-Bus connection for
 * the gateway's lifetime, a timeout on every call, listeners dropped on every disconnect [ble.md
 * "Pitfalls": node-ble keeps listening by object path across reconnections].
 */
import { existsSync } from 'node:fs';
import NodeBle from 'node-ble';
import { BleTimeout, within, type BleLink, type BleStack } from './port.js';

/** The 128-bit form of a SIG 16-bit UUID, as BlueZ reports it (lower case). */
export const fullUuid = (short: string): string => `0000${short.toLowerCase()}-0000-1000-8000-00805f9b34fb`;

export interface NodeBleOptions {
  /** Longest wait for any one D-Bus call. */
  readonly callTimeoutMs: number;
  /** Longest wait for a device to be found and connected, services resolved. */
  readonly connectTimeoutMs: number;
}

type Adapter = NodeBle.Adapter & { helper?: { set(name: string, value: unknown): Promise<void> } };

type BusHelper = { removeListeners(): void; prop(name: string): Promise<unknown> };
/** node-ble's per-object bus helper (not in its types): its listeners hold the D-Bus match rules. */
const helperOf = (o: object): BusHelper | undefined => (o as { helper?: BusHelper }).helper;
/** A BlueZ property of a node-ble object, read through its helper (node-ble has no getter for every one). */
const propOf = async (o: object, name: string): Promise<boolean> => (await helperOf(o)?.prop(name)) === true;
/** How often ServicesResolved is read while a connection comes up. */
const SERVICES_POLL_MS = 20;

export class NodeBleStack implements BleStack {
  private adapter: Adapter | undefined;

  private constructor(
    private readonly ble: ReturnType<typeof NodeBle.createBluetooth>,
    private readonly options: NodeBleOptions,
  ) {}

  /** Connects to the system bus (`DBUS_SYSTEM_BUS_ADDRESS`) and finds the default adapter; throws when BlueZ is not there. */
  static async open(options: NodeBleOptions): Promise<NodeBleStack> {
    // Without a system bus there is no BlueZ: say so at once rather than after a timeout.
    const address = process.env['DBUS_SYSTEM_BUS_ADDRESS'] ?? 'unix:path=/var/run/dbus/system_bus_socket';
    const socket = /^unix:path=([^,;]+)/.exec(address)?.[1];
    if (socket !== undefined && !existsSync(socket)) throw new Error(`no D-Bus system bus at ${socket}`);
    const ble = NodeBle.createBluetooth();
    const stack = new NodeBleStack(ble, options);
    try {
      // A dead bus raises errors on the connection object: without a listener they would crash the process.
      (ble.bluetooth as unknown as { dbus?: { on(e: 'error', f: (e: Error) => void): void } }).dbus?.on('error', () => undefined);
      stack.adapter = await within(ble.bluetooth.defaultAdapter(), options.callTimeoutMs, 'BlueZ default adapter');
      return stack;
    } catch (error) {
      ble.destroy();
      throw error;
    }
  }

  private get a(): Adapter {
    if (this.adapter === undefined) throw new Error('BLE stack closed');
    return this.adapter;
  }

  async powerOn(): Promise<string> {
    const t = this.options.callTimeoutMs;
    if (!(await within(this.a.isPowered(), t, 'adapter Powered'))) {
      // node-ble has no setter for Powered: set the BlueZ property through its bus helper.
      // @ts-expect-error node-ble declares no types for its internal helper module
      const { default: buildTypedValue } = (await import('node-ble/src/buildTypedValue.js')) as { default: (type: string, value: unknown) => unknown };
      await within(this.a.helper?.set('Powered', buildTypedValue('boolean', true)) ?? Promise.reject(new Error('cannot power the adapter')), t, 'power on');
    }
    return within(this.a.getAddress(), t, 'adapter Address');
  }

  async connect(address: string): Promise<BleLink> {
    const { callTimeoutMs: t, connectTimeoutMs } = this.options;
    const adapter = this.a;
    // [ble.md] startDiscovery throws while another client discovers: that is success here.
    if (!(await within(adapter.isDiscovering(), t, 'adapter Discovering'))) await within(adapter.startDiscovery(), t, 'StartDiscovery').catch(() => undefined);
    // A device BlueZ already knows is there at once (waitDevice would first wait one polling interval).
    const device = await within(adapter.getDevice(address), t, `${address} lookup`).catch(() => adapter.waitDevice(address, connectTimeoutMs, 250));
    await within(device.connect(), connectTimeoutMs, `${address} Connect`);
    // [ble.md] gatt() reads ServicesResolved before it listens for the change, so it can miss the
    // flip and wait forever: wait for the property here, then gatt() finds the services at once.
    const deadline = performance.now() + connectTimeoutMs;
    while (!(await within(propOf(device, 'ServicesResolved'), t, `${address} ServicesResolved`))) {
      if (performance.now() > deadline) throw new BleTimeout(`${address}: services not resolved within ${connectTimeoutMs} ms`);
      if (!(await within(propOf(device, 'Connected'), t, `${address} Connected`))) throw new Error(`${address}: the link dropped while services were resolving`);
      await new Promise((resolve) => setTimeout(resolve, SERVICES_POLL_MS));
    }
    const gatt = await within(device.gatt(), connectTimeoutMs, `${address} services`);
    return new NodeBleLink(device, gatt, t);
  }

  async close(): Promise<void> {
    this.adapter = undefined;
    this.ble.destroy();
  }
}

class NodeBleLink implements BleLink {
  readonly closed: Promise<void>;
  private markClosed: () => void = () => undefined;
  private readonly characteristics = new Map<string, Promise<NodeBle.GattCharacteristic>>();
  private readonly subscribed: NodeBle.GattCharacteristic[] = [];
  private done = false;

  constructor(
    private readonly device: NodeBle.Device,
    private readonly gatt: NodeBle.GattServer,
    private readonly t: number,
  ) {
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    device.once('disconnect', () => this.drop());
  }

  private characteristic(service: string, characteristic: string): Promise<NodeBle.GattCharacteristic> {
    const key = `${service}/${characteristic}`;
    let found = this.characteristics.get(key);
    if (found === undefined) {
      found = (async () => {
        const s = await within(this.gatt.getPrimaryService(fullUuid(service)), this.t, `service ${service}`);
        return within(s.getCharacteristic(fullUuid(characteristic)), this.t, `characteristic ${characteristic}`);
      })();
      this.characteristics.set(key, found);
    }
    return found;
  }

  async subscribe(service: string, characteristic: string, onValue: (bytes: Uint8Array) => void): Promise<void> {
    const c = await this.characteristic(service, characteristic);
    c.on('valuechanged', (buffer: Buffer) => onValue(new Uint8Array(buffer)));
    this.subscribed.push(c);
    await within(c.startNotifications(), this.t, `StartNotify ${characteristic}`);
  }

  async read(service: string, characteristic: string): Promise<Uint8Array> {
    const c = await this.characteristic(service, characteristic);
    return new Uint8Array(await within(c.readValue(), this.t, `ReadValue ${characteristic}`));
  }

  async write(service: string, characteristic: string, bytes: Uint8Array): Promise<void> {
    const c = await this.characteristic(service, characteristic);
    await within(c.writeValue(Buffer.from(bytes), { type: 'request' }), this.t, `WriteValue ${characteristic}`);
  }

  /**
   * Forgets this connection's listeners, in node-ble and on the bus: each node-ble object listens
   * for PropertiesChanged through a D-Bus match rule, and BlueZ re-creates the same object paths on
   * the next connection, so listeners left behind would both fire again and pile up match rules on
   * the one bus connection [ble.md pitfalls].
   */
  private drop(): void {
    if (this.done) return;
    this.done = true;
    for (const c of this.subscribed) {
      c.removeAllListeners('valuechanged');
      helperOf(c)?.removeListeners();
    }
    this.device.removeAllListeners('disconnect');
    helperOf(this.device)?.removeListeners();
    this.markClosed();
  }

  async disconnect(): Promise<void> {
    if (this.done) return;
    this.drop();
    await within(this.device.disconnect(), this.t, 'Disconnect').catch((error: unknown) => {
      if (!(error instanceof BleTimeout)) throw error;
    });
  }
}
