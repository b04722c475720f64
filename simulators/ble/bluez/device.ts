/**
 * A simulated BLE peripheral as BlueZ shows it: org.bluez.Device1 at
 * `/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF`, its GATT objects exported on Connect and removed when
 * the link goes, and fault modes (link loss, corrupt values, slow answers, refused connects).
 * Device models (simulators/ble/devices.ts) give it services and send values through `send`.
 */
import { EventEmitter } from 'node:events';
import { BusError, type DbusService, type ExportedInterface, type InterfaceImpl } from './dbus.js';
import { GattDatabase, type ServiceDefinition } from './gatt.js';
import { BluezErrors, DEVICE, deviceNode, uuid128 } from './interfaces.js';
import { nextOf, Timers } from './timers.js';

export interface DeviceOptions {
  /** MAC address `AA:BB:CC:DD:EE:FF`. */
  readonly address: string;
  readonly name: string;
  readonly services: readonly ServiceDefinition[];
  readonly addressType?: 'public' | 'random';
  readonly rssi?: number;
  /**
   * Known to BlueZ from the start, as a paired or cached device is (default true); otherwise it
   * appears only at the adapter's next StartDiscovery, as a device first heard advertising.
   */
  readonly known?: boolean;
  /** > 0: Connect answers once connected and `ServicesResolved` turns true this much later. */
  readonly servicesResolveDelayMs?: number;
}

/** Why a link ended. */
export type DisconnectReason = 'local' | 'link-loss' | 'adapter-off' | 'removed';

export interface DeviceEvents {
  /** Connected with services resolved. */
  connect: [];
  disconnect: [reason: DisconnectReason];
  /** A value was notified, indicated or read (after any corruption). */
  sent: [uuid: string, value: Uint8Array];
  written: [uuid: string, value: Uint8Array];
}

/** Where a device lives on the bus, given by the simulator when it exports the device. */
export interface DeviceHost {
  readonly service: DbusService;
  readonly adapterPath: string;
  readonly powered: () => boolean;
}

const DEFAULT_WAIT_MS = 5_000;
const truncate = (value: Uint8Array): Uint8Array => value.subarray(0, Math.floor(value.length / 2));

export class SimulatedDevice {
  readonly address: string;
  readonly name: string;
  /** Every value sent (notified, indicated, read) and written, oldest first. */
  readonly sent: { uuid: string; value: Uint8Array }[] = [];
  readonly written: { uuid: string; value: Uint8Array }[] = [];
  private readonly events = new EventEmitter();
  private readonly timers = new Timers();
  private host: DeviceHost | undefined;
  private bus: ExportedInterface | undefined;
  private gatt: GattDatabase | undefined;
  private linked = false;
  private resolved = false;
  private paired = false;
  private alias: string;
  private trusted = false;
  private blocked = false;
  private link = 0;
  private connects = 0;
  private refusals = 0;
  private delayMs = 0;
  private corrupt: ((value: Uint8Array) => Uint8Array) | undefined;
  private lastReason: DisconnectReason | undefined;

  constructor(private readonly options: DeviceOptions) {
    this.address = options.address.toUpperCase();
    this.name = options.name;
    this.alias = options.name;
    this.events.on('error', () => undefined);
  }

  /** Known to BlueZ before any discovery (see `DeviceOptions.known`). */
  get known(): boolean {
    return this.options.known ?? true;
  }

  /** `dev_AA_BB_…`, the node name under the adapter. */
  get node(): string {
    return deviceNode(this.address);
  }

  /** Exported on the bus (found by discovery, not removed). */
  get present(): boolean {
    return this.host !== undefined;
  }

  /** Connected with services resolved. */
  get isConnected(): boolean {
    return this.linked && this.resolved;
  }

  /** Connect calls received, refused ones included. */
  get connectCalls(): number {
    return this.connects;
  }

  on<E extends keyof DeviceEvents>(event: E, listener: (...args: DeviceEvents[E]) => void): () => void {
    this.events.on(event, listener as (...args: unknown[]) => void);
    return () => this.events.off(event, listener as (...args: unknown[]) => void);
  }

  /** Resolves when connected with services resolved (at once if so already). */
  connected(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return this.isConnected ? Promise.resolve() : this.next('connect', timeoutMs).then(() => undefined);
  }

  /** Resolves when the link is down (at once if so already) with the reason it went; undefined if it never was up. */
  disconnected(timeoutMs = DEFAULT_WAIT_MS): Promise<DisconnectReason | undefined> {
    return !this.linked ? Promise.resolve(this.lastReason) : this.next('disconnect', timeoutMs).then(([reason]) => reason);
  }

  /** Whether the client has notifications on for a characteristic. */
  notifying(uuid: number | string): boolean {
    return this.gatt?.characteristic(uuid)?.isNotifying ?? false;
  }

  /** Notifies or indicates a value; false (and nothing sent) when not connected or not enabled. */
  send(uuid: number | string, value: Uint8Array): boolean {
    return this.gatt?.characteristic(uuid)?.send(value) ?? false;
  }

  /** The link is lost (the device walked away): no Disconnect call; it can be connected again. */
  dropLink(): void {
    this.teardown('link-loss');
  }

  /** The next value the device sends (notified, indicated or read) is corrupted: by default truncated to half its length. */
  corruptNext(corrupt: (value: Uint8Array) => Uint8Array = truncate): void {
    this.corrupt = corrupt;
  }

