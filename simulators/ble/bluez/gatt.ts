/**
 * A device's GATT database as BlueZ exports it once services are resolved: one
 * org.bluez.GattService1 object per service (`serviceXXXX`, XXXX its attribute handle in hex) and one
 * org.bluez.GattCharacteristic1 object under it per characteristic (`charXXXX`). Handles are the
 * same on every connection, as with a real device, so a reconnect re-creates the same paths.
 */
import { BusError, type DbusService, type ExportedInterface, type InterfaceImpl } from './dbus.js';
import { BluezErrors, GATT_CHARACTERISTIC, GATT_SERVICE, uuid128 } from './interfaces.js';

/** Characteristic properties as BlueZ names them in `Flags` [org.bluez.GattCharacteristic.rst]. */
export type CharacteristicFlag = 'broadcast' | 'read' | 'write-without-response' | 'write' | 'notify' | 'indicate' | 'authenticated-signed-writes' | 'reliable-write';

/** One characteristic of a simulated device and how the device behaves on it. */
export interface CharacteristicDefinition {
  /** 16-bit SIG UUID (0x2a35) or a full 128-bit one. */
  readonly uuid: number | string;
  readonly flags: readonly CharacteristicFlag[];
  /** What ReadValue answers; default the last value sent. */
  readonly read?: () => Uint8Array;
  /** Called on WriteValue (after the device has logged it); throw a BusError to refuse the write. */
  readonly write?: (value: Uint8Array) => void;
  /** Told when a client enables (true) or disables (false) notifications, and false when the link goes. */
  readonly notifying?: (on: boolean) => void;
}

export interface ServiceDefinition {
  /** 16-bit SIG UUID (0x1810) or a full 128-bit one. */
  readonly uuid: number | string;
  readonly characteristics: readonly CharacteristicDefinition[];
}

/** What a characteristic needs from its device. */
export interface GattHooks {
  /** Awaited before every method answers (the device's `slow(ms)`). */
  pause(): Promise<void>;
  /** Every value leaving the device passes here (corruption, the log of what was sent). */
  outgoing(uuid: string, value: Uint8Array): Uint8Array;
  /** Every value written by the client. */
  incoming(uuid: string, value: Uint8Array): void;
  /** Runs `fn` after the current method's reply has gone out. */
  later(fn: () => void): void;
}

const ATT_MTU = 23; // [Core v5.3 Vol 3 Part F 3.2.8] default LE ATT_MTU
const FIRST_HANDLE = 0x000a;

/** The GATT objects of one connection. */
export class GattDatabase {
  private readonly characteristics = new Map<string, ExportedCharacteristic>();
  private readonly paths: string[] = [];

  constructor(
    private readonly service: DbusService,
    devicePath: string,
    services: readonly ServiceDefinition[],
    hooks: GattHooks,
  ) {
    let handle = FIRST_HANDLE;
    for (const s of services) {
      const servicePath = `${devicePath}/service${hex4(handle)}`;
      const serviceHandle = handle;
      const uuid = uuid128(s.uuid);
      this.export(servicePath, {
        get: (p) => ({ UUID: uuid, Primary: true, Device: devicePath, Includes: [], Handle: serviceHandle })[p],
        call: () => undefined,
      });
      handle += 1;
      for (const c of s.characteristics) {
        // declaration, value and, for notify/indicate, the Client Characteristic Configuration descriptor
        const path = `${servicePath}/char${hex4(handle)}`;
        const characteristic = new ExportedCharacteristic(c, servicePath, handle + 1, hooks);
        characteristic.link(this.export(path, characteristic, true));
        this.characteristics.set(characteristic.uuid, characteristic);
        handle += c.flags.includes('notify') || c.flags.includes('indicate') ? 3 : 2;
      }
    }
  }

  private export(path: string, impl: InterfaceImpl, characteristic = false): ExportedInterface {
    this.paths.push(path);
    return this.service.export(path, characteristic ? GATT_CHARACTERISTIC : GATT_SERVICE, impl);
  }

