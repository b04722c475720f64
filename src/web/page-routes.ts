import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AlertAction } from '../care/alert-actions.js';
import { CHARTED_METRICS, TRIAGE_PAGE_SIZE, type Caller } from '../care/service.js';
import { AuthFailure } from '../devices/index.js';
import { SESSION_COOKIE } from './auth.js';
import type { WebState } from './context.js';
import type { Html } from './html.js';
import { accountsPage, auditPage, deviceAddedPage, operationsPage } from './pages/operations.js';
import { patientPage, RANGES, type RangeId } from './pages/patient.js';
import { reportPage, type Series } from './pages/report.js';
import { signInPage } from './pages/sign-in.js';
import type { Viewer } from './pages/layout.js';
import { triagePage } from './pages/triage.js';
import { TRIAGE_FILTERS, type TriageFilter } from '../care/triage.js';
import { problemOfCare } from './problems.js';
import { send } from './server.js';

type Form = Record<string, string | undefined>;

const page = (reply: FastifyReply, body: Html): FastifyReply => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body.value);

function viewer(req: FastifyRequest): { caller: Caller; viewer: Viewer } {
  const auth = req.auth;
  if (auth === undefined) throw new Error('page reached without a caller');
  return { caller: auth.caller, viewer: { accountId: auth.caller.accountId, name: auth.caller.name, role: auth.caller.role, csrf: auth.session?.csrf ?? '' } };
}

/** Where to go after sign-in: only a path on this site. */
const safeNext = (next: string | undefined): string => (next !== undefined && /^\/(?!\/)[\w\-/?=&.%]*$/.test(next) ? next : '/');

/**
 * The browser pages. Every change is an HTML form (works from the keyboard and without script),
 * posted with the session's CSRF token and answered with a redirect back (post/redirect/get).
 */