  /** Every D-Bus method of this device (and its GATT objects) answers `ms` late; 0 ends it. */
  slow(ms: number): void {
    this.delayMs = ms;
  }

  /** The next `n` Connect calls fail with org.bluez.Error.Failed. */
  refuseConnect(n: number): void {
    this.refusals = n;
  }

  /** Exports Device1 (called by the simulator). */
  attach(host: DeviceHost): void {
    if (this.host !== undefined) return;
    this.host = host;
    this.bus = host.service.export(this.path(host), DEVICE, this.impl());
  }

  /** Ends any link and removes the device from the bus (called by the simulator). */
  detach(reason: DisconnectReason = 'removed'): void {
    this.teardown(reason);
    this.timers.clear();
    if (this.host === undefined) return;
    this.host.service.unexport(this.path(this.host));
    this.host = undefined;
    this.bus = undefined;
  }

  private path(host: DeviceHost): string {
    return `${host.adapterPath}/${this.node}`;
  }

  private impl(): InterfaceImpl {
    return {
      get: (p) => this.property(p),
      set: (p, v) => {
        if (p === 'Alias') this.alias = String(v) === '' ? this.name : String(v);
        else if (p === 'Trusted') this.trusted = v === true;
        else if (p === 'Blocked') this.blocked = v === true;
        this.bus?.changed({ [p]: this.property(p) });
      },
      call: async (method) => {
        if (method === 'Connect') this.connects += 1;
        await this.timers.sleep(this.delayMs);
        return this.call(method);
      },
    };
  }

  private property(p: string): unknown {
    const props: Record<string, unknown> = {
      Address: this.address,
      AddressType: this.options.addressType ?? 'public',
      Name: this.name,
      Alias: this.alias,
      Paired: this.paired,
      Bonded: this.paired,
      Trusted: this.trusted,
      Blocked: this.blocked,
      LegacyPairing: false,
      RSSI: this.options.rssi ?? -60,
      Connected: this.linked,
      UUIDs: this.options.services.map((s) => uuid128(s.uuid)),
      Adapter: this.host?.adapterPath ?? '/org/bluez/hci0',
      ServicesResolved: this.resolved,
      ManufacturerData: {},
      ServiceData: {},
    };
    return props[p];
  }

  private call(method: string): void {
    switch (method) {
      case 'Connect':
        return this.connect();
      case 'Disconnect':
        if (!this.linked) throw new BusError(BluezErrors.NotConnected, 'Not Connected');
        return this.teardown('local');
      case 'Pair':
        if (this.paired) throw new BusError('org.bluez.Error.AlreadyExists', 'Already Exists');
        this.paired = true;
        return this.bus?.changed({ Paired: true, Bonded: true });
      case 'CancelPairing':
        throw new BusError(BluezErrors.DoesNotExist, 'No such pairing in progress');
      case 'ConnectProfile':
      case 'DisconnectProfile':
        throw new BusError(BluezErrors.NotSupported, 'Operation is not supported');
      default:
        throw new BusError('org.freedesktop.DBus.Error.UnknownMethod', `${method} is not implemented`);
    }
  }

  private connect(): void {
    const host = this.host;
    if (host === undefined) throw new BusError(BluezErrors.DoesNotExist, 'Does Not Exist');
    if (!host.powered()) throw new BusError(BluezErrors.NotReady, 'Resource Not Ready');
    if (this.refusals > 0) {
      this.refusals -= 1;
      throw new BusError(BluezErrors.Failed, 'le-connection-abort-by-local');
    }
    if (this.linked) return;
    this.link += 1;
    const link = this.link;
    this.gatt = new GattDatabase(host.service, this.path(host), this.options.services, {
      pause: () => this.timers.sleep(this.delayMs),
      outgoing: (uuid, value) => this.outgoing(uuid, value),
      incoming: (uuid, value) => {
        this.written.push({ uuid, value });
        this.events.emit('written', uuid, value);
      },
      later: (fn) => this.timers.after(0, () => link === this.link && fn()),
    });
    this.linked = true;
    this.bus?.changed({ Connected: true });
    const resolve = (): void => {
      if (link !== this.link) return;
      this.resolved = true;
      this.bus?.changed({ ServicesResolved: true });
      this.events.emit('connect');
    };
    const delayMs = this.options.servicesResolveDelayMs ?? 0;
    if (delayMs > 0) this.timers.after(delayMs, resolve);
    else resolve();
  }

  private outgoing(uuid: string, value: Uint8Array): Uint8Array {
    const corrupt = this.corrupt;
    this.corrupt = undefined;
    const out = corrupt === undefined ? value : corrupt(value);
    this.sent.push({ uuid, value: out });
    this.events.emit('sent', uuid, out);
    return out;
  }

  /** GATT objects go, then ServicesResolved and Connected turn false (one signal each). */
  private teardown(reason: DisconnectReason): void {
    if (!this.linked) return;
    this.link += 1;
    this.linked = false;
    this.gatt?.close();
    this.gatt = undefined;
    if (this.resolved) {
      this.resolved = false;
      this.bus?.changed({ ServicesResolved: false });
    }
    this.bus?.changed({ Connected: false });
    this.lastReason = reason;
    this.events.emit('disconnect', reason);
  }

  private next<E extends keyof DeviceEvents>(event: E, timeoutMs: number): Promise<DeviceEvents[E]> {
    return nextOf((listener) => this.on(event, listener), timeoutMs, `${this.name} [${this.address}]: ${event}`);
  }
}