  characteristic(uuid: number | string): ExportedCharacteristic | undefined {
    return this.characteristics.get(uuid128(uuid));
  }

  /** Removes every object (children first), ending notification sessions without telling clients. */
  close(): void {
    for (const c of this.characteristics.values()) c.end();
    for (const path of [...this.paths].reverse()) this.service.unexport(path);
  }
}

/** org.bluez.GattCharacteristic1 of one characteristic on one connection. */
export class ExportedCharacteristic implements InterfaceImpl {
  readonly uuid: string;
  private value: Uint8Array = new Uint8Array(0);
  private notifying = false;
  private bus: ExportedInterface | undefined;

  constructor(
    private readonly definition: CharacteristicDefinition,
    private readonly servicePath: string,
    private readonly handle: number,
    private readonly hooks: GattHooks,
  ) {
    this.uuid = uuid128(definition.uuid);
  }

  link(bus: ExportedInterface): void {
    this.bus = bus;
  }

  get isNotifying(): boolean {
    return this.notifying;
  }

  get(property: string): unknown {
    const { uuid, servicePath: Service, value: Value, notifying: Notifying, handle: Handle } = this;
    return { UUID: uuid, Service, Value, Notifying, Flags: this.definition.flags, Handle, MTU: ATT_MTU }[property];
  }

  async call(method: string, args: readonly unknown[]): Promise<unknown> {
    await this.hooks.pause();
    const flags = this.definition.flags;
    switch (method) {
      case 'ReadValue': {
        if (!flags.includes('read')) throw new BusError(BluezErrors.NotPermitted, 'Read not permitted');
        const offset = Number(optionValue(args[0], 'offset') ?? 0);
        const value = this.hooks.outgoing(this.uuid, (this.definition.read?.() ?? this.value).subarray(offset));
        // BlueZ caches what it read in Value and signals it, so a read also reaches listeners [ble.md]
        this.update(value);
        return value;
      }
      case 'WriteValue': {
        if (!flags.includes('write') && !flags.includes('write-without-response')) throw new BusError(BluezErrors.NotPermitted, 'Write not permitted');
        const value = Uint8Array.from(args[0] as Buffer);
        this.hooks.incoming(this.uuid, value);
        this.definition.write?.(value);
        return undefined;
      }
      case 'StartNotify':
        if (!flags.includes('notify') && !flags.includes('indicate')) throw new BusError(BluezErrors.NotSupported, 'Operation is not supported');
        if (this.notifying) return undefined;
        this.notifying = true;
        this.bus?.changed({ Notifying: true });
        this.hooks.later(() => {
          if (this.notifying) this.definition.notifying?.(true);
        });
        return undefined;
      case 'StopNotify':
        if (!this.notifying) throw new BusError(BluezErrors.Failed, 'No notify session started');
        this.notifying = false;
        this.bus?.changed({ Notifying: false });
        this.definition.notifying?.(false);
        return undefined;
      default:
        throw new BusError('org.freedesktop.DBus.Error.UnknownMethod', `${method} is not implemented`);
    }
  }

  /** Notifies or indicates `value` if the client enabled it; false (nothing sent) otherwise. */
  send(value: Uint8Array): boolean {
    if (!this.notifying) return false;
    this.update(this.hooks.outgoing(this.uuid, value));
    return true;
  }

  /** The link is gone: the session ends with no signal (the object is being removed). */
  end(): void {
    if (!this.notifying) return;
    this.notifying = false;
    this.definition.notifying?.(false);
  }

  private update(value: Uint8Array): void {
    this.value = value;
    this.bus?.changed({ Value: value });
  }
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** A value of an `a{sv}` options argument (dbus-next gives `{ signature, value }` variants). */
function optionValue(options: unknown, key: string): unknown {
  const entry = (options as Record<string, { value?: unknown } | undefined> | undefined)?.[key];
  return entry?.value;
}
