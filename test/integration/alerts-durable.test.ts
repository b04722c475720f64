import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { ClinicianRegistry } from '../../src/clinicians/index.js';
import { DeviceRegistry, type DeviceCredentials } from '../../src/devices/index.js';
import { systemClock } from '../../src/domain/index.js';
import { loadProfiles } from '../../src/profiles/index.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { seededRandom, testNhsNumbers } from '../../simulators/index.js';
import { useCleanups } from '../helpers/cleanup.js';
import { startGateway, tempDir } from '../helpers/gateway.js';
import { connectDevice } from '../helpers/mqtt.js';
import { spawnGateway, unlimitedProfiles, type GatewayProcess } from '../helpers/process.js';
import { until } from '../helpers/until.js';

const defer = useCleanups();

/** A webhook receiver that records each POST's event id. */
async function receiver(): Promise<{ url: string; events: string[] }> {
  const events: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      events.push(String(req.headers['x-vg-event-id']));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  defer(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`, events };
}

/** Each device's one reading, kept (as a device keeps it for redelivery): the same bytes every time. */
const takenAt = new Date(Date.now() - 60_000).toISOString();
const breach = (deviceId: string) => JSON.stringify({ messageId: `${deviceId}-m1`, takenAt, values: { systolic: 190, diastolic: 90 } });

describe('alerts as durable as readings', () => {
  it('after SIGKILL after SIGKILL, every acknowledged reading over a threshold has exactly one alert, and its clinician hears of it', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const profilesDir = unlimitedProfiles(tmp.dir);
    const hook = await receiver();
    const patients = testNhsNumbers(24, seededRandom(14));
    const devices: DeviceCredentials[] = [];
    {
      const store = new SqliteStore(join(tmp.dir, 'gateway.db'));
      const registry = new DeviceRegistry(store.devices, loadProfiles(profilesDir), systemClock);
      const clinicians = new ClinicianRegistry(store.clinicians, systemClock);
      await clinicians.add('dr-kill', 'Dr Kill', { url: hook.url, key: new Uint8Array(32).fill(7) });
      for (const [i, nhs] of patients.entries()) {
        devices.push(await registry.add({ profileId: 'bp-upper-arm', patient: nhs, deviceId: `cuff-k${i}` }));
        clinicians.assign('dr-kill', nhs);
      }
      store.close();
    }
    const args = ['--data-dir', tmp.dir, '--profiles-dir', profilesDir, '--log-level', 'silent'];
    const acked = new Set<string>();
    // Rounds: every device connects, then those without a PUBACK publish their one breaching
    // reading (and a few that had one publish it again, being unsure). The gateway is killed once a
    // third, then two thirds, are acknowledged, with the rest in flight; the last round runs on.
    for (const killAt of [8, 16, Number.POSITIVE_INFINITY]) {
      const gw: GatewayProcess = await spawnGateway(args);
      defer(() => gw.child.kill('SIGKILL'));
      const clients = await Promise.all(
        devices.map(async (d) => {
          const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.port}`, { clientId: d.deviceId, username: d.deviceId, password: d.secret, reconnectPeriod: 0 });
          c.on('error', () => {});
          return { d, c };
        }),
      );
      const sending = clients.filter(({ d }, i) => !acked.has(d.deviceId) || i % 5 === 0);
      await new Promise<void>((resolve) => {
        let settled = 0;
        for (const { d, c } of sending) {
          c.publish(`devices/${d.deviceId}/readings`, breach(d.deviceId), { qos: 1 }, (error) => {
            settled += 1;
            if (error === undefined || error === null) acked.add(d.deviceId);
            if (acked.size >= killAt && gw.child.exitCode === null) gw.child.kill('SIGKILL');
            if (acked.size >= killAt || settled === sending.length) resolve();
          });
        }
      });
      if (killAt !== Number.POSITIVE_INFINITY) {
        await gw.exited;
        for (const { c } of clients) c.end(true);
        continue;
      }
      // The last round runs until every delivery went out, then stops.
      await until(async () => new Set(hook.events).size, (n) => n >= patients.length, 'every alert delivered to the webhook', 20_000);
      await Promise.all(clients.map(({ c }) => c.endAsync()));
      gw.child.kill('SIGTERM');
      await gw.exited;
    }
    expect(acked.size).toBe(devices.length);

    const store = new SqliteStore(join(tmp.dir, 'gateway.db'));
    defer(() => store.close());
    const alerts = store.alerts.list({});
    // Exactly one alert per reading over the threshold (one per patient), opened once.
    expect(alerts.filter((a) => a.ruleId === 'severe-hypertension')).toHaveLength(patients.length);
    expect(new Set(alerts.filter((a) => a.ruleId === 'severe-hypertension').map((a) => a.patientNhs)).size).toBe(patients.length);
    for (const a of alerts) expect(store.alerts.events(a.id).filter((e) => e.state === 'open')).toHaveLength(1);
    for (const d of devices) expect(store.readings.query({ deviceId: d.deviceId }).filter((r) => r.metric === 'systolic')).toHaveLength(1);
    // Each change reached the clinician's webhook: every event id once at least (a POST cut short by
    // a kill before its outbox entry was cleared may come twice, with the same event id).
    const opened = alerts.filter((a) => a.ruleId === 'severe-hypertension').map((a) => `${a.id}:open:${a.openedAtMs}`);
    expect(new Set(hook.events)).toEqual(new Set(opened));
  }, 120_000);

  it('an alert commit that fails leaves no phantom state: the redelivered reading alerts, and so does the next breach', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const gw = await startGateway(tmp.dir, { profilesDir: unlimitedProfiles(tmp.dir) });
    defer(() => gw.stop());
    const creds = await gw.addDevice('bp-upper-arm', { id: 'cuff-fail-1' });
    // Another process makes every alert write fail, as a full disk or a broken table would.
    const other = new Database(join(tmp.dir, 'gateway.db'));
    defer(() => other.close());
    other.exec(`CREATE TRIGGER refuse_alerts BEFORE INSERT ON alerts BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);

    const first = await connectDevice(gw.url, creds);
    first.on('error', () => {});
    const closed = new Promise<void>((r) => first.once('close', () => r()));
    const payload = JSON.stringify({ messageId: 'f1', takenAt: new Date(Date.now() - 120_000).toISOString(), values: { systolic: 195, diastolic: 90 } });
    first.publish(`devices/${creds.deviceId}/readings`, payload, { qos: 1 });
    // No PUBACK: the reading and its alert failed together, and the connection is closed.
    await closed;
    expect(gw.store.readings.query({ deviceId: creds.deviceId })).toHaveLength(0);
    expect(gw.store.alerts.list({})).toHaveLength(0);

    other.exec('DROP TRIGGER refuse_alerts');
    const again = await connectDevice(gw.url, creds);
    await again.publishAsync(`devices/${creds.deviceId}/readings`, payload, { qos: 1, dup: true });
    await again.endAsync();
    const [alert] = gw.store.alerts.list({ open: true });
    expect(alert).toMatchObject({ ruleId: 'severe-hypertension', value: 195 });

    // Now the resolution fails once: the alert stays open, and the breach after it is a repeat.
    other.exec(`CREATE TRIGGER refuse_alerts BEFORE UPDATE ON alerts BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    const third = await connectDevice(gw.url, creds);
    third.on('error', () => {});
    const thirdClosed = new Promise<void>((r) => third.once('close', () => r()));
    third.publish(`devices/${creds.deviceId}/readings`, JSON.stringify({ messageId: 'f2', takenAt: new Date(Date.now() - 60_000).toISOString(), values: { systolic: 150, diastolic: 85 } }), { qos: 1 });
    await thirdClosed;
    other.exec('DROP TRIGGER refuse_alerts');
    const fourth = await connectDevice(gw.url, creds);
    defer(() => fourth.endAsync());
    await fourth.publishAsync(`devices/${creds.deviceId}/readings`, JSON.stringify({ messageId: 'f3', takenAt: new Date(Date.now() - 30_000).toISOString(), values: { systolic: 200, diastolic: 90 } }), { qos: 1 });
    expect(gw.store.alerts.list({})).toHaveLength(1);
    expect(gw.store.alerts.list({ open: true })).toHaveLength(1);
  });
});
