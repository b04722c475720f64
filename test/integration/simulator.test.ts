import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseNhsNumber, systemClock } from '../../src/domain/index.js';
import { decodeJson } from '../../src/pipeline/decode.js';
import { validateReading } from '../../src/pipeline/validate.js';
import { mapPayload, StatusPayloadSchema, type DeviceProfile } from '../../src/profiles/index.js';
import { DeviceConnection, type DeviceLink } from '../../simulators/device.js';
import { faultMessages, supportsFault } from '../../simulators/faults.js';
import { EXPECTED_CODE, FaultKind, runSimulation, seededRandom, testNhsNumbers, type DeviceCredentials, type SimulationSummary } from '../../simulators/index.js';
import { SimulatedDevice, type Outgoing } from '../../simulators/simulated-device.js';
import { startGateway, tempDir, type TestGateway } from '../helpers/gateway.js';
import { shippedProfile } from '../helpers/profiles.js';

const run = promisify(execFile);

/** A real gateway on port 0 in a temp dir, both removed when the test finishes. */
async function gatewayIn(): Promise<{ gw: TestGateway; dir: string }> {
  const tmp = tempDir('vg-sim-');
  onTestFinished(() => tmp.remove());
  const gw = await startGateway(tmp.dir);
  onTestFinished(() => gw.stop());
  return { gw, dir: tmp.dir };
}

async function provision(gw: TestGateway, profiles: readonly string[]): Promise<DeviceCredentials[]> {
  return Promise.all(profiles.map(async (profile) => ({ ...(await gw.addDevice(profile)), profile })));
}

const expectEverythingAcknowledged = (s: SimulationSummary): void => {
  expect(s.errorMessages).toEqual([]);
  expect(s).toMatchObject({ ok: true, errors: 0, acknowledged: s.sent });
};

describe('device simulator', () => {
  it('publishes realistic readings from canonical and vendor-shaped devices, all acknowledged and stored', async () => {
    const { gw } = await gatewayIn();
    const credentials = await provision(gw, ['glucose-meter', 'pulse-oximeter', 'wrist-wearable', 'northwind-bp3', 'contoso-scale']);

    const summary = await runSimulation({ url: gw.url, credentials, count: 60, ratePerSecond: 200, seed: 7 });

    expectEverythingAcknowledged(summary);
    expect(summary.sent).toBe(60);
    expect(summary.rejected).toEqual({});
    // Wearable batches hold one reading per second and every reading one row per value.
    expect(summary.expectedStoredValues).toBeGreaterThan(summary.readingMessages);
    expect(gw.store.readings.count()).toBe(summary.expectedStoredValues);
    const byProfile = new Set(gw.store.readings.query({}).map((r) => r.profileId));
    expect([...byProfile].sort()).toEqual(['contoso-scale', 'glucose-meter', 'northwind-bp3', 'pulse-oximeter', 'wrist-wearable']);
  });

  it('with faults, has each fault rejected with its code and dead-lettered, and stores duplicates once', async () => {
    const { gw } = await gatewayIn();
    const credentials = await provision(gw, ['bp-upper-arm', 'glucose-meter', 'wrist-wearable', 'pulse-oximeter']);

    const summary = await runSimulation({ url: gw.url, credentials, count: 40, ratePerSecond: 200, faults: true, seed: 11 });

    expectEverythingAcknowledged(summary);
    const kinds = Object.values(FaultKind);
    expect(Object.keys(summary.faultsSent).sort()).toEqual([...kinds].sort());
    const codes = kinds.flatMap((k) => EXPECTED_CODE[k] ?? []);
    for (const code of codes) expect(summary.rejected[code], code).toBeGreaterThanOrEqual(summary.expectedRejected[code] ?? 1);
    expect(summary.rejected['rate-limited']).toBeGreaterThanOrEqual(3);
    expect(summary).toMatchObject({ unexpectedRejections: 0, missingRejections: 0 });

    const deadCodes = new Set(gw.store.deadLetters.list({ limit: 1000 }).flatMap((d) => d.issues.map((i) => i.code)));
    for (const code of codes) expect(deadCodes, code).toContain(code);
    // The duplicate fault and the flood re-publish messages: each reading is stored once all the same.
    expect(summary.duplicatesSent).toBeGreaterThan(1);
    expect(gw.store.readings.count()).toBe(summary.expectedStoredValues);
  });

  it('never writes on a connection the gateway closed, and reports the close once', async () => {
    const tmp = tempDir('vg-sim-');
    onTestFinished(() => tmp.remove());
    const gw = await startGateway(tmp.dir, { 'mqtt.revocationCheckMs': 20 });
    onTestFinished(() => gw.stop());
    const [creds] = await provision(gw, ['thermometer']);
    const errors: string[] = [];
    const link = await DeviceConnection.open({ url: gw.url, deviceId: creds!.deviceId, secret: creds!.secret, qos: 1, connectTimeoutMs: 5_000, ackTimeoutMs: 5_000, onRejection: () => {}, onError: (m) => errors.push(m) });
    gw.store.devices.revoke(creds!.deviceId, Date.now());
    for (let i = 0; i < 100 && link.closedByGateway === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    expect(link.closedByGateway).toBeDefined();
    await expect(link.publish('readings', Buffer.from('{}'))).rejects.toThrow('the connection is closed');
    await link.close();
    expect(errors).toEqual([`${creds!.deviceId}: the connection closed`]);
  });

  it('starts the allowance of devices from a credentials file empty: a second run right after the first has no unexpected rejection', async () => {
    const { gw, dir } = await gatewayIn();
    const file = join(dir, 'devices.json');
    const credentials = await provision(gw, ['bp-upper-arm', 'pulse-oximeter']);
    writeFileSync(file, JSON.stringify(credentials));
    const first = await runSimulation({ url: gw.url, credentials, count: 12, ratePerSecond: 50, seed: 1 });
    expect(first.rejected).toEqual({});
    const second = await runSimulation({ url: gw.url, credentialsFile: file, count: 4, ratePerSecond: 50, seed: 2 });
    expectEverythingAcknowledged(second);
    expect(second.rejected).toEqual({});
  }, 60_000);

  it('runs from the command line, provisioning its devices through the gateway CLI', async () => {
    const { gw, dir } = await gatewayIn();
    const saved = join(dir, 'simulated-devices.json');

    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'simulators/main.ts', '--url', gw.url, '--provision', '--data-dir', dir, '--devices', '2',
        '--profile', 'glucose-meter,pulse-oximeter', '--count', '6', '--rate', '50', '--seed', '3', '--save-credentials', saved, '--json', '--quiet'],
      { encoding: 'utf8', timeout: 25_000 },
    );

    const summary = JSON.parse(stdout) as SimulationSummary;
    expectEverythingAcknowledged(summary);
    expect(summary).toMatchObject({ sent: 6, devices: 2, seed: 3, devicesByProfile: { 'glucose-meter': 1, 'pulse-oximeter': 1 } });
    expect(gw.store.readings.count()).toBe(summary.expectedStoredValues);
    const devices = JSON.parse(readFileSync(saved, 'utf8')) as DeviceCredentials[];
    expect(devices.map((d) => d.profile)).toEqual(['glucose-meter', 'pulse-oximeter']);
    expect(gw.store.devices.list().map((d) => d.id).sort()).toEqual(devices.map((d) => d.deviceId).sort());
  });
});

