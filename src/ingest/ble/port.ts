/**
 * What the BLE bridge needs from the Bluetooth stack: the port the node-ble adapter (node-ble.ts)
 * implements over BlueZ's D-Bus API. UUIDs are 16-bit SIG ids (`1810`, `2A35`).
 */
export interface BleStack {
  /** The adapter's address, once powered on. */
  powerOn(): Promise<string>;
  /** Finds the device (discovering if need be), connects, and resolves its GATT services. */
  connect(address: string): Promise<BleLink>;
  /** Ends the bus connection (once, at gateway stop). */
  close(): Promise<void>;
}

/** One connection to one device. */
export interface BleLink {
  /** Calls `onValue` with each notified or indicated value of the characteristic. */
  subscribe(service: string, characteristic: string, onValue: (bytes: Uint8Array) => void): Promise<void>;
  read(service: string, characteristic: string): Promise<Uint8Array>;
  write(service: string, characteristic: string, bytes: Uint8Array): Promise<void>;
  /** Resolves when the link drops (the device walked away, or `disconnect`). */
  readonly closed: Promise<void>;
  /** Disconnects and drops every subscription's listener. Idempotent. */
  disconnect(): Promise<void>;
}

/** A call into the stack that did not answer in time (D-Bus calls hang when the bus or the peer dies). */
export class BleTimeout extends Error {}

/** `promise`, or a {@link BleTimeout} after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    // Unref'd: a call hanging on a dead bus must not keep a stopping gateway alive.
    timer = setTimeout(() => reject(new BleTimeout(`${what}: no answer within ${ms} ms`)), ms).unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
