/**
 * BlueZ simulator: a private `dbus-daemon` (`PrivateBus`) and a stand-in for bluetoothd
 * (`BlueZSimulator`) that owns `org.bluez` on it, with an adapter and simulated devices
 * (`SimulatedDevice`) whose GATT objects appear on Connect and vanish when the link goes. The real
 * node-ble drives it exactly as it drives BlueZ; device models live in ../devices.ts.
 */
export { PrivateBus, DBUS_DAEMON } from './bus.js';
export { BlueZSimulator, type Simulated, type SimulatorOptions } from './simulator.js';
export { SimulatedAdapter, type AdapterOptions } from './adapter.js';
export { SimulatedDevice, type DeviceEvents, type DeviceOptions, type DisconnectReason } from './device.js';
export type { CharacteristicDefinition, CharacteristicFlag, ServiceDefinition } from './gatt.js';
export { BusError } from './dbus.js';
export { BluezErrors, uuid128 } from './interfaces.js';
export { Stream, Upload, type Link } from './upload.js';
export { RecordAccess, RacpOp, RacpOperator, RacpResponse, type RecordStore, type StoredRecord } from './racp.js';
export { currentTime, currentTimeService, localWall } from './current-time.js';
