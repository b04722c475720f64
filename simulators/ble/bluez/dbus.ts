/**
 * The one place that speaks dbus-next: a connection to a bus that owns a well-known name and
 * exports objects described as plain data (`InterfaceSpec`) and served by plain objects
 * (`InterfaceImpl`). The rest of the simulator never sees dbus-next's classes, so swapping the
 * D-Bus library touches only this file.
 */
import dbus from 'dbus-next';

/** A D-Bus interface: its name, property signatures and method signatures. */
export interface InterfaceSpec {
  readonly name: string;
  readonly properties: Readonly<Record<string, { readonly signature: string; readonly writable?: boolean }>>;
  readonly methods: Readonly<Record<string, { readonly in?: string; readonly out?: string }>>;
}

/**
 * What serves an exported interface. Values are dbus-next's JavaScript forms: `ay` arrives as a
 * Buffer, `a{sv}` as an object of `{ signature, value }` variants; return `Uint8Array`s for `ay`.
 */
export interface InterfaceImpl {
  get(property: string): unknown;
  set?(property: string, value: unknown): void;
  call(method: string, args: readonly unknown[]): unknown;
}

/** An exported interface: tell clients that properties changed. */
export interface ExportedInterface {
  /** Emits `org.freedesktop.DBus.Properties.PropertiesChanged` with these new values. */
  changed(properties: Readonly<Record<string, unknown>>): void;
}

/** An error a method answers with, e.g. `org.bluez.Error.Failed` [BlueZ doc/device-api.txt]. */
export class BusError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'BusError';
  }
}

type Served = InstanceType<typeof dbus.interface.Interface> & { readonly impl: InterfaceImpl };

/** One dbus-next Interface class per spec, its members delegating to the instance's `impl`. */
const classes = new WeakMap<InterfaceSpec, new (impl: InterfaceImpl) => Served>();

function classFor(spec: InterfaceSpec): new (impl: InterfaceImpl) => Served {
  const known = classes.get(spec);
  if (known !== undefined) return known;
  class Delegating extends dbus.interface.Interface {
    constructor(readonly impl: InterfaceImpl) {
      super(spec.name);
    }
  }
  for (const property of Object.keys(spec.properties)) {
    Object.defineProperty(Delegating.prototype, property, {
      get(this: Served) {
        return toWire(this.impl.get(property));
      },
      set(this: Served, value: unknown) {
        if (this.impl.set === undefined) throw new dbus.DBusError('org.freedesktop.DBus.Error.PropertyReadOnly', `${property} is read-only`);
        this.impl.set(property, value);
      },
    });
  }
  for (const method of Object.keys(spec.methods)) {
    Object.defineProperty(Delegating.prototype, method, {
      async value(this: Served, ...args: unknown[]) {
        try {
          return toWire(await this.impl.call(method, args));
        } catch (e) {
          if (e instanceof BusError) throw new dbus.DBusError(e.type, e.message);
          throw e;
        }
      },
    });
  }
  Delegating.configureMembers({
    properties: Object.fromEntries(
      Object.entries(spec.properties).map(([name, p]) => [name, { signature: p.signature, access: p.writable === true ? 'readwrite' : 'read' }]),
    ),
    methods: Object.fromEntries(Object.entries(spec.methods).map(([name, m]) => [name, { inSignature: m.in ?? '', outSignature: m.out ?? '' }])),
  });
  classes.set(spec, Delegating);
  return Delegating;
}

/** dbus-next marshals `ay` from a Buffer or an array, not from a bare Uint8Array. */
const toWire = (value: unknown): unknown => (value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value) : value);

/** A bus connection that owns a well-known name and serves exported objects. */
export class DbusService {
  private readonly exported = new Map<string, Served[]>();

  private constructor(private readonly bus: ReturnType<typeof dbus.sessionBus>) {}

  /** Connects to `busAddress` and becomes the primary owner of `name` (fails if another owns it). */
  static async connect(busAddress: string, name: string, onError: (e: Error) => void): Promise<DbusService> {
    const bus = dbus.sessionBus({ busAddress });
    bus.on('error', onError);
    const reply = await bus.requestName(name, dbus.NameFlag.DO_NOT_QUEUE);
    if (reply !== dbus.RequestNameReply.PRIMARY_OWNER) {
      bus.disconnect();
      throw new Error(`could not own ${name} on ${busAddress} (RequestName reply ${reply})`);
    }
    return new DbusService(bus);
  }

  /**
   * Exports `impl` as `spec` at `path`. dbus-next answers Introspect for every path, listing
   * exported descendants as child nodes, which is how node-ble finds devices and GATT objects.
   */
  export(path: string, spec: InterfaceSpec, impl: InterfaceImpl): ExportedInterface {
    const iface = new (classFor(spec))(impl);
    this.bus.export(path, iface);
    this.exported.set(path, [...(this.exported.get(path) ?? []), iface]);
    return {
      changed: (properties) => {
        if (!this.exported.get(path)?.includes(iface)) return; // gone from the bus: nobody to tell
        dbus.interface.Interface.emitPropertiesChanged(iface, Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, toWire(v)])));
      },
    };
  }

  /** Removes every interface at `path`. */
  unexport(path: string): void {
    if (!this.exported.delete(path)) return;
    this.bus.unexport(path);
  }

  /** Drops the connection (the name goes with it); idempotent. */
  close(): void {
    for (const path of [...this.exported.keys()]) this.unexport(path);
    this.bus.disconnect();
  }
}
