import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BloodPressureCuff, GlucoseMeter, HeartRateStrap, PulseOximeter, Thermometer, WeightScale, type GlucoseInput } from '../../simulators/ble/devices.js';
import { dbusDaemonMissing, useBlueZ } from '../helpers/bluez.js';
import { useCleanups } from '../helpers/cleanup.js';
import { startGateway, tempDir, type TestGateway } from '../helpers/gateway.js';
import { until } from '../helpers/until.js';
import { clockFrom } from '../helpers/clock.js';
import type { Clock } from '../../src/domain/index.js';

const defer = useCleanups();
/** Short waits: the simulator answers at once, and tests see reconnections within a second. */
const BLE = { 'ble.reconnectBaseMs': 50, 'ble.reconnectMaxMs': 200, 'ble.refreshMs': 100, 'ble.callTimeoutMs': 2_000, 'ble.connectTimeoutMs': 3_000, 'ble.racpTimeoutMs': 3_000 };

/**
 * A gateway on the BlueZ simulator. Devices here send their own (local) time stamps, so the tests
 * that name dates give the gateway a clock on the same day.
 */
async function gateway(dir?: string, clock?: Clock): Promise<TestGateway> {
  let dataDir = dir;
  if (dataDir === undefined) {
    const tmp = tempDir();
    defer(tmp.remove);
    dataDir = tmp.dir;
  }
  const gw = await startGateway(dataDir, BLE, clock);
  defer(() => gw.stop());
  expect(await gw.ble, 'the BLE bridge runs against the simulator').toBeDefined();
  return gw;
}

const stored = (gw: TestGateway, deviceId: string) => gw.store.readings.query({ deviceId });
const values = (gw: TestGateway, deviceId: string) => Object.fromEntries(stored(gw, deviceId).map((r) => [r.metric, [r.value, r.unit]]));

const records = (n: number, first = 1): GlucoseInput[] =>
  Array.from({ length: n }, (_, i) => ({
    sequenceNumber: first + i,
    baseTime: `2026-11-${String(1 + ((first + i) % 20)).padStart(2, '0')}T08:00:00`,
    timeOffset: 0,
    glucoseConcentration: Number(`${50 + first + i}e-4`), // 5.1, 5.2 … mmol/L as mol/L
    unit: 'mol/L' as const,
    type: 'capillaryPlasma',
    sampleLocation: 'finger',
  }));