export function pageRoutes(app: FastifyInstance, state: WebState, oidcLabel: string | undefined): void {
  const { care, admin, accounts, log } = state.deps;

  app.get('/auth/sign-in', async (req, reply) => {
    const q = req.query as Form;
    return page(reply, signInPage({ next: q['next'], oidcLabel }));
  });

  app.post('/auth/sign-in', async (req, reply) => {
    const f = (req.body ?? {}) as Form;
    const account = (f['account'] ?? '').trim();
    const next = safeNext(f['next']);
    const result = await accounts.authenticate(account, Buffer.from(f['secret'] ?? '', 'utf8'));
    const caller = { accountId: account || '(none)', name: account, role: 'clinician' as const, address: req.ip };
    if (!result.ok) {
      await care.audit(caller, 'sign-in', undefined, undefined, 'refused');
      log.warn({ address: req.ip, reason: result.error }, 'web sign-in refused');
      const message = result.error === AuthFailure.Throttled ? 'Too many failed attempts: wait a few minutes and try again' : 'The account ID or password is not right';
      return page(reply.code(result.error === AuthFailure.Throttled ? 429 : 401), signInPage({ error: message, account, next, oidcLabel }));
    }
    const record = await accounts.get(result.value);
    if (record === undefined) return send(req, reply, 'bad-credentials');
    const { token } = await state.sessions.open(record.id, 'local');
    await care.audit({ ...caller, accountId: record.id, role: record.role, name: record.name }, 'sign-in');
    reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'strict', secure: state.secureCookies });
    return reply.redirect(record.role === 'clinician' ? next : next === '/' ? '/operations' : next, 303);
  });

  app.post('/auth/sign-out', async (req, reply) => {
    const token = req.cookies[SESSION_COOKIE];
    await state.sessions.close(token);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/auth/sign-in', 303);
  });

  app.get('/', async (req, reply) => {
    const { caller, viewer: v } = viewer(req);
    if (caller.role !== 'clinician') return reply.redirect('/operations');
    const asked = (req.query as Form)['filter'] ?? 'all';
    const filter = (TRIAGE_FILTERS as readonly string[]).includes(asked) ? (asked as TriageFilter) : 'all';
    const pageNo = Math.max(1, Math.floor(Number((req.query as Form)['page'] ?? 1)) || 1);
    const triage = await care.triage(caller, { filter, offset: (pageNo - 1) * TRIAGE_PAGE_SIZE, limit: TRIAGE_PAGE_SIZE });
    if (!triage.ok) return send(req, reply, problemOfCare(triage.error));
    return page(reply, triagePage({ viewer: v, triage: triage.value, nowMs: state.deps.clock.now() }));
  });

  /** A patient and their alerts for a page (each view checked and audited), and the period asked for; or the answer already sent. */
  const patientView = async (req: FastifyRequest, reply: FastifyReply, defaultRange: RangeId) => {
    const { caller, viewer: v } = viewer(req);
    const nhs = (req.params as Form)['nhs'] ?? '';
    const asked = (req.query as Form)['range'] ?? defaultRange;
    const range: RangeId = asked in RANGES ? (asked as RangeId) : defaultRange;
    const p = await care.patient(caller, nhs);
    if (!p.ok) return send(req, reply, problemOfCare(p.error));
    const alerts = await care.alerts(caller, nhs);
    if (!alerts.ok) return send(req, reply, problemOfCare(alerts.error));
    return { caller, v, nhs, range, p: p.value, alerts: alerts.value };
  };

  app.get('/patients/:nhs', async (req, reply) => {
    const view = await patientView(req, reply, '7d');
    if (!('p' in view)) return view;
    return page(reply, patientPage({ viewer: view.v, p: view.p, alerts: view.alerts, range: view.range, nowMs: state.deps.clock.now() }));
  });

  app.get('/patients/:nhs/report', async (req, reply) => {
    const view = await patientView(req, reply, '30d');
    if (!('p' in view)) return view;
    const { caller, v, nhs, range, p, alerts } = view;
    const toMs = state.deps.clock.now();
    const fromMs = toMs - RANGES[range];
    const series = new Map<string, Series>();
    for (const metric of CHARTED_METRICS) {
      if (!p.latest.some((l) => l.metric === metric)) continue;
      const s = await care.series(caller, nhs, metric, fromMs, toMs + 1, 600);
      if (s.ok) series.set(metric, s.value);
    }
    await care.audit(caller, 'patient.report', p.patientNhs);
    return page(reply, reportPage({ viewer: v, p, alerts, series, fromMs, toMs }));
  });

  app.post('/patients/:nhs/review', async (req, reply) => {
    const { caller } = viewer(req);
    const nhs = (req.params as Form)['nhs'] ?? '';
    const r = await care.markReviewed(caller, nhs);
    if (!r.ok) return send(req, reply, problemOfCare(r.error));
    return reply.redirect(`/patients/${nhs}`, 303);
  });

  app.post('/patients/:nhs/thresholds/:ruleId', async (req, reply) => {
    const { caller } = viewer(req);
    const { nhs = '', ruleId = '' } = req.params as Form;
    const f = (req.body ?? {}) as Form;
    const num = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : Number(v));
    const limit = { above: num(f['above']), below: num(f['below']) };
    if (Number.isNaN(limit.above) || Number.isNaN(limit.below)) return send(req, reply, 'invalid-request', 'the limit must be a number');
    const r = await care.setThreshold(caller, nhs, ruleId, limit);
    if (!r.ok) return send(req, reply, problemOfCare(r.error));
    return reply.redirect(`/patients/${nhs}`, 303);
  });

  app.post('/patients/:nhs/alerts/:id/:action', async (req, reply) => {
    const { caller } = viewer(req);
    const { nhs = '', id = '', action = '' } = req.params as Form;
    const f = (req.body ?? {}) as Form;
    const note = (f['note'] ?? '').trim();
    if (note === '') return send(req, reply, 'invalid-request', 'a note is required');
    let a: AlertAction;
    if (action === 'acknowledge' || action === 'resolve') a = { kind: action, note };
    else if (action === 'snooze') a = { kind: 'snooze', minutes: Math.min(1440, Math.max(5, Number(f['minutes'] ?? 60) || 60)), note };
    else if (action === 'assign') a = { kind: 'assign', to: f['to'] ?? '', note };
    else return send(req, reply, 'not-found');
    const r = await care.alertAction(caller, id, a);
    if (!r.ok) return send(req, reply, problemOfCare(r.error));
    return reply.redirect(`/patients/${nhs}#alert-${id}`, 303);
  });

  app.post('/patients/:nhs/readings/:id/retract', async (req, reply) => {
    const { caller } = viewer(req);
    const { nhs = '', id = '' } = req.params as Form;
    const reason = ((req.body ?? {}) as Form)['reason']?.trim() ?? '';
    if (reason === '' || !/^\d+$/.test(id)) return send(req, reply, 'invalid-request', 'a reason is required');
    const r = await care.retract(caller, Number(id), reason);
    if (!r.ok) return send(req, reply, problemOfCare(r.error));
    return reply.redirect(`/patients/${nhs}`, 303);
  });

  app.post('/patients/:nhs/spo2-scale', async (req, reply) => {
    const { caller } = viewer(req);
    const nhs = (req.params as Form)['nhs'] ?? '';
    const scale = ((req.body ?? {}) as Form)['scale'];
    if (scale !== '1' && scale !== '2') return send(req, reply, 'invalid-request', 'choose scale 1 or 2');
    const r = await care.setSpo2Scale(caller, nhs, scale === '2' ? 2 : 1);
    if (!r.ok) return send(req, reply, problemOfCare(r.error));
    return reply.redirect(`/patients/${nhs}`, 303);
  });

  app.post('/patients/:nhs/research-opt-out', async (req, reply) => {
    const { caller } = viewer(req);
    const nhs = (req.params as Form)['nhs'] ?? '';
    const f = (req.body ?? {}) as Form;
    const source = f['source']?.trim() ?? '';
    if ((f['optedOut'] !== 'yes' && f['optedOut'] !== 'no') || source === '') return send(req, reply, 'invalid-request', 'choose opted out or in, and give the source');
    const r = await care.setResearchOptOut(caller, nhs, f['optedOut'] === 'yes', source.slice(0, 200));
    if (!r.ok) return send(req, reply, problemOfCare(r.error));
    return reply.redirect(`/patients/${nhs}`, 303);
  });

  app.post('/operations/devices', async (req, reply) => {
    const { caller, viewer: v } = viewer(req);
    const f = (req.body ?? {}) as Form;
    const r = await admin.addDevice(caller, { profileId: f['profileId'] ?? '', patient: f['patient'] ?? '', deviceId: f['deviceId']?.trim() || undefined });
    if (!r.ok) return send(req, reply, problemOfCare(r.error));
    return page(reply.code(201), deviceAddedPage({ viewer: v, deviceId: r.value.deviceId, secret: r.value.secret }));
  });

  app.post('/operations/devices/:id/revoke', async (req, reply) => {
    const { caller } = viewer(req);
    const r = await admin.revokeDevice(caller, (req.params as Form)['id'] ?? '');
    if (!r.ok) return send(req, reply, problemOfCare(r.error));
    return reply.redirect('/operations', 303);
  });

  app.get('/operations', async (req, reply) => {
    const { caller, viewer: v } = viewer(req);
    const devices = await admin.allDevices(caller);
    if (!devices.ok) return send(req, reply, problemOfCare(devices.error));
    await care.audit(caller, 'dead-letters.list');
    return page(
      reply,
      operationsPage({
        viewer: v,
        devices: devices.value.map((d) => ({ ...d, connected: state.deps.connected(d.deviceId) })),
        deadLetters: await state.deps.store.deadLetters.list({ limit: 50 }),
        outputs: await Promise.all(state.deps.sinks.map(async (sink) => ({ sink, ...(await state.deps.store.outbox.stats(sink)) }))),
        health: state.deps.health(),
        profiles: state.deps.profiles,
      }),
    );
  });

  app.post('/operations/outputs/:sink/requeue', async (req, reply) => {
    const { caller } = viewer(req);
    const r = await admin.requeue(caller, (req.params as Form)['sink'] ?? '');
    if (!r.ok) return send(req, reply, problemOfCare(r.error));
    return reply.redirect('/operations', 303);
  });

  const accountsView = async (req: FastifyRequest, reply: FastifyReply, added?: { id: string; secret: string }) => {
    const { caller, viewer: v } = viewer(req);
    const r = await admin.accounts(caller);
    if (!r.ok) return send(req, reply, problemOfCare(r.error));
    return page(added === undefined ? reply : reply.code(201), accountsPage({ viewer: v, accounts: r.value, added }));
  };
  app.get('/accounts', async (req, reply) => accountsView(req, reply));

  app.post('/accounts', async (req, reply) => {
    const { caller } = viewer(req);
    const f = (req.body ?? {}) as Form;
    const role = f['role'];
    if (role !== 'clinician' && role !== 'operator' && role !== 'admin') return send(req, reply, 'invalid-request', 'choose a role');
    const r = await admin.addAccount(caller, { id: (f['id'] ?? '').trim(), name: (f['name'] ?? '').trim(), role });
    if (!r.ok) return send(req, reply, problemOfCare(r.error));
    return accountsView(req, reply, { id: r.value.id, secret: r.value.secret });
  });

  app.post('/accounts/:id/patients', async (req, reply) => {
    const { caller } = viewer(req);
    const r = await admin.assignment(caller, (req.params as Form)['id'] ?? '', ((req.body ?? {}) as Form)['patient']?.replace(/[\s-]/g, '') ?? '', true);
    if (!r.ok) return send(req, reply, problemOfCare(r.error));
    return reply.redirect('/accounts', 303);
  });

  app.post('/accounts/:id/patients/:nhs/remove', async (req, reply) => {
    const { caller } = viewer(req);
    const { id = '', nhs = '' } = req.params as Form;
    const r = await admin.assignment(caller, id, nhs, false);
    if (!r.ok) return send(req, reply, problemOfCare(r.error));
    return reply.redirect('/accounts', 303);
  });

  app.post('/accounts/:id/revoke', async (req, reply) => {
    const { caller } = viewer(req);
    const r = await admin.revokeAccount(caller, (req.params as Form)['id'] ?? '');
    if (!r.ok) return send(req, reply, problemOfCare(r.error));
    return reply.redirect('/accounts', 303);
  });

  app.get('/audit', async (req, reply) => {
    const { caller, viewer: v } = viewer(req);
    const q = req.query as Form;
    const patient = q['patient']?.replace(/\s/g, '') || undefined;
    const actor = q['actor']?.trim() || undefined;
    const r = await admin.auditTrail(caller, { patientNhs: patient, actor, limit: 200 });
    if (!r.ok) return send(req, reply, problemOfCare(r.error));
    return page(reply, auditPage({ viewer: v, entries: r.value, patient, actor }));
  });
}
