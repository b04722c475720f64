import mqtt, { type MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { ClinicianRegistry } from '../../src/clinicians/index.js';
import { ManualClock, systemClock, type Clock } from '../../src/domain/index.js';
import { useCleanups } from '../helpers/cleanup.js';
import { startGateway, tempDir, TEST_NHS, type TestGateway } from '../helpers/gateway.js';
import { collect, connectDevice } from '../helpers/mqtt.js';
import { unlimitedProfiles } from '../helpers/process.js';

const defer = useCleanups();
const OTHER_NHS = '4010232137';

type AlertMessage = { alertId: string; state: string; severity: string; rule: string; patient: string; value: number; message: string };

async function gateway(clock: Clock = systemClock): Promise<TestGateway> {
  const tmp = tempDir();
  defer(tmp.remove);
  const gw = await startGateway(tmp.dir, { profilesDir: unlimitedProfiles(tmp.dir) }, clock);
  defer(() => gw.stop());
  return gw;
}

/** Adds a clinician looking after `patients` and connects them, subscribed to their alerts. */
async function clinician(gw: TestGateway, id: string, patients: string[]) {
  const registry = new ClinicianRegistry(gw.store.clinicians, systemClock);
  const { secret } = await registry.add(id, `Dr ${id}`);
  for (const p of patients) registry.assign(id, p);
  const client = await mqtt.connectAsync(gw.url, { clientId: `${id}-app`, username: `clinician:${id}`, password: secret, reconnectPeriod: 0 });
  defer(() => client.endAsync(true));
  const inbox = await collect(client, `clinicians/${id}/alerts`);
  return { client, secret, inbox: inbox as unknown as { messages: { topic: string; json: AlertMessage }[]; next: () => Promise<AlertMessage> } };
}

async function device(gw: TestGateway, profile: string, id: string, patient = TEST_NHS): Promise<MqttClient> {
  const creds = await gw.addDevice(profile, { id, patient });
  const client = await connectDevice(gw.url, creds);
  defer(() => client.endAsync());
  return client;
}

const bp = (i: number, systolic: number, diastolic = 80) => JSON.stringify({ messageId: `bp${i}`, takenAt: new Date(Date.now() - 600_000 + i * 1000).toISOString(), values: { systolic, diastolic } });

describe('clinician alerts', () => {
  it('a severe BP reaches the assigned clinician once, and no other clinician', async () => {
    const gw = await gateway();
    const mine = await clinician(gw, 'dr-ahmed', [TEST_NHS]);
    const other = await clinician(gw, 'dr-brown', [OTHER_NHS]);
    const cuff = await device(gw, 'bp-upper-arm', 'cuff-alert-1');
    await cuff.publishAsync('devices/cuff-alert-1/readings', bp(0, 186, 96), { qos: 1 });
    // The same message redelivered, and a second severe reading while the alert is open: no new alert.
    await cuff.publishAsync('devices/cuff-alert-1/readings', bp(0, 186, 96), { qos: 1 });
    await cuff.publishAsync('devices/cuff-alert-1/readings', bp(1, 190, 98), { qos: 1 });
    const alert = await mine.inbox.next();
    expect(alert).toMatchObject({ state: 'open', severity: 'critical', rule: 'severe-hypertension', patient: TEST_NHS, value: 186, message: expect.stringContaining('≥180') });
    await gw.alerts.settled();
    // A round trip through the broker: anything published before it has arrived.
    await other.client.subscribeAsync('clinicians/dr-brown/alerts', { qos: 1 });
    await mine.client.subscribeAsync('clinicians/dr-ahmed/alerts', { qos: 1 });
    expect(mine.inbox.messages).toHaveLength(1);
    expect(other.inbox.messages).toHaveLength(0);
    expect(gw.store.alerts.list({ open: true })).toHaveLength(1);
    expect(gw.store.alerts.events(alert.alertId)).toMatchObject([{ state: 'open', by: 'rules' }]);
  });

  it('values flapping around the threshold make one alert, resolved once back past clearAt (hysteresis)', async () => {
    const gw = await gateway();
    const mine = await clinician(gw, 'dr-chen', [TEST_NHS]);
    const cuff = await device(gw, 'bp-upper-arm', 'cuff-alert-2');
    // severe-hypertension: above 179, clears at 170.
    for (const [i, s] of [[0, 182], [1, 176], [2, 181], [3, 174], [4, 183], [5, 171], [6, 168]] as const) {
      await cuff.publishAsync('devices/cuff-alert-2/readings', bp(i, s), { qos: 1 });
    }
    const opened = await mine.inbox.next();
    const resolved = await mine.inbox.next();
    expect([opened.state, resolved.state]).toEqual(['open', 'resolved']);
    expect(resolved).toMatchObject({ alertId: opened.alertId, value: 168 });
    await gw.alerts.settled();
    expect(mine.inbox.messages).toHaveLength(2);
    expect(gw.store.alerts.list({})).toMatchObject([{ state: 'resolved', ruleId: 'severe-hypertension' }]);
    expect(await gw.metrics.render()).toMatch(/vg_alerts_total\{state="open",severity="critical"\} 1\n/);
  });

  it('a wearable alerts only once a tachycardia has lasted 5 minutes', async () => {
    const clock = new ManualClock(Date.parse('2026-11-20T10:30:00Z'));
    const gw = await gateway(clock);
    const mine = await clinician(gw, 'dr-diaz', [TEST_NHS]);
    const watch = await device(gw, 'wrist-wearable', 'watch-alert-1');
    const at = (minute: number, heartRate: number) => ({ takenAt: `2026-11-20T10:${String(minute).padStart(2, '0')}:00Z`, values: { heartRate } });
    // 135 at 10:00–10:04 (4 minutes), a normal 110 at 10:05, then 140 from 10:06 to 10:11.
    await watch.publishAsync('devices/watch-alert-1/readings', JSON.stringify([at(0, 135), at(2, 136), at(4, 138), at(5, 110)]), { qos: 1 });
    await gw.alerts.settled();
    expect(mine.inbox.messages).toHaveLength(0);
    await watch.publishAsync('devices/watch-alert-1/readings', JSON.stringify([at(6, 140), at(8, 141), at(10, 139), at(11, 142)]), { qos: 1 });
    const alert = await mine.inbox.next();
    expect(alert).toMatchObject({ state: 'open', rule: 'sustained-tachycardia', value: 142 });
  });

  it('clinicians read only their own alert topic, publish nothing, and need the right secret', async () => {
    const gw = await gateway();
    const mine = await clinician(gw, 'dr-evans', [TEST_NHS]);
    const suback = await mine.client
      .subscribeAsync(['clinicians/dr-other/alerts', 'devices/#', 'clinicians/dr-evans/alerts'], { qos: 1 })
      .then(() => undefined, (e: { packet?: { granted?: number[] } }) => e.packet);
    // [MQTT-3.9.3] 0x80 for each refused filter; the clinician's own topic keeps QoS 1
    expect(suback?.granted).toEqual([128, 128, 1]);
    await expect(mqtt.connectAsync(gw.url, { clientId: 'x', username: 'clinician:dr-evans', password: 'wrong', reconnectPeriod: 0 })).rejects.toThrow(/Bad username or password/);
    await expect(mqtt.connectAsync(gw.url, { clientId: 'y', username: 'clinician:nobody', password: 'x', reconnectPeriod: 0 })).rejects.toThrow(/Bad username or password/);
    const closed = new Promise<void>((resolve) => mine.client.once('close', () => resolve()));
    mine.client.publish('clinicians/dr-evans/alerts', 'forged', { qos: 1 });
    await closed;
    const metrics = await gw.metrics.render();
    expect(metrics).toMatch(/vg_mqtt_acl_denied_total\{action="subscribe"\} 2\n/);
    expect(metrics).toMatch(/vg_mqtt_acl_denied_total\{action="publish"\} 1\n/);
  });
});
