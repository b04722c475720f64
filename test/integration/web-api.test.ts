import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClinicianRegistry } from '../../src/clinicians/index.js';
import { readingKey, systemClock, readingsOf } from '../../src/domain/index.js';
import type { ReadingRow } from '../../src/domain/index.js';
import { startGateway, tempDir, TEST_NHS, type TestGateway } from '../helpers/gateway.js';
import { connectDevice } from '../helpers/mqtt.js';
import { nhsNumbers } from '../helpers/nhs.js';
import { liveFields } from '../helpers/sse.js';
import { until } from '../helpers/until.js';

/** Patients: the test's (dr-a's and dr-b's), another only dr-c has. */
const OTHER_NHS = '4010232137';
const QUIET_NHS = '9999999468';

let gw: TestGateway;
let dir: ReturnType<typeof tempDir>;
let base: string;
const secrets: Record<string, string> = {};

interface Signed {
  cookie: string;
  csrf: string;
}

async function signIn(account: string, secret = secrets[account] ?? ''): Promise<Response> {
  return fetch(`${base}/auth/sign-in`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ account, secret }) });
}

async function session(account: string): Promise<Signed> {
  const res = await signIn(account);
  expect(res.status).toBe(303);
  const cookie = /vg_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0] ?? '';
  const me = (await (await fetch(`${base}/api/v1/me`, { headers: { cookie } })).json()) as { csrf: string };
  return { cookie, csrf: me.csrf };
}

const api = (path: string, s: Signed, init: RequestInit = {}) =>
  fetch(`${base}/api/v1${path}`, {
    ...init,
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...(init.headers as Record<string, string> | undefined) },
  });

const bp = (id: string, minutesAgo: number, systolic: number, diastolic = 80) => JSON.stringify({ messageId: id, takenAt: new Date(Date.now() - minutesAgo * 60_000).toISOString(), values: { systolic, diastolic } });

beforeAll(async () => {
  dir = tempDir();
  gw = await startGateway(dir.dir);
  base = `http://127.0.0.1:${gw.webPort}`;
  const accounts = new ClinicianRegistry(gw.store.clinicians, systemClock);
  for (const [id, role] of [['dr-a', 'clinician'], ['dr-b', 'clinician'], ['dr-c', 'clinician'], ['dr-d', 'clinician'], ['dr-e', 'clinician'], ['ops', 'operator'], ['root', 'admin']] as const) {
    secrets[id] = (await accounts.add(id, `Name of ${id}`, undefined, role)).secret;
  }
  for (const id of ['dr-a', 'dr-b']) {
    await accounts.assign(id, TEST_NHS);
    await accounts.assign(id, QUIET_NHS);
  }
  await accounts.assign('dr-c', OTHER_NHS);
  const cuff = await gw.addDevice('bp-upper-arm');
  await gw.addDevice('thermometer', { patient: QUIET_NHS });
  const client = await connectDevice(gw.url, cuff);
  await client.publishAsync(`devices/${cuff.deviceId}/readings`, bp('b1', 30, 128), { qos: 1 });
  await client.publishAsync(`devices/${cuff.deviceId}/readings`, bp('b2', 10, 186, 95), { qos: 1 }); // severe hypertension: critical
  await client.endAsync();
  await until(async () => gw.store.alerts.list({ patientNhs: TEST_NHS, open: true }), (a) => a.length === 1, 'the critical alert');
});

afterAll(async () => {
  await gw.stop();
  dir.remove();
});

