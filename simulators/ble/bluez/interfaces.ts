/**
 * The org.bluez interfaces the simulator exports, with the signatures of BlueZ 5 [BlueZ
 * doc/org.bluez.Adapter.rst, org.bluez.Device.rst, org.bluez.GattService.rst,
 * org.bluez.GattCharacteristic.rst, org.bluez.AgentManager.rst]. Only properties that always have
 * a value are listed: dbus-next fails a whole GetAll when one getter answers undefined.
 */
import type { InterfaceSpec } from './dbus.js';

export const AGENT_MANAGER: InterfaceSpec = {
  name: 'org.bluez.AgentManager1',
  properties: {},
  methods: { RegisterAgent: { in: 'os' }, UnregisterAgent: { in: 'o' }, RequestDefaultAgent: { in: 'o' } },
};

export const ADAPTER: InterfaceSpec = {
  name: 'org.bluez.Adapter1',
  properties: {
    Address: { signature: 's' },
    AddressType: { signature: 's' },
    Name: { signature: 's' },
    Alias: { signature: 's', writable: true },
    Class: { signature: 'u' },
    Powered: { signature: 'b', writable: true },
    Discoverable: { signature: 'b', writable: true },
    DiscoverableTimeout: { signature: 'u', writable: true },
    Pairable: { signature: 'b', writable: true },
    PairableTimeout: { signature: 'u', writable: true },
    Discovering: { signature: 'b' },
    UUIDs: { signature: 'as' },
    Modalias: { signature: 's' },
  },
  methods: {
    StartDiscovery: {},
    StopDiscovery: {},
    RemoveDevice: { in: 'o' },
    SetDiscoveryFilter: { in: 'a{sv}' },
    GetDiscoveryFilters: { out: 'as' },
  },
};

export const DEVICE: InterfaceSpec = {
  name: 'org.bluez.Device1',
  properties: {
    Address: { signature: 's' },
    AddressType: { signature: 's' },
    Name: { signature: 's' },
    Alias: { signature: 's', writable: true },
    Paired: { signature: 'b' },
    Bonded: { signature: 'b' },
    Trusted: { signature: 'b', writable: true },
    Blocked: { signature: 'b', writable: true },
    LegacyPairing: { signature: 'b' },
    RSSI: { signature: 'n' },
    Connected: { signature: 'b' },
    UUIDs: { signature: 'as' },
    Adapter: { signature: 'o' },
    ServicesResolved: { signature: 'b' },
    ManufacturerData: { signature: 'a{qv}' },
    ServiceData: { signature: 'a{sv}' },
  },
  methods: {
    Connect: {},
    Disconnect: {},
    ConnectProfile: { in: 's' },
    DisconnectProfile: { in: 's' },
    Pair: {},
    CancelPairing: {},
  },
};

export const GATT_SERVICE: InterfaceSpec = {
  name: 'org.bluez.GattService1',
  properties: {
    UUID: { signature: 's' },
    Primary: { signature: 'b' },
    Device: { signature: 'o' },
    Includes: { signature: 'ao' },
    Handle: { signature: 'q' },
  },
  methods: {},
};

export const GATT_CHARACTERISTIC: InterfaceSpec = {
  name: 'org.bluez.GattCharacteristic1',
  properties: {
    UUID: { signature: 's' },
    Service: { signature: 'o' },
    Value: { signature: 'ay' },
    Notifying: { signature: 'b' },
    Flags: { signature: 'as' },
    Handle: { signature: 'q' },
    MTU: { signature: 'q' },
  },
  methods: {
    ReadValue: { in: 'a{sv}', out: 'ay' },
    WriteValue: { in: 'aya{sv}' },
    StartNotify: {},
    StopNotify: {},
  },
};

/** BlueZ's error names [BlueZ doc: "Possible errors"]. */
export const BluezErrors = {
  Failed: 'org.bluez.Error.Failed',
  InProgress: 'org.bluez.Error.InProgress',
  NotConnected: 'org.bluez.Error.NotConnected',
  NotPermitted: 'org.bluez.Error.NotPermitted',
  NotSupported: 'org.bluez.Error.NotSupported',
  NotReady: 'org.bluez.Error.NotReady',
  DoesNotExist: 'org.bluez.Error.DoesNotExist',
  InvalidArguments: 'org.bluez.Error.InvalidArguments',
} as const;

/** Full 128-bit lowercase form of a SIG 16-bit UUID, as BlueZ reports it [ble.md]; full UUIDs are lower-cased. */
export function uuid128(uuid: number | string): string {
  if (typeof uuid === 'number') return `0000${uuid.toString(16).padStart(4, '0')}-0000-1000-8000-00805f9b34fb`;
  return /^[0-9a-f]{4}$/i.test(uuid) ? uuid128(Number.parseInt(uuid, 16)) : uuid.toLowerCase();
}

/** `AA:BB:CC:DD:EE:FF` → `dev_AA_BB_CC_DD_EE_FF` [BlueZ device object paths]. */
export const deviceNode = (address: string): string => `dev_${address.toUpperCase().replace(/:/g, '_')}`;
