/**
 * The web app on workers sharing PostgreSQL: a browser signed in at one worker is answered by any
 * (sessions in the database), the triage list and patient pages read what any worker stored, every
 * view is audited in the database, and live updates reach a browser from whichever worker commits
 * (PostgreSQL NOTIFY inside the commit, LISTEN on each worker). Real PostgreSQL, real Mosquitto,
 * two real workers in this process.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledProfilesDir, loadConfig } from '../../src/config/index.js';
import { ClinicianRegistry } from '../../src/clinicians/index.js';
import { DeviceRegistry } from '../../src/devices/index.js';
import { systemClock } from '../../src/domain/index.js';
import { createLogger } from '../../src/observability/index.js';
import { postgresBackend } from '../../src/backends/index.js';
import { Gateway } from '../../src/gateway.js';
import { loadProfiles } from '../../src/profiles/index.js';
import { PgStore } from '../../src/store/postgres/index.js';
import { useCleanups } from '../helpers/cleanup.js';
import { mosquittoMissing } from '../helpers/mosquitto.js';
import { anonymousDevice } from '../helpers/mqtt.js';
import { nhsNumbers } from '../helpers/nhs.js';
import { postgresMissing, PostgresServer, workerGroup } from '../helpers/postgres.js';
import { liveFields } from '../helpers/sse.js';
import { until } from '../helpers/until.js';

const defer = useCleanups();
const [PATIENT = '', OTHER = ''] = nhsNumbers(2, 943_500_000);

interface Signed {
  readonly cookie: string;
  readonly csrf: string;
}

/** A browser's server-sent events from one worker, as text so far. */
async function events(base: string, cookie: string) {
  const controller = new AbortController();
  const res = await fetch(`${base}/api/v1/events`, { headers: { cookie }, signal: controller.signal });
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const reader = res.body!.getReader();
  let text = '';
  const read = async (done: (t: string) => boolean): Promise<string> => {
    while (!done(text)) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    return text;
  };
  defer(() => controller.abort());
  await read((t) => t.includes(': connected'));
  return { read, text: () => text };
}