describe('simulated readings', () => {
  const noLink: DeviceLink = { publish: () => Promise.resolve() };
  const profiles = ['bp-upper-arm', 'northwind-bp3', 'pulse-oximeter', 'thermometer', 'weight-scale', 'contoso-scale', 'glucose-meter', 'wrist-wearable'];
  const MAX_PAYLOAD_BYTES = 65_536;
  const simulated = (id: string, seed = 5): SimulatedDevice =>
    new SimulatedDevice({ deviceId: 'sim-1', secret: 's', profile: id }, shippedProfile(id), noLink, seededRandom(seed), 'run', systemClock);

  /** The issue codes the gateway's own stages give a payload (decode, map, validate), without the network. */
  function verdict(profile: DeviceProfile, payload: Buffer, receivedAtMs: number): string[] {
    const json = decodeJson(payload, MAX_PAYLOAD_BYTES);
    if (!json.ok) return json.error.map((i) => i.code);
    const mapped = mapPayload(profile, json.value);
    if (!mapped.ok) return mapped.error.map((i) => i.code);
    const ctx = { deviceId: 'sim-1', patientNhs: '9434765919', receivedAtMs, maxFutureSkewMs: 300_000, clockDriftToleranceMs: 60_000 };
    return mapped.value.flatMap((r) => {
      const result = validateReading(profile, r, ctx);
      return result.ok ? [] : result.error.map((i) => i.code);
    });
  }

  it.each(profiles)('%s: every upload passes the gateway\'s mapping and validation', (id) => {
    const device = simulated(id);
    const start = Date.now();
    for (let i = 0; i < 200; i++) {
      const now = start + i * 60_000;
      const upload = device.nextUpload(now);
      if (upload.channel === 'status') expect(StatusPayloadSchema.safeParse(JSON.parse(upload.payload.toString())).success).toBe(true);
      else expect(verdict(device.profile, upload.payload, now)).toEqual([]);
    }
  });

  it.each(profiles)('%s: each fault it can express is refused with the expected code', (id) => {
    const device = simulated(id);
    const now = Date.now();
    const kinds = Object.values(FaultKind).filter((k) => supportsFault(device.profile, k) && EXPECTED_CODE[k] !== undefined && k !== FaultKind.Flood);
    for (const kind of kinds) {
      const [message] = faultMessages(kind, device, now, MAX_PAYLOAD_BYTES);
      expect(new Set(verdict(device.profile, (message as Outgoing).payload, now)), kind).toEqual(new Set([EXPECTED_CODE[kind]]));
    }
  });

  it('gives the same readings for the same seed, and valid test NHS numbers', () => {
    const payloads = (seed: number) => {
      const d = simulated('bp-upper-arm', seed);
      return Array.from({ length: 5 }, (_, i) => d.readings(d.freshReadings(1_790_000_000_000 + i * 1000), 1_790_000_000_000).payload.toString());
    };
    expect(payloads(1)).toEqual(payloads(1));
    expect(payloads(1)).not.toEqual(payloads(2));
    const numbers = testNhsNumbers(20, seededRandom(9));
    expect(new Set(numbers).size).toBe(20);
    for (const n of numbers) expect(parseNhsNumber(n)).toEqual({ ok: true, value: n });
    expect(numbers.every((n) => n.startsWith('999'))).toBe(true);
  });
});
