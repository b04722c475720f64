import mqtt, { type MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { ClinicianRegistry } from '../../src/clinicians/index.js';
import { ManualClock, systemClock, type Clock } from '../../src/domain/index.js';
import { useCleanups } from '../helpers/cleanup.js';
import { webhookReceiver } from '../helpers/webhook.js';
import { startGateway, tempDir, TEST_NHS, type TestGateway } from '../helpers/gateway.js';
import { collect, connectDevice } from '../helpers/mqtt.js';
import { runCli, unlimitedProfiles } from '../helpers/process.js';
import { until } from '../helpers/until.js';

const defer = useCleanups();
const OTHER_NHS = '4010232137';

type AlertMessage = { alertId: string; state: string; severity: string; rule: string; patient: string; value: number; message: string };

async function gateway(clock: Clock = systemClock, dir?: string): Promise<TestGateway> {
  let dataDir = dir;
  if (dataDir === undefined) {
    const tmp = tempDir();
    defer(tmp.remove);
    dataDir = tmp.dir;
  }
  const settings = { profilesDir: unlimitedProfiles(dataDir), 'alerts.flushIntervalMs': 50, 'alerts.retryBaseMs': 50, 'alerts.retryMaxMs': 200 };
  const gw = await startGateway(dataDir, settings, clock);
  defer(() => gw.stop());
  return gw;
}

/** Adds a clinician looking after `patients` and connects them, subscribed to their alerts. */
async function clinician(gw: TestGateway, id: string, patients: string[]) {
  const registry = new ClinicianRegistry(gw.store.clinicians, systemClock);
  const { secret } = await registry.add(id, `Dr ${id}`);
  for (const p of patients) await registry.assign(id, p);
  const client = await mqtt.connectAsync(gw.url, { clientId: `clinician:${id}`, username: `clinician:${id}`, password: secret, reconnectPeriod: 0 });
  defer(() => client.endAsync(true));
  const inbox = await collect(client, `clinicians/${id}/alerts`);
  const typed = inbox as unknown as { messages: { topic: string; json: AlertMessage }[]; next: () => Promise<AlertMessage> };
  let seen = 0;
  /** The next message about `rule` (others, e.g. NEWS2 alerts the same values raise, are skipped). */
  const nextOf = async (rule: string): Promise<AlertMessage> => {
    const found = await until(async () => typed.messages.slice(seen).findIndex((m) => m.json.rule === rule), (i) => i >= 0, `an alert about ${rule}`);
    seen += found + 1;
    return (typed.messages[seen - 1] as { json: AlertMessage }).json;
  };
  return { client, secret, inbox: typed, nextOf };
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
    expect(mine.inbox.messages.filter((m) => m.json.rule === 'sustained-tachycardia')).toHaveLength(0);
    await watch.publishAsync('devices/watch-alert-1/readings', JSON.stringify([at(6, 140), at(8, 141), at(10, 139), at(11, 142)]), { qos: 1 });
    const alert = await mine.nextOf('sustained-tachycardia');
    expect(alert).toMatchObject({ state: 'open', value: 142 });
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

  it('refuses a clinician whose client id is not clinician:<id> (a device\'s, say), and the device stays connected', async () => {
    const gw = await gateway();
    const registry = new ClinicianRegistry(gw.store.clinicians, systemClock);
    const { secret } = await registry.add('dr-fox', 'Dr Fox');
    const cuff = await device(gw, 'bp-upper-arm', 'cuff-taken-1');
    let cuffClosed = false;
    cuff.on('close', () => (cuffClosed = true));
    // [MQTT-3.2.2.3] CONNACK 2: identifier rejected
    await expect(mqtt.connectAsync(gw.url, { clientId: 'cuff-taken-1', username: 'clinician:dr-fox', password: secret, reconnectPeriod: 0 })).rejects.toThrow(/Identifier rejected/);
    await expect(mqtt.connectAsync(gw.url, { clientId: 'dr-fox-phone', username: 'clinician:dr-fox', password: secret, reconnectPeriod: 0 })).rejects.toThrow(/Identifier rejected/);
    await cuff.publishAsync('devices/cuff-taken-1/readings', bp(1, 120), { qos: 1 });
    expect(cuffClosed).toBe(false);
    expect(gw.store.readings.query({ deviceId: 'cuff-taken-1' })).toHaveLength(2);
    expect(await gw.metrics.render()).toMatch(/vg_mqtt_auth_failures_total\{reason="client-id-mismatch"\} 2\n/);
  });

  it('closes a revoked clinician\'s open connection (revoked from the command line, another process) and refuses them after; others stay', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const gw = await startGateway(tmp.dir, { 'mqtt.revocationCheckMs': 20 });
    defer(() => gw.stop());
    const leaving = await clinician(gw, 'dr-leaves', [TEST_NHS]);
    const staying = await clinician(gw, 'dr-stays', [TEST_NHS]);
    let stayingClosed = false;
    staying.client.on('close', () => (stayingClosed = true));
    const closed = new Promise<void>((resolve) => leaving.client.once('close', () => resolve()));
    const revoked = await runCli(['clinicians', 'revoke', 'dr-leaves', '--json', '--data-dir', tmp.dir]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toEqual({ accountId: 'dr-leaves', status: 'revoked', changed: true });
    await closed;
    await expect(mqtt.connectAsync(gw.url, { clientId: 'clinician:dr-leaves', username: 'clinician:dr-leaves', password: leaving.secret, reconnectPeriod: 0 })).rejects.toThrow(/Bad username or password|Not authorized/);
    expect(stayingClosed).toBe(false);
    expect(gw.store.audit.list({ patientNhs: undefined }).some((e) => e.action === 'account.revoke' && e.target === 'dr-leaves' && e.actor.startsWith('cli:'))).toBe(true);
    const again = await runCli(['clinicians', 'revoke', 'dr-leaves', '--json', '--data-dir', tmp.dir]);
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: false });
  });

  it('delivers each state change once to a clinician\'s webhook, signed, through a receiver outage and a gateway restart', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    let gw = await gateway(systemClock, tmp.dir);
    // The receiver: verifies the signature and its timestamp, and is down (503) at first.
    let up = false;
    let secret = '';
    const { url, received } = await webhookReceiver(defer, () => secret, () => up);
    const added = await runCli(['clinicians', 'add', '--id', 'dr-webb', '--name', 'Dr Webb', '--webhook', url, '--json', '--data-dir', tmp.dir]);
    secret = (JSON.parse(added.stdout) as { webhookSecret: string }).webhookSecret;
    expect(secret).toMatch(/^[\w-]{43}$/);
    expect((await runCli(['clinicians', 'assign', 'dr-webb', '--patient', TEST_NHS, '--data-dir', tmp.dir])).code).toBe(0);

    const cuff = await device(gw, 'bp-upper-arm', 'cuff-alert-5');
    await cuff.publishAsync('devices/cuff-alert-5/readings', bp(0, 188), { qos: 1 });
    await gw.alerts.settled();
    await until(async () => (await gw.metrics.render()).match(/vg_outbox_failures_total\{sink="alert-webhook",retry="transient"\} (\d+)/)?.[1], (n) => Number(n) >= 1, 'a failed webhook delivery');
    await cuff.endAsync();
    await gw.stop();

    up = true;
    gw = await gateway(systemClock, tmp.dir);
    const again = await device(gw, 'bp-upper-arm', 'cuff-alert-6');
    await again.publishAsync('devices/cuff-alert-6/readings', bp(1, 120), { qos: 1 }); // another device: no change to the open alert
    const [open] = gw.store.alerts.list({ open: true });
    const ack = await runCli(['alerts', 'ack', open!.id, '--note', 'called the patient', '--data-dir', tmp.dir]);
    expect(ack.code).toBe(0);
    await until(async () => received.length, (n) => n >= 2, 'two deliveries');
    await until(async () => gw.store.outbox.stats('alert-webhook').pending, (n) => n === 0, 'nothing queued');
    expect(received.map((r) => [r.state, r.valid])).toEqual([['open', true], ['acknowledged', true]]);
    expect(new Set(received.map((r) => r.eventId)).size).toBe(2);
  });

  it('an alert acknowledged on the command line reaches the clinician\'s MQTT topic through the running gateway', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const gw = await gateway(systemClock, tmp.dir);
    const mine = await clinician(gw, 'dr-gray', [TEST_NHS]);
    const cuff = await device(gw, 'bp-upper-arm', 'cuff-alert-7');
    await cuff.publishAsync('devices/cuff-alert-7/readings', bp(0, 60, 40), { qos: 1 });
    const opened = await mine.nextOf('hypotension');
    expect(opened).toMatchObject({ state: 'open', severity: 'warning' });
    expect((await runCli(['alerts', 'resolve', opened.alertId, '--note', 'cuff was loose', '--data-dir', tmp.dir])).code).toBe(0);
    expect(await mine.nextOf('hypotension')).toMatchObject({ alertId: opened.alertId, state: 'resolved', note: 'cuff was loose', by: expect.stringMatching(/^cli:/) });
    // Resolved by hand while still low: once the gateway has taken that in, a low reading alerts anew.
    gw.alerts.checkSilenceNow();
    await cuff.publishAsync('devices/cuff-alert-7/readings', bp(1, 62, 40), { qos: 1 });
    const again = await mine.nextOf('hypotension');
    expect(again).toMatchObject({ state: 'open', value: 62 });
    expect(again.alertId).not.toBe(opened.alertId);
  });

  it('a silenced wearable raises a "no data" alert after its window, cleared when data returns (injected clock)', async () => {
    const t0 = Date.parse('2026-11-20T10:00:00Z');
    const clock = new ManualClock(t0);
    const gw = await gateway(clock);
    const mine = await clinician(gw, 'dr-hill', [TEST_NHS]);
    const watch = await device(gw, 'wrist-wearable', 'watch-silent-1');
    const sample = (ms: number) => watch.publishAsync('devices/watch-silent-1/readings', JSON.stringify({ takenAt: new Date(ms).toISOString(), values: { heartRate: 72 } }), { qos: 1 });
    await sample(t0 - 60_000);
    clock.advance(60 * 60_000); // 61 minutes after the last sample, 60 allowed
    gw.alerts.checkSilenceNow();
    const silent = await mine.inbox.next();
    expect(silent).toMatchObject({ state: 'open', rule: 'no-data', severity: 'warning', device: 'watch-silent-1', message: expect.stringContaining('No data') });
    gw.alerts.checkSilenceNow(); // still silent: no second alert
    await sample(clock.now());
    expect(await mine.inbox.next()).toMatchObject({ alertId: silent.alertId, state: 'resolved', note: 'data received again' });
    clock.advance(30 * 60_000);
    gw.alerts.checkSilenceNow(); // 30 minutes since data: fine
    await gw.alerts.settled();
    expect(mine.inbox.messages).toHaveLength(2);
  });

  it('a clinician\'s personal threshold for a patient replaces the profile\'s, for that patient only, and is kept with who set it', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const gw = await gateway(systemClock, tmp.dir);
    const mine = await clinician(gw, 'dr-iqbal', [TEST_NHS, OTHER_NHS]);
    const cli = (args: string[]) => runCli([...args, '--data-dir', tmp.dir]);
    const set = await cli(['patients', 'override', '--patient', TEST_NHS, '--rule', 'severe-hypertension', '--above', '159', '--clear-at', '150', '--by', 'dr-iqbal', '--json']);
    expect(set.code).toBe(0);
    expect((await cli(['patients', 'override', '--patient', TEST_NHS, '--rule', 'no-such-rule', '--above', '1', '--by', 'dr-iqbal'])).code).toBe(2);
    expect((await cli(['patients', 'override', '--patient', TEST_NHS, '--rule', 'severe-hypertension', '--above', '159', '--by', 'nobody'])).code).toBe(1);
    expect((await cli(['patients', 'settings', '--patient', OTHER_NHS, '--spo2-scale', '2', '--by', 'dr-iqbal'])).code).toBe(0);
    const shown = JSON.parse((await cli(['patients', 'show', '--patient', TEST_NHS, '--json'])).stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({ clinicians: ['dr-iqbal'], settings: null, overrides: [{ ruleId: 'severe-hypertension', above: 159, clearAt: 150, setBy: 'dr-iqbal', setAtMs: expect.any(Number) }] });
    expect(JSON.parse((await cli(['patients', 'show', '--patient', OTHER_NHS, '--json'])).stdout)).toMatchObject({ settings: { spo2Scale: 2, setBy: 'dr-iqbal' } });

    const personal = await device(gw, 'bp-upper-arm', 'cuff-alert-8');
    const usual = await device(gw, 'bp-upper-arm', 'cuff-alert-9', OTHER_NHS);
    await usual.publishAsync('devices/cuff-alert-9/readings', bp(0, 165), { qos: 1 });
    await personal.publishAsync('devices/cuff-alert-8/readings', bp(0, 165), { qos: 1 });
    const alert = await mine.inbox.next();
    expect(alert).toMatchObject({ patient: TEST_NHS, state: 'open', rule: 'severe-hypertension', value: 165, message: expect.stringContaining('set by dr-iqbal') });
    await gw.alerts.settled();
    await mine.client.subscribeAsync('clinicians/dr-iqbal/alerts', { qos: 1 });
    expect(mine.inbox.messages).toHaveLength(1);
  });

  it('scores NEWS2 from the latest values of the patient\'s devices: a partial total of 5 alerts once, flagged partial, and resolves', async () => {
    const gw = await gateway();
    const mine = await clinician(gw, 'dr-jones', [TEST_NHS]);
    const oximeter = await device(gw, 'pulse-oximeter', 'oxi-news-1');
    const thermometer = await device(gw, 'thermometer', 'thermo-news-1');
    const now = () => new Date(Date.now() - 1000).toISOString();
    // SpO2 93 (2) + pulse 115 (2) = 4: ward-based, no alert.
    await oximeter.publishAsync('devices/oxi-news-1/readings', JSON.stringify({ takenAt: now(), values: { spo2: 93, pulse: 115 } }), { qos: 1 });
    await gw.alerts.settled();
    // + temperature 38.5 (1) = 5: urgent.
    await thermometer.publishAsync('devices/thermo-news-1/readings', JSON.stringify({ takenAt: now(), values: { bodyTemperature: 38.5 } }), { qos: 1 });
    await gw.alerts.settled();
    await oximeter.publishAsync('devices/oxi-news-1/readings', JSON.stringify({ takenAt: now(), values: { spo2: 92, pulse: 118 } }), { qos: 1 });
    await oximeter.publishAsync('devices/oxi-news-1/readings', JSON.stringify({ takenAt: now(), values: { spo2: 97, pulse: 80 } }), { qos: 1 });
    await gw.alerts.settled();
    await until(async () => mine.inbox.messages.filter((m) => m.json.rule === 'news2').length, (n) => n === 2, 'the NEWS2 alert opened and resolved');
    const [opened, resolved] = mine.inbox.messages.filter((m) => m.json.rule === 'news2').map((m) => m.json);
    expect(opened).toMatchObject({ state: 'open', severity: 'critical', value: 5, device: null, message: 'NEWS2 5 (partial: missing respiratoryRate, onOxygen, systolic, consciousness): urgent response [RCP NEWS2 chart 2]' });
    expect(resolved).toMatchObject({ alertId: opened!.alertId, state: 'resolved', value: 1 });
  });

  it('scores NEWS2 again when a reading is retracted: by the device (at once) or on the command line (at the next check)', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const gw = await gateway(systemClock, tmp.dir);
    const mine = await clinician(gw, 'dr-lane', [TEST_NHS]);
    const oximeter = await device(gw, 'pulse-oximeter', 'oxi-news-2');
    const thermometer = await device(gw, 'thermometer', 'thermo-news-2');
    const news2 = async (n: number) => (await until(async () => mine.inbox.messages.filter((m) => m.json.rule === 'news2'), (m) => m.length >= n, `${n} NEWS2 changes`)).map((m) => m.json);
    const at = new Date(Date.now() - 5_000).toISOString();
    // SpO2 91 (3) + pulse 115 (2) = 5: urgent response.
    await oximeter.publishAsync('devices/oxi-news-2/readings', JSON.stringify({ messageId: 'o1', takenAt: at, values: { spo2: 91, pulse: 115 } }), { qos: 1 });
    expect((await news2(1))[0]).toMatchObject({ state: 'open', value: 5 });
    // The device retracts it (the probe was off the finger): nothing is left to score, so the alert resolves.
    await oximeter.publishAsync('devices/oxi-news-2/corrections', JSON.stringify({ messageId: 'o1', takenAt: at, action: 'retract' }), { qos: 1 });
    expect((await news2(2))[1]).toMatchObject({ state: 'resolved', value: 0 });

    // Again, with a fever: 3 + 2 + 1 = 6. A retraction on the command line resolves it at the next check.
    await thermometer.publishAsync('devices/thermo-news-2/readings', JSON.stringify({ messageId: 't1', takenAt: new Date(Date.now() - 4_000).toISOString(), values: { bodyTemperature: 38.5 } }), { qos: 1 });
    await oximeter.publishAsync('devices/oxi-news-2/readings', JSON.stringify({ messageId: 'o2', takenAt: new Date(Date.now() - 3_000).toISOString(), values: { spo2: 91, pulse: 115 } }), { qos: 1 });
    expect((await news2(3))[2]).toMatchObject({ state: 'open', value: 6 });
    const [spo2] = gw.store.readings.query({ deviceId: 'oxi-news-2', metric: 'spo2' }).filter((r) => r.messageId === 'o2');
    expect((await runCli(['readings', 'retract', String(spo2!.id), '--reason', 'probe off the finger', '--data-dir', tmp.dir])).code).toBe(0);
    gw.alerts.checkSilenceNow();
    // Temperature 38.5 alone scores 1: ward-based, no alert.
    expect((await news2(4))[3]).toMatchObject({ state: 'resolved', value: 1 });
  });

  it('escalates an unacknowledged alert to the team, then on-call; a snooze defers it; all hear of the resolution (injected clock)', async () => {
    const t0 = Date.now();
    const clock = new ManualClock(t0);
    const tmp = tempDir();
    defer(tmp.remove);
    const settings = { profilesDir: unlimitedProfiles(tmp.dir), 'alerts.flushIntervalMs': 50, 'alerts.escalation': { afterMinutes: 15, contacts: ['team-ward', 'dr-oncall'] } };
    const gw = await startGateway(tmp.dir, settings, clock);
    defer(() => gw.stop());
    const kim = await clinician(gw, 'dr-kim', [TEST_NHS]);
    const team = await clinician(gw, 'team-ward', []);
    const oncall = await clinician(gw, 'dr-oncall', []);
    const cuff = await device(gw, 'bp-upper-arm', 'cuff-alert-10');
    const reading = (i: number, systolic: number) =>
      cuff.publishAsync('devices/cuff-alert-10/readings', JSON.stringify({ messageId: `e${i}`, takenAt: new Date(t0 - 60_000 + i).toISOString(), values: { systolic, diastolic: 80 } }), { qos: 1 });
    await reading(0, 190);
    const opened = await kim.nextOf('severe-hypertension');
    clock.set(t0 + 14 * 60_000);
    gw.alerts.checkEscalationsNow();
    await gw.alerts.settled();
    expect(team.inbox.messages).toHaveLength(0);
    clock.set(t0 + 15 * 60_000);
    gw.alerts.checkEscalationsNow();
    expect(await team.nextOf('severe-hypertension')).toMatchObject({ alertId: opened.alertId, state: 'open', by: 'escalation', note: 'not acknowledged: escalated to team-ward' });
    expect(await kim.nextOf('severe-hypertension')).toMatchObject({ by: 'escalation' });

    const snooze = await runCli(['alerts', 'snooze', opened.alertId, '--minutes', '60', '--note', 'patient resting, recheck in an hour', '--data-dir', tmp.dir]);
    expect(snooze.code).toBe(0);
    clock.set(t0 + 45 * 60_000); // level 2 would be due at 30 minutes, but the snooze runs to about 75
    gw.alerts.checkEscalationsNow();
    await gw.alerts.settled();
    expect(oncall.inbox.messages).toHaveLength(0);
    clock.set(t0 + 77 * 60_000);
    gw.alerts.checkEscalationsNow();
    expect(await oncall.nextOf('severe-hypertension')).toMatchObject({ escalationLevel: 2, note: 'not acknowledged: escalated to dr-oncall' });

    await reading(1, 150);
    // Everyone who heard of the alert (the escalations included) hears it is resolved.
    for (const who of [kim, team, oncall]) {
      let m = await who.nextOf('severe-hypertension');
      while (m.state !== 'resolved') m = await who.nextOf('severe-hypertension');
      expect(m).toMatchObject({ alertId: opened.alertId, escalationLevel: 2 });
    }
    expect(gw.store.alerts.events(opened.alertId).map((e) => [e.state, e.by])).toEqual([
      ['open', 'rules'],
      ['open', 'escalation'],
      ['open', expect.stringMatching(/^cli:/)],
      ['open', 'escalation'],
      ['resolved', 'rules'],
    ]);
  });
});