describe('web sign-in', () => {
  it('sets an HttpOnly SameSite=Strict session cookie; a wrong password is refused, audited, and throttled after 5', async () => {
    const ok = await signIn('dr-b');
    expect(ok.status).toBe(303);
    expect(ok.headers.get('set-cookie')).toMatch(/^vg_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await signIn('dr-d', 'wrong')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect((await signIn('dr-d')).status).toBe(429); // locked even with the right secret, for a while
    const refused = gw.store.audit.list({ actor: 'dr-d' }).filter((e) => e.action === 'sign-in' && e.outcome === 'refused');
    expect(refused.length).toBeGreaterThanOrEqual(6);
    expect(refused[0]?.address).toBe('127.0.0.1');
  });

  it('sends a browser without a session to sign in, and an API client a 401 problem', async () => {
    const page = await fetch(`${base}/patients/${TEST_NHS}`, { redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe(`/auth/sign-in?next=${encodeURIComponent(`/patients/${TEST_NHS}`)}`);
    const res = await fetch(`${base}/api/v1/patients`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ type: 'urn:vitals-gateway:problem:not-signed-in', status: 401, code: 'not-signed-in' });
  });
});

describe('clinician API', () => {
  it("lists the clinician's patients most urgent first, with latest values, NEWS2 marked partial, and audits each view", async () => {
    const a = await session('dr-a');
    const list = (await (await api('/patients', a)).json()) as { total: number; patients: { patientNhs: string; tier: number; latest: { metric: string; value: number }[]; news2?: { partial: boolean } }[] };
    const rows = list.patients;
    expect(list.total).toBe(2);
    expect(rows.map((r) => r.patientNhs)).toEqual([TEST_NHS, QUIET_NHS]);
    expect(rows[0]?.tier).toBe(0);
    expect(rows[0]?.latest).toEqual(expect.arrayContaining([expect.objectContaining({ metric: 'systolic', value: 186 })]));
    expect(rows[0]?.news2?.partial).toBe(true);
    const views = gw.store.audit.list({ actor: 'dr-a' }).filter((e) => e.action === 'patients.list');
    expect(views.map((v) => v.patientNhs).sort()).toEqual([QUIET_NHS, TEST_NHS].sort());
  });

  it('pages the list most urgent first, filters it with counts per filter, and audits only the patients shown', async () => {
    const a = await session('dr-a');
    type Page = { filter: string; total: number; offset: number; limit: number; counts: Record<string, number>; patients: { patientNhs: string }[] };
    const before = gw.store.audit.list({ actor: 'dr-a' }).length;
    const first = (await (await api('/patients?limit=1', a)).json()) as Page;
    expect(first).toMatchObject({ filter: 'all', total: 2, offset: 0, limit: 1, counts: { all: 2, alerts: 1, news2: 0, stale: 0 } });
    expect(first.patients.map((p) => p.patientNhs)).toEqual([TEST_NHS]);
    const viewed = gw.store.audit.list({ actor: 'dr-a' }).slice(0, gw.store.audit.list({ actor: 'dr-a' }).length - before);
    expect(viewed.filter((e) => e.action === 'patients.list').map((e) => e.patientNhs)).toEqual([TEST_NHS]);
    const second = (await (await api('/patients?limit=1&offset=1', a)).json()) as Page;
    expect(second.patients.map((p) => p.patientNhs)).toEqual([QUIET_NHS]);
    const alerts = (await (await api('/patients?filter=alerts', a)).json()) as Page;
    expect(alerts).toMatchObject({ filter: 'alerts', total: 1 });
    expect(alerts.patients.map((p) => p.patientNhs)).toEqual([TEST_NHS]);
    const bad = await api('/patients?limit=0', a);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toContain('limit');
  });

  it('shows the triage page 50 patients at a time, with previous and next links that keep the filter', async () => {
    const accounts = new ClinicianRegistry(gw.store.clinicians, systemClock);
    const many = nhsNumbers(120, 500_000_000);
    for (const nhs of many) await accounts.assign('dr-e', nhs);
    try {
      const d = await session('dr-e');
      const page1 = await (await fetch(`${base}/`, { headers: { cookie: d.cookie } })).text();
      expect(page1.match(/<tr class="nhsuk-table__row" data-patient=/g)).toHaveLength(50);
      expect(page1).toContain('Patients 1 to 50 of 120');
      expect(page1).toContain('href="/?page=2" rel="next"');
      expect(page1).not.toContain('rel="prev"');
      const page3 = await (await fetch(`${base}/?page=3`, { headers: { cookie: d.cookie } })).text();
      expect(page3.match(/data-patient="(\d+)"/g)?.map((m) => m.slice(14, -1))).toEqual(many.slice(100));
      expect(page3).toContain('href="/?page=2" rel="prev"');
      expect(page3).not.toContain('rel="next"');
      const stale = await (await fetch(`${base}/?filter=stale&page=2`, { headers: { cookie: d.cookie } })).text();
      expect(stale).toContain('No patients');
    } finally {
      for (const nhs of many) gw.store.clinicians.unassign('dr-e', nhs);
    }
  });

  it('refuses another clinician the patient (403) and audits the attempt with who and from where', async () => {
    const c = await session('dr-c');
    const res = await api(`/patients/${TEST_NHS}`, c);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'forbidden' });
    expect((await api(`/patients/${TEST_NHS}/readings?metric=systolic&from=0&to=${Date.now()}`, c)).status).toBe(403);
    const refused = gw.store.audit.list({ patientNhs: TEST_NHS }).filter((e) => e.actor === 'dr-c');
    expect(refused.map((e) => [e.action, e.outcome, e.address])).toEqual([
      ['patient.readings', 'refused', '127.0.0.1'],
      ['patient.view', 'refused', '127.0.0.1'],
    ]);
  });

  it('refuses a change without the CSRF token, or from another origin, and takes it with the token', async () => {
    const a = await session('dr-a');
    const bare = await fetch(`${base}/api/v1/patients/${TEST_NHS}/review`, { method: 'POST', headers: { cookie: a.cookie } });
    expect(bare.status).toBe(403);
    expect(await bare.json()).toMatchObject({ code: 'csrf' });
    const foreign = await api(`/patients/${TEST_NHS}/review`, a, { method: 'POST', headers: { origin: 'https://evil.example' }, body: '{}' });
    expect(foreign.status).toBe(403);
    expect(gw.store.audit.lastReview(TEST_NHS)).toBeUndefined();
    const ok = await api(`/patients/${TEST_NHS}/review`, a, { method: 'POST', body: '{}' });
    expect(ok.status).toBe(200);
    expect(gw.store.audit.lastReview(TEST_NHS)).toMatchObject({ by: 'dr-a' });
  });

  it('acknowledges an alert once, with the note in its trail and deliveries queued for its clinicians; then assigns and resolves it', async () => {
    const a = await session('dr-a');
    const [open] = gw.store.alerts.list({ patientNhs: TEST_NHS, open: true });
    const id = open?.id ?? '';
    const ack = await api(`/alerts/${id}/acknowledge`, a, { method: 'POST', body: JSON.stringify({ note: 'phoned: repeat in 1 hour' }) });
    expect(ack.status).toBe(200);
    expect(await ack.json()).toMatchObject({ id, state: 'acknowledged' });
    const again = await api(`/alerts/${id}/acknowledge`, a, { method: 'POST', body: JSON.stringify({ note: 'again' }) });
    expect(again.status).toBe(409);
    expect((await api(`/alerts/${id}/acknowledge`, a, { method: 'POST', body: JSON.stringify({ note: '' }) })).status).toBe(400);
    expect((await api(`/alerts/${id}/assign`, a, { method: 'POST', body: JSON.stringify({ to: 'ops', note: 'not a clinician' }) })).status).toBe(400);
    expect((await api(`/alerts/${id}/assign`, a, { method: 'POST', body: JSON.stringify({ to: 'dr-b', note: 'yours' }) })).status).toBe(200);
    expect((await api(`/alerts/${id}/resolve`, a, { method: 'POST', body: JSON.stringify({ note: 'repeat reading normal' }) })).status).toBe(200);
    expect(gw.store.alerts.events(id).map((e) => [e.state, e.by, e.note])).toEqual([
      ['open', 'rules', undefined].map((v, i) => (i === 1 ? expect.any(String) : v)),
      ['acknowledged', 'dr-a', 'phoned: repeat in 1 hour'],
      ['acknowledged', 'dr-a', 'assigned to dr-b: yours'],
      ['resolved', 'dr-a', 'repeat reading normal'],
    ]);
    expect(gw.store.alerts.get(id)?.assignedTo).toBe('dr-b');
    // Each change goes to both clinicians of the patient (MQTT lanes), as changes made elsewhere do.
    const deliveries = gw.store.outbox.pending('alert-mqtt', 0, 100).map((e) => JSON.parse(e.payload) as { clinicianId: string; message: { state: string } });
    for (const state of ['acknowledged', 'resolved']) {
      expect(deliveries.filter((d) => d.message.state === state).map((d) => d.clinicianId).sort()).toEqual(expect.arrayContaining(['dr-a', 'dr-b']));
    }
    expect(gw.store.audit.list({ patientNhs: TEST_NHS, actor: 'dr-a' }).map((e) => e.action)).toEqual(expect.arrayContaining(['alert.acknowledge', 'alert.assign', 'alert.resolve']));
  });

  it("sets a patient's threshold with who and when, shown on the patient", async () => {
    const a = await session('dr-a');
    expect((await api(`/patients/${TEST_NHS}/thresholds/severe-hypertension`, a, { method: 'PUT', body: JSON.stringify({ below: 170 }) })).status).toBe(400); // an upper limit rule
    expect((await api(`/patients/${TEST_NHS}/thresholds/severe-hypertension`, a, { method: 'PUT', body: JSON.stringify({ above: 169 }) })).status).toBe(204);
    const p = (await (await api(`/patients/${TEST_NHS}`, a)).json()) as { thresholds: { ruleId: string; above?: number; override?: { setBy: string } }[] };
    expect(p.thresholds.find((t) => t.ruleId === 'severe-hypertension')).toMatchObject({ above: 169, override: { setBy: 'dr-a' } });
  });

  it('retracts a wrong reading with a reason: gone from the chart, kept as retracted, audited; again changes nothing', async () => {
    const a = await session('dr-a');
    const [reading] = gw.store.readings.query({ patientNhs: TEST_NHS, metric: 'systolic' }).filter((r) => r.value === 128);
    const id = reading?.id ?? 0;
    expect((await api(`/readings/${id}/retract`, a, { method: 'POST', body: JSON.stringify({ reason: '' }) })).status).toBe(400);
    const c = await session('dr-c');
    expect((await api(`/readings/${id}/retract`, c, { method: 'POST', body: JSON.stringify({ reason: 'not mine' }) })).status).toBe(403);
    const done = await api(`/readings/${id}/retract`, a, { method: 'POST', body: JSON.stringify({ reason: 'cuff on over clothing' }) });
    expect(await done.json()).toEqual({ values: 2, alreadyRetracted: false }); // systolic and diastolic
    expect(await (await api(`/readings/${id}/retract`, a, { method: 'POST', body: JSON.stringify({ reason: 'again' }) })).json()).toEqual({ values: 2, alreadyRetracted: true });
    const chart = (await (await api(`/patients/${TEST_NHS}/readings?metric=systolic&from=${Date.now() - 86_400_000}&to=${Date.now() + 1}`, a)).json()) as { points: { value: number }[] };
    expect(chart.points.map((p) => p.value)).not.toContain(128);
    expect(gw.store.readings.readingOf(id).every((r) => r.status === 'entered-in-error')).toBe(true);
    expect(gw.store.audit.list({ actor: 'dr-a' }).find((e) => e.action === 'reading.retract')).toMatchObject({ target: String(id), patientNhs: TEST_NHS });
  });

  it("records the patient's research opt-out with its source (their clinician or an admin; nobody else), audited", async () => {
    const a = await session('dr-a');
    const res = await api(`/patients/${QUIET_NHS}/research-opt-out`, a, { method: 'PUT', body: JSON.stringify({ optedOut: true, source: 'patient request' }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ patientNhs: QUIET_NHS, optedOut: true, source: 'patient request' });
    expect(gw.store.research.isOptedOut(QUIET_NHS)).toBe(true);
    expect(((await (await api(`/patients/${QUIET_NHS}`, a)).json()) as { researchOptOut: { optedOut: boolean } }).researchOptOut.optedOut).toBe(true);
    expect((await api(`/patients/${QUIET_NHS}/research-opt-out`, await session('dr-c'), { method: 'PUT', body: JSON.stringify({ optedOut: false, source: 'x' }) })).status).toBe(403);
    expect((await api(`/patients/${QUIET_NHS}/research-opt-out`, await session('ops'), { method: 'PUT', body: JSON.stringify({ optedOut: false, source: 'x' }) })).status).toBe(403);
    expect((await api(`/patients/${QUIET_NHS}/research-opt-out`, await session('root'), { method: 'PUT', body: JSON.stringify({ optedOut: false, source: 'national data opt-out' }) })).status).toBe(200);
    expect(gw.store.research.optOut(QUIET_NHS)).toMatchObject({ optedOut: false, source: 'national data opt-out' });
    const trail = gw.store.audit.list({ patientNhs: QUIET_NHS }).filter((e) => e.action.startsWith('patient.research-opt'));
    expect(trail.map((e) => [e.actor, e.action, e.outcome])).toEqual(
      expect.arrayContaining([['dr-a', 'patient.research-opt-out', 'ok'], ['dr-c', 'patient.research-opt-in', 'refused'], ['root', 'patient.research-opt-in', 'ok']]),
    );
  });

  it("sets the patient's NEWS2 SpO2 scale with who and when", async () => {
    const a = await session('dr-a');
    expect((await api(`/patients/${QUIET_NHS}/spo2-scale`, a, { method: 'PUT', body: JSON.stringify({ scale: 3 }) })).status).toBe(400);
    expect((await api(`/patients/${QUIET_NHS}/spo2-scale`, a, { method: 'PUT', body: JSON.stringify({ scale: 2 }) })).status).toBe(204);
    expect(gw.store.patients.settings(QUIET_NHS)).toMatchObject({ spo2Scale: 2, setBy: 'dr-a' });
  });

  it('answers a bad query with a problem naming the field', async () => {
    const a = await session('dr-a');
    const res = await api(`/patients/${TEST_NHS}/readings?metric=colour&from=0&to=1`, a);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toBe('invalid-request');
    expect(body.detail).toContain('metric');
  });

  it("downsamples 90 days of per-minute heart rate to at most maxPoints, each bucket's min and max kept", async () => {
    const patient = QUIET_NHS;
    const watch = await gw.addDevice('wrist-wearable', { patient });
    const now = Date.now();
    const rows: ReadingRow[] = [];
    const spikeAt = now - 45 * 86_400_000;
    for (let t = now - 90 * 86_400_000; t < now; t += 60_000 * 5) {
      const value = 60 + (Math.round(t / 300_000) % 20);
      rows.push({ idempotencyKey: readingKey({ deviceId: watch.deviceId, deviceTakenAtMs: t, messageId: undefined, values: { heartRate: value } }), deviceId: watch.deviceId, patientNhs: patient, profileId: 'wrist-wearable', metric: 'heartRate', value, unit: '/min', sourceUnit: undefined, deviceTakenAtMs: t, takenAtMs: t, receivedAtMs: t, clockOffsetMs: undefined, messageId: undefined });
    }
    rows.push({ ...(rows[0] as ReadingRow), idempotencyKey: 'spike', value: 190, takenAtMs: spikeAt, deviceTakenAtMs: spikeAt });
    gw.store.readings.commit({ readings: readingsOf(rows), deadLetters: [], health: [] });
    const a = await session('dr-a');
    const raw = await api(`/patients/${patient}/readings?metric=heartRate&from=${now - 90 * 86_400_000}&to=${now}&maxPoints=500`, a);
    const res = (await raw.json()) as { buckets: { min: number; max: number; count: number }[] };
    expect(res.buckets.length).toBeLessThanOrEqual(250);
    expect(res.buckets.reduce((n, b) => n + b.count, 0)).toBe(rows.length);
    expect(Math.max(...res.buckets.map((b) => b.max))).toBe(190);
    expect(Math.min(...res.buckets.map((b) => b.min))).toBe(60);
  });
});

describe('operators and admins', () => {
  it('shows an operator devices and outputs, and no clinical values', async () => {
    const ops = await session('ops');
    expect((await api('/patients', ops)).status).toBe(403);
    expect((await api(`/patients/${TEST_NHS}`, ops)).status).toBe(403);
    const devices = await (await api('/devices', ops)).text();
    expect(devices).toContain('bp-upper-arm');
    expect(devices).not.toContain(TEST_NHS);
    expect(devices).not.toMatch(/"value"|systolic/);
    const outputs = (await (await api('/outputs', ops)).json()) as { outputs: { sink: string }[] };
    expect(outputs.outputs.map((o) => o.sink)).toEqual(['influx', 'fhir', 'alert-mqtt', 'alert-webhook']);
    const page = await (await fetch(`${base}/operations`, { headers: { cookie: ops.cookie } })).text();
    expect(page).not.toMatch(/\b186\b/);
    expect(page).not.toContain('943 476 5919');
  });

  it('lets an operator add a device (its secret shown once) and revoke it; not a clinician', async () => {
    const ops = await session('ops');
    const dr = await session('dr-a');
    expect((await api('/devices', dr, { method: 'POST', body: JSON.stringify({ profileId: 'thermometer', patient: QUIET_NHS }) })).status).toBe(403);
    expect((await api('/devices', ops, { method: 'POST', body: JSON.stringify({ profileId: 'no-such-profile', patient: QUIET_NHS }) })).status).toBe(400);
    const added = await api('/devices', ops, { method: 'POST', body: JSON.stringify({ profileId: 'thermometer', patient: QUIET_NHS, deviceId: 'therm-web' }) });
    expect(added.status).toBe(201);
    const creds = (await added.json()) as { deviceId: string; secret: string };
    expect(creds.deviceId).toBe('therm-web');
    expect(gw.store.devices.get('therm-web')?.secretHash).not.toContain(creds.secret);
    expect((await api('/devices', ops, { method: 'POST', body: JSON.stringify({ profileId: 'thermometer', patient: QUIET_NHS, deviceId: 'therm-web' }) })).status).toBe(409);
    const client = await connectDevice(gw.url, creds);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    expect((await api('/devices/therm-web/revoke', ops, { method: 'POST', body: '{}' })).status).toBe(204);
    await closed; // the revocation watch disconnects it
    expect(gw.store.devices.get('therm-web')?.status).toBe('revoked');
    expect(gw.store.audit.list({ actor: 'ops' }).map((e) => e.action)).toEqual(expect.arrayContaining(['device.add', 'device.revoke']));
  });

  it('lets an admin add accounts, assign and unassign patients, and revoke an account (signed out at once); nobody else', async () => {
    const root = await session('root');
    const ops = await session('ops');
    expect((await api('/accounts', ops)).status).toBe(403);
    expect((await api('/accounts', ops, { method: 'POST', body: JSON.stringify({ id: 'dr-z', name: 'Z', role: 'clinician' }) })).status).toBe(403);
    const added = await api('/accounts', root, { method: 'POST', body: JSON.stringify({ id: 'dr-z', name: 'Dr Zed', role: 'clinician' }) });
    expect(added.status).toBe(201);
    const { secret } = (await added.json()) as { secret: string };
    secrets['dr-z'] = secret;
    expect((await api('/accounts', root, { method: 'POST', body: JSON.stringify({ id: 'dr-z', name: 'Again', role: 'clinician' }) })).status).toBe(409);
    expect((await api(`/accounts/dr-z/patients/${QUIET_NHS}`, root, { method: 'PUT' })).status).toBe(204);
    expect((await api(`/accounts/ops/patients/${QUIET_NHS}`, root, { method: 'PUT' })).status).toBe(400); // operators look after no patients
    const z = await session('dr-z');
    expect(((await (await api('/patients', z)).json()) as { patients: { patientNhs: string }[] }).patients.map((r) => r.patientNhs)).toEqual([QUIET_NHS]);
    expect((await api(`/accounts/dr-z/patients/${QUIET_NHS}`, root, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/patients/${QUIET_NHS}`, z)).status).toBe(403);
    expect((await api('/accounts/root/revoke', root, { method: 'POST', body: '{}' })).status).toBe(400); // not oneself
    expect((await api('/accounts/dr-z/revoke', root, { method: 'POST', body: '{}' })).status).toBe(204);
    expect((await api('/patients', z)).status).toBe(401); // its session ends with it
    expect((await signIn('dr-z')).status).toBe(401);
    const list = (await (await api('/accounts', root)).json()) as { id: string; status: string }[];
    expect(list.find((a) => a.id === 'dr-z')?.status).toBe('revoked');
    expect(JSON.stringify(list)).not.toMatch(/secret|scrypt/i);
  });

  it('lets an admin read the audit trail by patient or user; nobody else', async () => {
    const dr = await session('dr-a');
    expect((await api('/audit', dr)).status).toBe(403);
    const root = await session('root');
    const trail = (await (await api(`/audit?patient=${TEST_NHS}`, root)).json()) as { actor: string; action: string; outcome: string }[];
    expect(trail.some((e) => e.actor === 'dr-c' && e.outcome === 'refused')).toBe(true);
    expect(trail.some((e) => e.actor === 'dr-a' && e.action === 'patient.view')).toBe(true);
  });

  it('serves bearer tokens to API clients (stored hashed), and an OpenAPI document generated from the schemas', async () => {
    const accounts = new ClinicianRegistry(gw.store.clinicians, systemClock);
    const { token } = await accounts.issueToken('dr-a', 'ward system', gw.store.tokens);
    const res = await fetch(`${base}/api/v1/patients`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(JSON.stringify(gw.store.tokens.list('dr-a'))).not.toContain(token);
    expect((await fetch(`${base}/api/v1/patients`, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(401);
    // A token needs no CSRF token: it is not sent by browsers on their own.
    expect((await fetch(`${base}/api/v1/patients/${TEST_NHS}/review`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, { parameters?: { name: string }[] }>> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/patients', '/patients/{nhs}', '/patients/{nhs}/readings', '/alerts/{id}/acknowledge', '/audit', '/devices', '/outputs'].map((p) => `/api/v1${p}`)));
    expect(doc.paths['/api/v1/patients/{nhs}/readings']?.['get']?.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(['nhs', 'metric', 'from', 'to', 'maxPoints']));
    expect(await (await fetch(`${base}/api/v1/docs`)).text()).toContain('/api/v1/patients/{nhs}/readings');
  });
});

describe('live updates', () => {
  it("tells a clinician of their own patients' new readings and alert changes, and nothing of others'", async () => {
    const accounts = new ClinicianRegistry(gw.store.clinicians, systemClock);
    const { token } = await accounts.issueToken('dr-a', 'live test', gw.store.tokens);
    const controller = new AbortController();
    const res = await fetch(`${base}/api/v1/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const read = async (until: (t: string) => boolean) => {
      while (!until(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      return text;
    };
    await read((t) => t.includes(': connected'));
    const other = await gw.addDevice('bp-upper-arm', { patient: OTHER_NHS });
    const mine = await gw.addDevice('bp-upper-arm', { patient: TEST_NHS, id: 'cuff-live' });
    const c1 = await connectDevice(gw.url, other);
    await c1.publishAsync(`devices/${other.deviceId}/readings`, bp('o1', 1, 190, 100), { qos: 1 });
    await c1.endAsync();
    const c2 = await connectDevice(gw.url, mine);
    await c2.publishAsync(`devices/${mine.deviceId}/readings`, bp('m1', 1, 125), { qos: 1 });
    await c2.endAsync();
    await read((t) => t.includes('event: readings'));
    controller.abort();
    expect(text).toContain(`"patientNhs":"${TEST_NHS}"`);
    expect(text).not.toContain(OTHER_NHS);
    const fields = liveFields(text); // no values: the page fetches them through the audited API
    expect(fields.got).toEqual(fields.allowed);
    expect(text).not.toMatch(/\b125\b/); // nor the value in a field allowed (ids are UUIDs, times 13 digits)
  });
});
