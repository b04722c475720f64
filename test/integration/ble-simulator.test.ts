import type { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBluetooth, type Adapter, type Device, type GattCharacteristic, type GattServer } from 'node-ble';
import { BloodPressureCuff, GlucoseMeter, WeightScale, type GlucoseInput } from '../../simulators/ble/devices.js';
import { uuid128 } from '../../simulators/ble/bluez/index.js';
import { bloodPressure, glucose } from '../../simulators/ble/encode.js';
import { dbusDaemonMissing, useBlueZ, within } from '../helpers/bluez.js';

const BP_SERVICE = uuid128(0x1810);
const BP_MEASUREMENT = uuid128(0x2a35);
const MEASUREMENT = { systolic: 128, diastolic: 82, meanArterialPressure: 97, pulseRate: 64, timestamp: '2025-03-01T07:30:00' };
const records: GlucoseInput[] = [0.0051, 0.0062, 0.0058, 0.0074, 0.0049].map((molPerL, i) => ({
  sequenceNumber: i + 1,
  baseTime: `2025-03-0${i + 1}T08:00:00`,
  glucoseConcentration: molPerL,
  unit: 'mol/L',
}));

/** Collects a characteristic's values from now on; `first(n)` waits (with a timeout) for the first n, `all()` is what came. */
function collect(characteristic: GattCharacteristic): { first(count: number): Promise<Buffer[]>; all(): Buffer[] } {
  const seen: Buffer[] = [];
  const listeners = new Set<() => void>();
  characteristic.on('valuechanged', (value: Buffer) => {
    seen.push(value);
    for (const check of listeners) check();
  });
  return {
    all: () => [...seen],
    first: (count) =>
      within(
        new Promise((resolve) => {
          const check = (): void => {
            if (seen.length < count) return;
            listeners.delete(check);
            resolve(seen.slice(0, count));
          };
          listeners.add(check);
          check();
        }),
        `${count} value(s)`,
      ),
  };
}