describe.skipIf(dbusDaemonMissing)('BLE bridge (real node-ble, BlueZ simulated on a private D-Bus)', () => {
  const bluez = useBlueZ();

  it('a BP cuff\'s stored measurement, indicated after connect, becomes one reading in canonical units, in the profile\'s time zone', async () => {
    // A day in British Summer Time, on the gateway's clock and the cuff's.
    const clock = clockFrom('2026-09-01T12:00:00Z');
    const gw = await gateway(undefined, clock);
    const cuff = bluez.add(new BloodPressureCuff({ address: 'AA:00:00:00:00:01', now: () => clock.now() }));
    cuff.queue({ unit: 'kPa', systolic: 17.1, diastolic: 11.2, meanArterialPressure: 13.1, pulseRate: 64, timestamp: '2026-09-01T07:30:00' });
    await gw.addDevice('ble-bp-cuff', { id: 'ble-cuff-1', bleAddress: 'aa-00-00-00-00-01' });
    await until(async () => stored(gw, 'ble-cuff-1').length, (n) => n === 3, 'the cuff reading stored');
    // 17.1 kPa → 128 mm[Hg], 11.2 kPa → 84 mm[Hg] (profile decimals 0) [units.ts: 1 kPa = 7.50062 mmHg]
    expect(values(gw, 'ble-cuff-1')).toEqual({ systolic: [128, 'mm[Hg]'], diastolic: [84, 'mm[Hg]'], pulse: [64, '/min'] });
    // 07:30 BST (Europe/London in September) is 06:30 UTC.
    expect(stored(gw, 'ble-cuff-1')[0]?.takenAtMs).toBe(Date.parse('2026-09-01T06:30:00Z'));
    const bridge = await gw.ble;
    const [status] = await until(async () => bridge?.status().devices ?? [], (d) => d[0]?.lastReadingAtMs !== undefined, 'the bridge\'s status updated');
    expect(status).toMatchObject({ deviceId: 'ble-cuff-1', address: 'AA:00:00:00:00:01', connected: true });
    expect(await gw.metrics.render()).toMatch(/vg_ble_devices\{state="connected"\} 1\n/);
    const health = (await (await fetch(`http://127.0.0.1:${gw.httpPort as number}/healthz`)).json()) as { ble: { state: string; devices: unknown[] } };
    expect(health.ble).toMatchObject({ state: 'running', devices: [{ deviceId: 'ble-cuff-1', connected: true, lastReadingAt: expect.any(String) }] });
  });

  it('a heart-rate strap\'s notifications become readings at its rate, and resume after it walks away and comes back', async () => {
    const gw = await gateway();
    const strap = bluez.add(new HeartRateStrap({ address: 'AA:00:00:00:00:02', periodMs: 50, currentTime: false, measurement: (i) => ({ heartRate: 70 + (i % 5), sensorContact: 'detected' }) }));
    await gw.addDevice('ble-hr-strap', { id: 'ble-strap-1', bleAddress: 'AA:00:00:00:00:02' });
    await strap.device.connected(5_000);
    const startedAt = performance.now();
    await until(async () => stored(gw, 'ble-strap-1').length, (n) => n >= 20, '20 heart-rate readings');
    // 20 readings at one per 50 ms take about a second (not a burst, not a trickle).
    expect(performance.now() - startedAt).toBeGreaterThan(600);
    expect(stored(gw, 'ble-strap-1').every((r) => r.metric === 'heartRate' && r.unit === '/min' && r.value >= 70 && r.value <= 74)).toBe(true);
    strap.device.dropLink();
    const before = stored(gw, 'ble-strap-1').length;
    await strap.device.connected(5_000); // the bridge reconnects with back-off
    await until(async () => stored(gw, 'ble-strap-1').length, (n) => n >= before + 10, 'readings again after the reconnection');
    expect(strap.device.connectCalls).toBeGreaterThanOrEqual(2);
  });

  it('measures a device\'s clock from Current Time on connect and corrects a drifting one, as for MQTT devices', async () => {
    // A day in November, when London time is UTC, so the cuff's local stamps read as UTC.
    const clock = clockFrom('2026-11-20T12:00:00Z');
    const gw = await gateway(undefined, clock);
    const aheadMs = 10 * 60_000;
    const cuff = bluez.add(new BloodPressureCuff({ address: 'AA:00:00:00:00:08', clockOffsetMs: aheadMs, now: () => clock.now() }));
    // Taken 5 minutes ago by the real clock; the cuff, 10 minutes fast, stamped its own time.
    const takenAtMs = Math.floor((clock.now() - 5 * 60_000) / 1000) * 1000;
    cuff.queue({ systolic: 132, diastolic: 84, meanArterialPressure: 100, timestamp: new Date(takenAtMs + aheadMs).toISOString().slice(0, 19) });
    await gw.addDevice('ble-bp-cuff', { id: 'ble-cuff-3', bleAddress: 'AA:00:00:00:00:08' });
    await until(async () => stored(gw, 'ble-cuff-3').length, (n) => n === 2, 'the reading stored');
    const [row] = stored(gw, 'ble-cuff-3');
    expect(Math.abs((row?.takenAtMs as number) - takenAtMs)).toBeLessThan(3_000);
    expect(row?.deviceTakenAtMs).toBe(takenAtMs + aheadMs);
    expect(gw.store.devices.health('ble-cuff-3')).toMatchObject({ clockDrift: true, clockOffsetMs: expect.closeTo(-aheadMs, -4) });
  });

  it('survives 150 link losses in a row on its one bus connection, and no listener of an earlier link fires again', async () => {
    const gw = await gateway();
    const strap = bluez.add(new HeartRateStrap({ address: 'AA:00:00:00:00:11', periodMs: 20, currentTime: false }));
    await gw.addDevice('ble-hr-strap', { id: 'ble-strap-3', bleAddress: 'AA:00:00:00:00:11' });
    for (let i = 0; i < 150; i++) {
      // Dropped mid-stream: once the bridge listens to the strap.
      await until(async () => strap.device.notifying(0x2a37), (on) => on, `listening again (cycle ${i})`);
      strap.device.dropLink();
    }
    await strap.device.connected(5_000);
    const before = stored(gw, 'ble-strap-3').length;
    await until(async () => stored(gw, 'ble-strap-3').length, (n) => n >= before + 10, 'readings after 150 reconnections');
    // At most one reading per notification: no listener of an earlier link fires again.
    await until(async () => (await gw.ble)?.status().devices[0]?.lastReadingAtMs, (t) => t !== undefined, 'settled');
    expect(stored(gw, 'ble-strap-3').length).toBeLessThanOrEqual(strap.sent);
    expect(await gw.metrics.render()).not.toMatch(/vg_readings_duplicate_total\{profile="ble-hr-strap"\} [1-9]/);
    expect(strap.device.connectCalls).toBeGreaterThanOrEqual(151);
  }, 60_000);

  it('times out calls to a device that stops answering, and connects once it answers again', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const gw = await startGateway(tmp.dir, { ...BLE, 'ble.callTimeoutMs': 300, 'ble.connectTimeoutMs': 600 });
    defer(() => gw.stop());
    const strap = bluez.add(new HeartRateStrap({ address: 'AA:00:00:00:00:09', periodMs: 50, currentTime: false }));
    strap.device.slow(1_500);
    await gw.addDevice('ble-hr-strap', { id: 'ble-strap-2', bleAddress: 'AA:00:00:00:00:09' });
    await until(async () => strap.device.connectCalls, (n) => n >= 2, 'a second attempt after the first timed out');
    expect(stored(gw, 'ble-strap-2')).toHaveLength(0);
    strap.device.slow(0);
    await until(async () => stored(gw, 'ble-strap-2').length, (n) => n >= 5, 'readings once the strap answers');
  });

  it('downloads a glucose meter\'s 20 stored records once: a reconnection asks only for newer ones, and fetches none twice', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    // The records are stamped 1–20 November (local time): the gateway and the meter read the 22nd.
    const clock = clockFrom('2026-11-22T12:00:00Z');
    const gw = await gateway(tmp.dir, clock);
    const meter = bluez.add(new GlucoseMeter({ address: 'AA:00:00:00:00:03', records: records(20), now: () => clock.now() }));
    await gw.addDevice('ble-glucose-meter', { id: 'ble-meter-1', bleAddress: 'AA:00:00:00:00:03' });
    await until(async () => gw.store.devices.recordCursor('ble-meter-1'), (c) => c === 20, 'the 20 records fetched');
    expect(stored(gw, 'ble-meter-1')).toHaveLength(20);
    // mol/L → mmol/L: 0.0051 … 0.0070 mol/L are 5.1 … 7.0 mmol/L.
    const mmol = (rs: readonly GlucoseInput[]) => rs.map((r) => Number(`${r.glucoseConcentration as number}e3`)).sort((a, b) => a - b);
    expect(stored(gw, 'ble-meter-1').map((r) => r.value).sort((a, b) => a - b)).toEqual(mmol(records(20)));
    expect([...(meter.racpWrites[0] ?? [])]).toEqual([0x01, 0x01]); // first time: all records
    meter.addRecord(records(1, 21)[0] as GlucoseInput);
    meter.device.dropLink();
    await until(async () => gw.store.devices.recordCursor('ble-meter-1'), (c) => c === 21, 'record 21 fetched after the reconnection');
    // [Glucose Service RACP] report stored records, ≥, by sequence number, from 21.
    expect([...(meter.racpWrites[1] ?? [])]).toEqual([0x01, 0x03, 0x01, 21, 0]);
    expect(stored(gw, 'ble-meter-1')).toHaveLength(21);

    // The cursor is kept in the store: after a restart the meter is asked only for what is new.
    await gw.stop();
    meter.addRecord(records(1, 22)[0] as GlucoseInput);
    const again = await gateway(tmp.dir, clock);
    await until(async () => again.store.devices.recordCursor('ble-meter-1'), (c) => c === 22, 'record 22 fetched after the restart');
    expect([...(meter.racpWrites.at(-1) ?? [])]).toEqual([0x01, 0x03, 0x01, 22, 0]);
    expect(stored(again, 'ble-meter-1')).toHaveLength(22);
  });

  it('fetches a stored record that failed to store again on the next connection: 30 records, the 12th failing once, each stored once', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const clock = clockFrom('2026-11-22T12:00:00Z');
    const gw = await gateway(tmp.dir, clock);
    // Another process makes the 12th record's insert fail, as a full disk would (0.0062 mol/L is 6.2 mmol/L).
    const other = new Database(join(tmp.dir, 'gateway.db'));
    defer(() => other.close());
    other.exec(`CREATE TRIGGER refuse_12 BEFORE INSERT ON readings WHEN NEW.values_json ->> '$.bloodGlucose[0]' = 6.2 BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    const meter = bluez.add(new GlucoseMeter({ address: 'AA:00:00:00:00:12', records: records(30), now: () => clock.now() }));
    await gw.addDevice('ble-glucose-meter', { id: 'ble-meter-12', bleAddress: 'AA:00:00:00:00:12' });
    await until(async () => stored(gw, 'ble-meter-12').length, (n) => n === 29, 'the 29 records that could be stored');
    await until(async () => gw.store.devices.recordCursor('ble-meter-12'), (c) => c === 11, 'the cursor held before the failed record');
    other.exec('DROP TRIGGER refuse_12');
    meter.device.dropLink();
    await until(async () => gw.store.devices.recordCursor('ble-meter-12'), (c) => c === 30, 'the cursor past all 30 after the next connection');
    // [Glucose Service RACP] the next request starts at the record that failed: ≥ 12.
    expect([...(meter.racpWrites[1] ?? [])]).toEqual([0x01, 0x03, 0x01, 12, 0]);
    const values = stored(gw, 'ble-meter-12').map((r) => r.value).sort((a, b) => a - b);
    expect(values).toHaveLength(30);
    expect(new Set(values).size).toBe(30);
  });

  it('rejects a corrupt value alone (dead letter with its issue) and stores the next one', async () => {
    const gw = await gateway(undefined, clockFrom('2026-11-21T12:00:00Z'));
    const scale = bluez.add(new WeightScale({ address: 'AA:00:00:00:00:04', currentTime: false, uploadIntervalMs: 50 }));
    scale.device.corruptNext();
    scale.queue({ unit: 'lb', weight: 154.7, timestamp: '2026-11-20T07:00:00' });
    scale.queue({ unit: 'lb', weight: 155.1, timestamp: '2026-11-21T07:00:00' });
    await gw.addDevice('ble-scale', { id: 'ble-scale-1', bleAddress: 'AA:00:00:00:00:04' });
    await until(async () => stored(gw, 'ble-scale-1').length, (n) => n === 1, 'the second weight stored');
    // 155.1 lb × 0.45359237 = 70.35 kg (profile decimals 2)
    expect(values(gw, 'ble-scale-1')).toEqual({ bodyWeight: [70.35, 'kg'] });
    const [dead] = gw.store.deadLetters.list({ deviceId: 'ble-scale-1' });
    expect(dead).toMatchObject({ topic: 'ble/AA:00:00:00:00:04/2A9D', issues: [{ code: 'truncated' }] });
    expect(await gw.metrics.render()).toMatch(/vg_messages_rejected_total\{code="truncated"\} 1/);
  });

  it('serves several devices at once: thermometer in °F, pulse oximeter spot-check, and a cuff refusing its first connections', async () => {
    const clock = clockFrom('2026-11-20T21:00:00Z');
    const gw = await gateway(undefined, clock);
    const thermometer = bluez.add(new Thermometer({ address: 'AA:00:00:00:00:05', currentTime: false }));
    // Its spot check alone: no continuous measurement within the test (the cuff's refusals can take a while on a busy machine).
    const oximeter = bluez.add(new PulseOximeter({ address: 'AA:00:00:00:00:06', currentTime: false, periodMs: 3_600_000 }));
    const cuff = bluez.add(new BloodPressureCuff({ address: 'AA:00:00:00:00:07', now: () => clock.now() }));
    thermometer.queue({ temperature: 100.4, unit: 'F', timestamp: '2026-11-20T20:00:00', temperatureType: 'ear' });
    oximeter.queue({ spo2: 91, pulseRate: 104, timestamp: '2026-11-20T20:01:00' });
    cuff.queue({ systolic: 141, diastolic: 92, meanArterialPressure: 108, timestamp: '2026-11-20T20:02:00' });
    cuff.device.refuseConnect(2);
    await gw.addDevice('ble-thermometer', { id: 'ble-thermo-1', bleAddress: 'AA:00:00:00:00:05' });
    await gw.addDevice('ble-pulse-oximeter', { id: 'ble-oxi-1', bleAddress: 'AA:00:00:00:00:06' });
    await gw.addDevice('ble-bp-cuff', { id: 'ble-cuff-2', bleAddress: 'AA:00:00:00:00:07' });
    await until(async () => ['ble-thermo-1', 'ble-oxi-1', 'ble-cuff-2'].map((id) => stored(gw, id).length), (n) => n[0] === 1 && n[1] === 2 && n[2] === 2, 'a reading from each', 30_000);
    expect(values(gw, 'ble-thermo-1')).toEqual({ bodyTemperature: [38, 'Cel'] });
    expect(values(gw, 'ble-oxi-1')).toEqual({ spo2: [91, '%'], pulse: [104, '/min'] });
    expect(values(gw, 'ble-cuff-2')).toEqual({ systolic: [141, 'mm[Hg]'], diastolic: [92, 'mm[Hg]'] });
    expect(cuff.device.connectCalls).toBeGreaterThanOrEqual(3);
    // The oximeter's SpO2 91 % breaches its profile's rule: the same alerting as MQTT readings.
    await gw.alerts.settled();
    expect(gw.store.alerts.list({ open: true })).toEqual(expect.arrayContaining([expect.objectContaining({ ruleId: 'low-spo2', deviceId: 'ble-oxi-1' })]));
  });
});

describe.skipIf(dbusDaemonMissing)('BLE bridge with the adapter powered off', () => {
  const bluez = useBlueZ({ adapter: { powered: false } });

  it('powers the adapter on, then connects', async () => {
    expect(bluez.simulator.adapter.powered).toBe(false);
    const gw = await gateway(undefined, clockFrom('2026-11-20T12:00:00Z'));
    expect(bluez.simulator.adapter.powered).toBe(true);
    const thermometer = bluez.add(new Thermometer({ address: 'AA:00:00:00:00:10', currentTime: false }));
    thermometer.queue({ temperature: 36.9, timestamp: '2026-11-20T08:00:00' });
    await gw.addDevice('ble-thermometer', { id: 'ble-thermo-2', bleAddress: 'AA:00:00:00:00:10' });
    await until(async () => stored(gw, 'ble-thermo-2').length, (n) => n === 1, 'the temperature stored');
  });
});

describe('without BlueZ', () => {
  it('the gateway starts without the BLE bridge and says so on /healthz', async () => {
    const previous = process.env['DBUS_SYSTEM_BUS_ADDRESS'];
    process.env['DBUS_SYSTEM_BUS_ADDRESS'] = 'unix:path=/nonexistent/vitals-gateway/bus';
    try {
      const tmp = tempDir();
      defer(tmp.remove);
      const gw = await startGateway(tmp.dir, BLE);
      defer(() => gw.stop());
      expect(await gw.ble).toBeUndefined();
      const health = (await (await fetch(`http://127.0.0.1:${gw.httpPort as number}/healthz`)).json()) as { ok: boolean; ble: unknown };
      expect(health).toMatchObject({ ok: true, ble: 'unavailable' });
    } finally {
      if (previous === undefined) delete process.env['DBUS_SYSTEM_BUS_ADDRESS'];
      else process.env['DBUS_SYSTEM_BUS_ADDRESS'] = previous;
    }
  });
});
