import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CHARTED_METRICS, TRIAGE_PAGE_SIZE, type Caller } from '../care/service.js';
import { TRIAGE_FILTERS } from '../care/triage.js';
import type { AlertAction } from '../care/alert-actions.js';
import type { Result } from '../domain/index.js';
import type { CareError } from '../care/service.js';
import type { WebState } from './context.js';
import type { LiveEvent } from './live.js';
import { problemOfCare } from './problems.js';
import { send } from './server.js';

const Nhs = z.string().regex(/^\d{10}$/, 'an NHS number: 10 digits').describe('NHS number, 10 digits');
const PatientParams = z.object({ nhs: Nhs });
const AlertParams = z.object({ id: z.string().min(1).max(100) });
const Note = z.string().trim().min(1, 'a note is required').max(2000);
const Millis = z.coerce.number().int();

const caller = (req: FastifyRequest): Caller => {
  if (req.auth === undefined) throw new Error('route reached without a caller');
  return req.auth.caller;
};

/** A service result as JSON, or its problem. */
function answer<T>(req: FastifyRequest, reply: FastifyReply, r: Result<T, CareError>, status = 200): FastifyReply {
  if (!r.ok) return send(req, reply, problemOfCare(r.error));
  return reply.code(status).send(r.value as never);
}

/**
 * `/api/v1`: the same operations the pages use, for API clients (bearer tokens) and the app's own
 * scripts (session and CSRF token). Inputs are validated by the zod schemas below, from which the
 * OpenAPI document is generated.
 */
