/**
 * The part of dbus-next 0.10 (untyped JavaScript) that simulators/ble/bluez/dbus.ts uses: a
 * session-bus connection to a given address, requesting a name, exporting service interfaces
 * configured with `configureMembers`, and D-Bus errors.
 */
declare module 'dbus-next' {
  import type { EventEmitter } from 'node:events';

  interface MemberAccess {
    /** 'read' | 'write' | 'readwrite' (default). */
    access?: string;
  }
  interface PropertyOptions extends MemberAccess {
    signature: string;
    name?: string;
  }
  interface MethodOptions {
    inSignature?: string;
    outSignature?: string;
    name?: string;
  }
  interface Members {
    properties?: Record<string, PropertyOptions>;
    methods?: Record<string, MethodOptions>;
  }

  class Interface {
    constructor(name: string);
    readonly $name: string;
    static configureMembers(members: Members): void;
    static emitPropertiesChanged(iface: Interface, changed: Record<string, unknown>, invalidated?: string[]): void;
  }

  class DBusError extends Error {
    constructor(type: string, text: string);
    readonly type: string;
    readonly text: string;
  }

  class Variant<T = unknown> {
    constructor(signature: string, value: T);
    readonly signature: string;
    readonly value: T;
  }

  interface MessageBus extends EventEmitter {
    /** The unique name (`:1.n`), null until connected. */
    readonly name: string | null;
    requestName(name: string, flags: number): Promise<number>;
    export(path: string, iface: Interface): void;
    unexport(path: string, iface?: Interface): void;
    disconnect(): void;
  }

  interface DbusNext {
    sessionBus(options: { busAddress: string }): MessageBus;
    interface: { Interface: typeof Interface };
    DBusError: typeof DBusError;
    Variant: typeof Variant;
    /** RequestName flags [D-Bus spec, RequestName]. */
    NameFlag: { ALLOW_REPLACEMENT: number; REPLACE_EXISTING: number; DO_NOT_QUEUE: number };
    /** RequestName replies: PRIMARY_OWNER 1 … */
    RequestNameReply: { PRIMARY_OWNER: number; IN_QUEUE: number; EXISTS: number; ALREADY_OWNER: number };
  }

  const dbus: DbusNext;
  export default dbus;
}
