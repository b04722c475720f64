/**
 * The BLE bridge: Bluetooth health devices (GATT indications and notifications, stored records)
 * through BlueZ into the same pipeline as MQTT readings.
 */
export { BleBridge, type BleBridgeOptions, type BleBridgeStatus, type BleDevice, type BleDeviceStatus, type BleIngest, type RecordCursors } from './bridge.js';
export { NodeBleStack, fullUuid, type NodeBleOptions } from './node-ble.js';
export { BleTimeout, within, type BleLink, type BleStack } from './port.js';
export { BLE_OFF, startBleBridge, type BleBridgeHandle } from './start.js';