export function apiRoutes(root: FastifyInstance, state: WebState): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { care, admin } = state.deps;

  app.get('/openapi.json', { schema: { hide: true } }, async () => (root as unknown as { swagger(): unknown }).swagger());
  app.get('/docs', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(docsPage((root as unknown as { swagger(): OpenApi }).swagger())));

  app.get('/me', { schema: { summary: 'Who is signed in', tags: ['session'] } }, async (req) => {
    const c = caller(req);
    return { accountId: c.accountId, name: c.name, role: c.role, csrf: req.auth?.session?.csrf };
  });

  app.get(
    '/patients',
    {
      schema: {
        summary: 'My patients, most urgent first (latest values, open alerts, NEWS2, stale data), a page at a time, with how many each filter shows',
        tags: ['patients'],
        querystring: z.object({
          filter: z.enum(TRIAGE_FILTERS).default('all'),
          offset: z.coerce.number().int().min(0).default(0),
          limit: z.coerce.number().int().min(1).max(1000).default(TRIAGE_PAGE_SIZE),
        }),
      },
    },
    async (req, reply) => answer(req, reply, await care.triage(caller(req), req.query)),
  );

  app.get('/patients/:nhs', { schema: { summary: "A patient's summary: latest values, NEWS2, devices, open alerts, home BP average, thresholds", tags: ['patients'], params: PatientParams } }, async (req, reply) =>
    answer(req, reply, await care.patient(caller(req), req.params.nhs)),
  );

  app.get(
    '/patients/:nhs/readings',
    {
      schema: {
        summary: "A patient's readings of one metric in a time range, downsampled (each bucket's min and max) to at most maxPoints",
        tags: ['patients'],
        params: PatientParams,
        querystring: z.object({ metric: z.enum(CHARTED_METRICS), from: Millis.describe('start, ms since the epoch'), to: Millis.describe('end (exclusive), ms since the epoch'), maxPoints: z.coerce.number().int().min(10).max(5000).default(2000) }),
      },
    },
    async (req, reply) => {
      const q = req.query;
      if (q.to <= q.from) return send(req, reply, 'invalid-request', '`to` must be after `from`');
      return answer(req, reply, await care.series(caller(req), req.params.nhs, q.metric, q.from, q.to, q.maxPoints));
    },
  );

  app.get('/patients/:nhs/home-bp', { schema: { summary: "A patient's home BP average and NICE stage (NG136)", tags: ['patients'], params: PatientParams } }, async (req, reply) => {
    const r = await care.patient(caller(req), req.params.nhs);
    return answer(req, reply, r.ok ? { ok: true as const, value: r.value.homeBp } : r);
  });

  app.get('/patients/:nhs/alerts', { schema: { summary: "A patient's alerts, newest first, each with its trail", tags: ['alerts'], params: PatientParams } }, async (req, reply) =>
    answer(req, reply, await care.alerts(caller(req), req.params.nhs)),
  );

  app.post('/patients/:nhs/review', { schema: { summary: 'Mark the patient reviewed', tags: ['patients'], params: PatientParams } }, async (req, reply) =>
    answer(req, reply, await care.markReviewed(caller(req), req.params.nhs)),
  );

  app.put(
    '/patients/:nhs/thresholds/:ruleId',
    {
      schema: {
        summary: "Set this patient's limit for one alert rule (kept with who and when)",
        tags: ['patients'],
        params: z.object({ nhs: Nhs, ruleId: z.string().min(1).max(100) }),
        body: z.object({ above: z.number().optional(), below: z.number().optional() }).refine((b) => (b.above === undefined) !== (b.below === undefined), 'give either above or below'),
      },
    },
    async (req, reply) => {
      const r = await care.setThreshold(caller(req), req.params.nhs, req.params.ruleId, req.body);
      return r.ok ? reply.code(204).send() : answer(req, reply, r);
    },
  );

  app.put(
    '/patients/:nhs/spo2-scale',
    { schema: { summary: "The patient's NEWS2 SpO2 scale: 2 only for a target of 88–92 % (kept with who and when)", tags: ['patients'], params: PatientParams, body: z.object({ scale: z.union([z.literal(1), z.literal(2)]) }) } },
    async (req, reply) => {
      const r = await care.setSpo2Scale(caller(req), req.params.nhs, req.body.scale);
      return r.ok ? reply.code(204).send() : answer(req, reply, r);
    },
  );

  app.put(
    '/patients/:nhs/research-opt-out',
    {
      schema: {
        summary: "The patient's research opt-out (or opt-in again), with its source; every extract made afterwards honours it",
        tags: ['patients'],
        params: PatientParams,
        body: z.object({ optedOut: z.boolean(), source: z.string().trim().min(1).max(200).describe('where the decision came from, e.g. "patient request"') }),
      },
    },
    async (req, reply) => answer(req, reply, await care.setResearchOptOut(caller(req), req.params.nhs, req.body.optedOut, req.body.source)),
  );

  app.post(
    '/readings/:id/retract',
    { schema: { summary: 'Retract a wrong reading (all its values) with a reason; the outputs are told', tags: ['patients'], params: z.object({ id: z.coerce.number().int().positive() }), body: z.object({ reason: Note }) } },
    async (req, reply) => answer(req, reply, await care.retract(caller(req), req.params.id, req.body.reason)),
  );

  const actions: Record<string, z.ZodType<AlertAction>> = {
    acknowledge: z.object({ note: Note }).transform((b) => ({ kind: 'acknowledge' as const, note: b.note })),
    resolve: z.object({ note: Note }).transform((b) => ({ kind: 'resolve' as const, note: b.note })),
    snooze: z.object({ minutes: z.number().int().min(5).max(24 * 60), note: Note }).transform((b) => ({ kind: 'snooze' as const, minutes: b.minutes, note: b.note })),
    assign: z.object({ to: z.string().min(1).max(64), note: Note }).transform((b) => ({ kind: 'assign' as const, to: b.to, note: b.note })),
  };
  for (const [name, body] of Object.entries(actions)) {
    app.post(`/alerts/:id/${name}`, { schema: { summary: `${name[0]?.toUpperCase()}${name.slice(1)} an alert (with a note: the alert's trail)`, tags: ['alerts'], params: AlertParams, body } }, async (req, reply) =>
      answer(req, reply, await care.alertAction(caller(req), req.params.id, req.body as AlertAction)),
    );
  }

  app.get('/devices', { schema: { summary: 'Operators: every device, its connection and state (no clinical values)', tags: ['operations'] } }, async (req, reply) => {
    const r = await admin.allDevices(caller(req));
    return answer(req, reply, r.ok ? { ok: true as const, value: r.value.map((d) => ({ ...d, connected: state.deps.connected(d.deviceId) })) } : r);
  });

  app.post(
    '/devices',
    {
      schema: {
        summary: "Operators: add a device for a patient; the answer holds its secret, shown once",
        tags: ['operations'],
        body: z.object({ profileId: z.string().min(1).max(64), patient: z.string().min(10).max(12), deviceId: z.string().min(3).max(64).optional() }),
      },
    },
    async (req, reply) => answer(req, reply, await admin.addDevice(caller(req), req.body), 201),
  );

  app.post('/devices/:id/revoke', { schema: { summary: 'Operators: revoke a device (it can no longer connect)', tags: ['operations'], params: z.object({ id: z.string().min(1).max(64) }) } }, async (req, reply) => {
    const r = await admin.revokeDevice(caller(req), req.params.id);
    return r.ok ? reply.code(204).send() : answer(req, reply, r);
  });

  app.get('/dead-letters', { schema: { summary: 'Operators: rejected messages with their reasons', tags: ['operations'], querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }) } }, async (req, reply) => {
    if (caller(req).role === 'clinician') return send(req, reply, 'forbidden');
    await care.audit(caller(req), 'dead-letters.list');
    return (await state.deps.store.deadLetters.list({ limit: req.query.limit })).map(({ payload: _bytes, ...d }) => d);
  });

  app.get('/outputs', { schema: { summary: 'Operators: each output with pending, dead and the oldest pending entry', tags: ['operations'] } }, async (req, reply) => {
    if (caller(req).role === 'clinician') return send(req, reply, 'forbidden');
    return { health: state.deps.health().status, outputs: await Promise.all(state.deps.sinks.map(async (sink) => ({ sink, ...(await state.deps.store.outbox.stats(sink)) }))) };
  });

  app.post('/outputs/:sink/requeue', { schema: { summary: "Operators: put an output's dead entries back in its queue (after a fix)", tags: ['operations'], params: z.object({ sink: z.string().min(1).max(64) }) } }, async (req, reply) => {
    const r = await admin.requeue(caller(req), req.params.sink);
    return answer(req, reply, r.ok ? { ok: true as const, value: { requeued: r.value } } : r);
  });

  const AccountParams = z.object({ id: z.string().min(3).max(64) });
  app.get('/accounts', { schema: { summary: 'Admins: every account, its role and its patients', tags: ['accounts'] } }, async (req, reply) => answer(req, reply, await admin.accounts(caller(req))));
  app.post(
    '/accounts',
    { schema: { summary: 'Admins: add an account; the answer holds its password, shown once', tags: ['accounts'], body: z.object({ id: z.string().min(3).max(64), name: z.string().trim().min(1).max(200), role: z.enum(['clinician', 'operator', 'admin']) }) } },
    async (req, reply) => answer(req, reply, await admin.addAccount(caller(req), req.body), 201),
  );
  app.put('/accounts/:id/patients/:nhs', { schema: { summary: 'Admins: the clinician looks after the patient', tags: ['accounts'], params: AccountParams.extend({ nhs: Nhs }) } }, async (req, reply) => {
    const r = await admin.assignment(caller(req), req.params.id, req.params.nhs, true);
    return r.ok ? reply.code(204).send() : answer(req, reply, r);
  });
  app.delete('/accounts/:id/patients/:nhs', { schema: { summary: 'Admins: the clinician no longer looks after the patient', tags: ['accounts'], params: AccountParams.extend({ nhs: Nhs }) } }, async (req, reply) => {
    const r = await admin.assignment(caller(req), req.params.id, req.params.nhs, false);
    return r.ok ? reply.code(204).send() : answer(req, reply, r);
  });
  app.post('/accounts/:id/revoke', { schema: { summary: 'Admins: the account can no longer sign in', tags: ['accounts'], params: AccountParams } }, async (req, reply) => {
    const r = await admin.revokeAccount(caller(req), req.params.id);
    return r.ok ? reply.code(204).send() : answer(req, reply, r);
  });

  app.get(
    '/audit',
    { schema: { summary: 'Admins: the audit trail, newest first', tags: ['audit'], querystring: z.object({ patient: Nhs.optional(), actor: z.string().max(64).optional(), before: z.coerce.number().int().optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }) } },
    async (req, reply) => answer(req, reply, await admin.auditTrail(caller(req), { patientNhs: req.query.patient, actor: req.query.actor, beforeId: req.query.before, limit: req.query.limit })),
  );

  app.get('/events', { schema: { summary: "Server-sent events: new readings and alert changes for the caller's patients (no values: fetch them)", tags: ['patients'] } }, async (req, reply) => {
    const c = caller(req);
    let patients: ReadonlySet<string> = new Set(await care.patientsOf(c));
    const refresh = setInterval(() => {
      care.patientsOf(c).then(
        (list) => (patients = new Set(list)),
        () => undefined, // the store unreachable for a moment: the last list stands
      );
    }, 10_000);
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    reply.raw.write(': connected\n\n');
    const stop = state.deps.live.add({ patients: () => patients, send: (e: LiveEvent) => reply.raw.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`) });
    const beat = setInterval(() => reply.raw.write(': keep-alive\n\n'), 25_000);
    req.raw.once('close', () => {
      clearInterval(beat);
      clearInterval(refresh);
      stop();
    });
  });
}

interface OpenApi {
  paths?: Record<string, Record<string, { summary?: string; tags?: string[] }>>;
}

/** A light docs page over the OpenAPI document (no bundled UI). */
function docsPage(doc: OpenApi): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
  const rows = Object.entries(doc.paths ?? {}).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => `<tr class="nhsuk-table__row"><td class="nhsuk-table__cell"><code>${method.toUpperCase()}</code></td><td class="nhsuk-table__cell"><code>${esc(path)}</code></td><td class="nhsuk-table__cell">${esc(op.summary ?? '')}</td></tr>`),
  );
  return `<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>API – vitals-gateway</title><link rel="stylesheet" href="/assets/nhsuk/nhsuk-frontend.min.css"></head>
<body class="nhsuk-frontend-supported"><div class="nhsuk-width-container"><main class="nhsuk-main-wrapper" id="maincontent"><h1>vitals-gateway API</h1>
<p>Version 1. The machine-readable description is <a href="/api/v1/openapi.json">openapi.json</a> (OpenAPI 3.1). Authenticate with <code>Authorization: Bearer &lt;token&gt;</code> (<code>vitals-gateway clinicians token &lt;id&gt;</code>); errors are RFC 9457 problem details with a <code>code</code>.</p>
<table class="nhsuk-table"><caption class="nhsuk-table__caption">Operations</caption><thead class="nhsuk-table__head"><tr class="nhsuk-table__row"><th scope="col" class="nhsuk-table__header">Method</th><th scope="col" class="nhsuk-table__header">Path</th><th scope="col" class="nhsuk-table__header">What it does</th></tr></thead><tbody class="nhsuk-table__body">${rows.join('')}</tbody></table></main></div></body></html>`;
}