describe.skipIf(dbusDaemonMissing)('BlueZ simulator driven by the real node-ble', () => {
  const bluez = useBlueZ();
  const busErrors: Error[] = [];
  let destroy: () => void = () => undefined;
  let adapter: Adapter;
  beforeAll(async () => {
    const session = createBluetooth();
    destroy = session.destroy;
    // node-ble does not type its dbus-next connection; an 'error' without a listener would crash the worker
    (session.bluetooth as unknown as { dbus: EventEmitter }).dbus.on('error', (e: Error) => busErrors.push(e));
    adapter = await within(session.bluetooth.defaultAdapter(), 'defaultAdapter');
  });
  afterAll(() => {
    destroy();
    expect([...busErrors, ...bluez.simulator.errors]).toEqual([]);
  });

  /** Finds, connects and resolves the services of a device. */
  async function open(address: string): Promise<{ device: Device; gatt: GattServer }> {
    const device = await within(adapter.waitDevice(address, 2_000, 50), `waitDevice ${address}`);
    await within(device.connect(), 'connect');
    return { device, gatt: await within(device.gatt(), 'gatt') };
  }
  async function characteristic(gatt: GattServer, service: string, uuid: string): Promise<GattCharacteristic> {
    const s = await within(gatt.getPrimaryService(service), `service ${service}`);
    return within(s.getCharacteristic(uuid), `characteristic ${uuid}`);
  }

  it('offers a powered adapter on which a known device is present and a new one appears once discovery runs', async () => {
    const cuff = bluez.add(new BloodPressureCuff({ address: 'C0:FF:EE:00:00:01' }));
    const scale = bluez.add(new WeightScale({ address: 'C0:FF:EE:00:00:11', known: false }));
    expect(await within(adapter.isPowered(), 'isPowered')).toBe(true);
    expect(await within(adapter.devices(), 'devices')).not.toContain(scale.device.address);
    await within(adapter.startDiscovery(), 'startDiscovery');
    expect(bluez.simulator.adapter.discoveryFilter).toEqual({ Transport: 'le' });
    const found = await within(adapter.waitDevice(scale.device.address, 2_000, 50), 'waitDevice scale');
    expect(await within(found.getName(), 'getName')).toBe('Sim Scale');
    const device = await within(adapter.waitDevice(cuff.device.address, 2_000, 50), 'waitDevice cuff');
    expect(await within(device.getAddress(), 'getAddress')).toBe('C0:FF:EE:00:00:01');
    await within(adapter.stopDiscovery(), 'stopDiscovery');
  });

  it('indicates a queued blood pressure measurement once notifications start', async () => {
    const cuff = bluez.add(new BloodPressureCuff({ address: 'C0:FF:EE:00:00:02' }));
    const sent = cuff.queue(MEASUREMENT);
    const { device, gatt } = await open(cuff.device.address);
    expect(await within(gatt.services(), 'services')).toEqual(expect.arrayContaining([BP_SERVICE, uuid128(0x1805)]));
    const measurement = await characteristic(gatt, BP_SERVICE, BP_MEASUREMENT);
    const arrived = collect(measurement);
    await within(measurement.startNotifications(), 'startNotifications');
    expect(await arrived.first(1)).toEqual([Buffer.from(bloodPressure(MEASUREMENT))]);
    expect(Buffer.from(sent)).toEqual(Buffer.from(bloodPressure(MEASUREMENT)));
    expect(cuff.pending).toBe(0);
    await within(device.disconnect(), 'disconnect');
    expect(await cuff.device.disconnected()).toBe('local');
  });

  it('reports glucose records with sequence number ≥ 3 of 5, then success, through the RACP', async () => {
    const meter = bluez.add(new GlucoseMeter({ address: 'C0:FF:EE:00:00:03', records }));
    const { device, gatt } = await open(meter.device.address);
    const measurement = await characteristic(gatt, uuid128(0x1808), uuid128(0x2a18));
    const racp = await characteristic(gatt, uuid128(0x1808), uuid128(0x2a52));
    await within(measurement.startNotifications(), 'startNotifications 2A18');
    await within(racp.startNotifications(), 'startNotifications 2A52');
    const reported = collect(measurement);
    const responses = collect(racp);
    // [GLS RACP] report stored records (0x01), greater than or equal to (0x03), sequence number filter (0x01), 3
    await within(racp.writeValue(Buffer.from([0x01, 0x03, 0x01, 0x03, 0x00])), 'write RACP');
    expect(await reported.first(3)).toEqual(records.slice(2).map((r) => Buffer.from(glucose(r))));
    expect((await responses.first(1)).map((v) => [...v])).toEqual([[0x06, 0x00, 0x01, 0x01]]);
    // report number of stored records (0x04), all (0x01) -> number of stored records response (0x05): 5
    await within(racp.writeValue(Buffer.from([0x04, 0x01])), 'write RACP count');
    expect((await responses.first(2)).map((v) => [...v])[1]).toEqual([0x05, 0x00, 0x05, 0x00]);
    expect(reported.all()).toHaveLength(3);
    expect(meter.racpWrites.map((w) => [...w])).toEqual([[0x01, 0x03, 0x01, 0x03, 0x00], [0x04, 0x01]]);
    await within(device.disconnect(), 'disconnect');
  });

  it('loses the link mid-session: node-ble sees the disconnect, and a reconnect resolves services again', async () => {
    const cuff = bluez.add(new BloodPressureCuff({ address: 'C0:FF:EE:00:00:04' }));
    const { device } = await open(cuff.device.address);
    const lost = within(new Promise((resolve) => device.once('disconnect', resolve)), 'disconnect event');
    cuff.device.dropLink();
    expect(await lost).toEqual({ connected: false });
    expect(await within(device.isConnected(), 'isConnected')).toBe(false);
    await within(device.connect(), 'reconnect');
    const gatt = await within(device.gatt(), 'gatt after reconnect');
    expect(await within(gatt.services(), 'services')).toContain(BP_SERVICE);
    expect(cuff.device.connectCalls).toBe(2);
    const measurement = await characteristic(gatt, BP_SERVICE, BP_MEASUREMENT);
    const arrived = collect(measurement);
    await within(measurement.startNotifications(), 'startNotifications');
    const bytes = cuff.queue(MEASUREMENT);
    expect(await arrived.first(1)).toEqual([Buffer.from(bytes)]);
    await within(device.disconnect(), 'disconnect');
  });

  it('delivers corrupt bytes after corruptNext, refuses connects on demand and answers slowly when slow', async () => {
    const cuff = bluez.add(new BloodPressureCuff({ address: 'C0:FF:EE:00:00:05' }));
    cuff.device.refuseConnect(1);
    const device = await within(adapter.waitDevice(cuff.device.address, 2_000, 50), 'waitDevice');
    await expect(within(device.connect(), 'refused connect')).rejects.toMatchObject({ type: 'org.bluez.Error.Failed' });
    cuff.device.slow(200);
    const t0 = performance.now();
    await within(device.connect(), 'slow connect');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    cuff.device.slow(0);
    const gatt = await within(device.gatt(), 'gatt');
    const measurement = await characteristic(gatt, BP_SERVICE, BP_MEASUREMENT);
    const bytes = cuff.queue(MEASUREMENT);
    cuff.device.corruptNext();
    const arrived = collect(measurement);
    await within(measurement.startNotifications(), 'startNotifications');
    expect(await arrived.first(1)).toEqual([Buffer.from(bytes.subarray(0, Math.floor(bytes.length / 2)))]);
    await within(device.disconnect(), 'disconnect');
  });
});