describe.skipIf(postgresMissing || mosquittoMissing)('the web app on workers sharing PostgreSQL', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await PostgresServer.start();
  }, 60_000);
  afterAll(() => server?.stop());

  it('serves a browser from any worker: one session, views audited in the database, live updates from the worker that stored the reading', async () => {
    const { url, broker, dir } = await workerGroup(server, defer);
    const profiles = loadProfiles(bundledProfilesDir());
    const setup = await PgStore.open(url, { poolSize: 2 });
    defer(() => setup.close());
    await new DeviceRegistry(setup.devices, profiles, systemClock).add({ profileId: 'bp-upper-arm', patient: PATIENT, deviceId: 'cuff-1' });
    const accounts = new ClinicianRegistry(setup.clinicians, systemClock);
    const drA = await accounts.add('dr-a', 'Dr A');
    const drB = await accounts.add('dr-b', 'Dr B');
    await accounts.assign('dr-a', PATIENT);
    await accounts.assign('dr-b', OTHER);

    const worker = (gatewayId: string) =>
      new Gateway(
        postgresBackend,
        loadConfig([
          {
            source: 'test',
            values: {
              gatewayId,
              'store.postgres.url': url,
              'store.postgres.poolSize': 4,
              'broker.url': broker.url,
              'broker.reconnectMs': 100,
              'http.enabled': false,
              'web.enabled': true,
              'web.host': '127.0.0.1',
              'web.port': 0,
              webhookKeyFile: join(dir, 'webhook.key'),
              'ble.enabled': false,
            },
          },
        ]),
        createLogger({ level: 'silent' }),
      );
    // Worker A takes no messages (its broker connections are left unstarted): whatever it tells its browsers, it heard from B.
    const a = worker('worker-a');
    defer(() => a.stop());
    const partsA = await a.start({ retireWorker: true });
    const b = worker('worker-b');
    defer(() => b.stop());
    const partsB = await b.start();
    await partsB.worker?.whenReady();
    const baseA = `http://127.0.0.1:${partsA.webPort}`;
    const baseB = `http://127.0.0.1:${partsB.webPort}`;

    const signIn = async (base: string, account: string, secret: string): Promise<Signed> => {
      const res = await fetch(`${base}/auth/sign-in`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ account, secret }) });
      expect(res.status).toBe(303);
      const cookie = /vg_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0] ?? '';
      // Asked of the other worker: the session is in the database.
      const me = await fetch(`${base === baseA ? baseB : baseA}/api/v1/me`, { headers: { cookie } });
      expect(me.status).toBe(200);
      return { cookie, csrf: ((await me.json()) as { csrf: string }).csrf };
    };
    const api = (base: string, path: string, s: Signed, init: RequestInit = {}) =>
      fetch(`${base}/api/v1${path}`, { ...init, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) } });

    const sessionA = await signIn(baseA, 'dr-a', drA.secret);
    const live = await events(baseA, sessionA.cookie);

    // A severe reading, taken by worker B: worker A's browser hears of the reading and of the alert it opened.
    const cuff = await anonymousDevice(broker.url, 'cuff-1', defer);
    await cuff.publishAsync('devices/cuff-1/readings', JSON.stringify({ messageId: 'm1', takenAt: new Date(Date.now() - 60_000).toISOString(), values: { systolic: 186, diastolic: 96 } }), { qos: 1 });
    const told = await live.read((t) => t.includes('event: readings') && t.includes('event: alert'));
    expect(told).toContain(`"patientNhs":"${PATIENT}"`);
    const fields = liveFields(told); // no values: the page fetches them through the audited API
    expect(fields.got).toEqual(fields.allowed);
    expect(told).not.toMatch(/\b186\b/); // nor the value in a field allowed (ids are UUIDs, times 13 digits)

    // The triage list at worker A shows what B stored; the view is audited in the database.
    const triage = (await (await api(baseA, '/patients', sessionA)).json()) as { patients: { patientNhs: string; criticalAlerts: number; latest: { metric: string; value: number }[] }[] };
    expect(triage.patients.map((p) => [p.patientNhs, p.criticalAlerts])).toEqual([[PATIENT, 1]]);
    expect(triage.patients[0]?.latest.map((l) => [l.metric, l.value])).toEqual([['systolic', 186], ['diastolic', 96]]);
    const page = (await (await api(baseB, `/patients/${PATIENT}`, sessionA)).json()) as { openAlerts: { id: string; ruleId: string }[]; recent: { values: { metric: string; value: number }[] }[] };
    expect(page.openAlerts.map((o) => o.ruleId)).toEqual(['severe-hypertension']);
    expect(page.recent[0]?.values).toEqual([{ metric: 'systolic', value: 186 }, { metric: 'diastolic', value: 96 }]);
    const series = (await (await api(baseA, `/patients/${PATIENT}/readings?metric=systolic&from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}`, sessionA)).json()) as { points: { value: number }[] };
    expect(series.points.map((p) => p.value)).toEqual([186]);
    // The pages, too, from either worker.
    const spaced = `${PATIENT.slice(0, 3)} ${PATIENT.slice(3, 6)} ${PATIENT.slice(6)}`;
    const triagePage = await fetch(`${baseB}/`, { headers: { cookie: sessionA.cookie, accept: 'text/html' } });
    expect(triagePage.status).toBe(200);
    expect(await triagePage.text()).toContain(spaced);
    const patientPage = await fetch(`${baseA}/patients/${PATIENT}`, { headers: { cookie: sessionA.cookie, accept: 'text/html' } });
    expect(patientPage.status).toBe(200);
    expect(await patientPage.text()).toMatch(/186/);
    const audited = await setup.audit.list({ actor: 'dr-a' });
    expect(audited.map((e) => e.action)).toEqual(expect.arrayContaining(['sign-in', 'patients.list', 'patient.view', 'patient.readings']));

    // Acknowledged through worker B: A's browser hears of it; acknowledging it again is a conflict.
    const alertId = page.openAlerts[0]?.id ?? '';
    expect((await api(baseB, `/alerts/${alertId}/acknowledge`, sessionA, { method: 'POST', body: JSON.stringify({ note: 'calling the patient' }) })).status).toBe(200);
    await live.read((t) => t.includes('"state":"acknowledged"'));
    expect((await setup.alerts.get(alertId))?.state).toBe('acknowledged');
    expect((await api(baseA, `/alerts/${alertId}/acknowledge`, sessionA, { method: 'POST', body: JSON.stringify({ note: 'again' }) })).status).toBe(409);

    // Another clinician's patient is refused at either worker, and the refusal audited.
    const sessionB = await signIn(baseB, 'dr-b', drB.secret);
    expect((await api(baseA, `/patients/${PATIENT}`, sessionB)).status).toBe(403);
    expect((await setup.audit.list({ actor: 'dr-b', patientNhs: PATIENT })).map((e) => [e.action, e.outcome])).toEqual([['patient.view', 'refused']]);

    // An operator's page: devices (no clinical values, NHS numbers masked), dead letters and outputs, from the database.
    const ops = await accounts.add('ops-1', 'Operator', undefined, 'operator');
    const sessionOps = await signIn(baseA, 'ops-1', ops.secret);
    const operations = await fetch(`${baseB}/operations`, { headers: { cookie: sessionOps.cookie, accept: 'text/html' } });
    expect(operations.status).toBe(200);
    const opsHtml = await operations.text();
    expect(opsHtml).toContain('cuff-1');
    expect(opsHtml).not.toContain(PATIENT);
    expect(opsHtml).not.toMatch(/\b186\b/);

    // An API token made on the database works at any worker.
    const { token } = await accounts.issueToken('dr-a', 'ward script', setup.tokens);
    expect((await fetch(`${baseB}/api/v1/patients`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

    // Signed out at B: the session is gone at A too.
    await fetch(`${baseB}/auth/sign-out`, { method: 'POST', redirect: 'manual', headers: { cookie: sessionA.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: sessionA.csrf }) });
    await until(() => api(baseA, '/me', sessionA).then((r) => r.status), (s) => s === 401, 'signed out everywhere');
  }, 60_000);
});
