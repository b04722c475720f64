import { homeBpAverage, monitoringRuns, type HomeBpAverage, type HomeBpReading } from '../clinical/index.js';
import { err, GatewayError, ok, parseNhsNumber, type Clock, type Reading, type Result } from '../domain/index.js';
import type { DeviceRegistry } from '../devices/index.js';
import type { ClinicianRegistry } from '../clinicians/index.js';
import { planCorrection, type CorrectionContext, type DeviceContext } from '../pipeline/index.js';
import type { ProfileCatalog } from '../profiles/index.js';
import type { OptOutState, PointValue, Series } from '../store/care-views.js';
import type { AccountRole } from '../store/clinician-store.js';
import type { AlertChange, AlertEvent, AlertRecord, AuditEntry, CommitBatch, OutboxEntry } from '../store/reading-store.js';
import { planAlertAction, type AlertAction } from './alert-actions.js';
import type { CareStore } from './store.js';
import { PatientRows, type DeviceStatus, type PatientRow } from './patient-rows.js';
import { byUrgency, inFilter, triageCounts, type TriageFilter } from './triage.js';

export { CHARTED_METRICS, type DeviceStatus, type PatientRow } from './patient-rows.js';

/** Who is asking: an account signed in (browser session or API token), and from where. */
export interface Caller {
  readonly accountId: string;
  readonly name: string;
  readonly role: AccountRole;
  readonly address: string | undefined;
}

/** Closed set of refusals; the HTTP layer maps each to a status and a problem type. */
export const CareError = {
  Forbidden: 'forbidden',
  NotFound: 'not-found',
  Conflict: 'conflict',
  Invalid: 'invalid-request',
} as const;
export type CareError = (typeof CareError)[keyof typeof CareError];

/** Which of the triage list to show. */
export interface TriageQuery {
  readonly filter?: TriageFilter | undefined;
  readonly offset?: number | undefined;
  readonly limit?: number | undefined;
}

/** The rows a page of the triage list shows, and how many there are under each filter. */
export interface TriagePage {
  readonly filter: TriageFilter;
  /** Patients under this filter. */
  readonly total: number;
  readonly counts: Readonly<Record<TriageFilter, number>>;
  readonly offset: number;
  readonly limit: number;
  readonly patients: readonly PatientRow[];
}

/** The triage list's page size, unless asked otherwise (a ward's screenful, most urgent first). */
export const TRIAGE_PAGE_SIZE = 50;

export interface PatientDetail extends PatientRow {
  readonly devices: readonly DeviceStatus[];
  readonly openAlerts: readonly AlertRecord[];
  /** The latest monitoring run's home BP average. */
  readonly homeBp: HomeBpAverage;
  /** Every monitoring run of the last 12 weeks, newest first, each with its average and stage (or why there is none). */
  readonly homeBpRuns: readonly { readonly fromMs: number; readonly toMs: number; readonly average: HomeBpAverage }[];
  readonly spo2Scale: 1 | 2;
  /** Research use: opted out or in, when and by what source (undefined: never recorded, so included). */
  readonly researchOptOut: OptOutState | undefined;
  readonly overrides: readonly { readonly ruleId: string; readonly above: number | undefined; readonly below: number | undefined; readonly setBy: string; readonly setAtMs: number }[];
  /** The alert thresholds that apply to this patient (their devices' profiles, with this patient's overrides). */
  readonly thresholds: readonly Threshold[];
  /** Colleagues an alert can be assigned to. */
  readonly colleagues: readonly { readonly id: string; readonly name: string }[];
  /** The latest readings (each its values together), newest first, retracted ones marked. */
  readonly recent: readonly RecentReading[];
}

/** One reading as listed: its values taken together by one device. */
export interface RecentReading {
  /** A row id of the reading (what a retraction names). */
  readonly id: number;
  readonly deviceId: string;
  readonly takenAtMs: number;
  readonly status: string;
  readonly values: readonly { readonly metric: string; readonly value: number }[];
}

/** Values taken together by one device make one reading. */
export function groupReadings(values: readonly PointValue[]): RecentReading[] {
  const out: { id: number; deviceId: string; takenAtMs: number; status: string; values: { metric: string; value: number }[] }[] = [];
  for (const v of values) {
    const last = out.at(-1);
    if (last !== undefined && last.deviceId === v.deviceId && last.takenAtMs === v.takenAtMs) last.values.push({ metric: v.metric, value: v.value });
    else out.push({ id: v.id, deviceId: v.deviceId, takenAtMs: v.takenAtMs, status: v.status, values: [{ metric: v.metric, value: v.value }] });
  }
  return out;
}

export interface Threshold {
  readonly ruleId: string;
  readonly metric: string;
  readonly above: number | undefined;
  readonly below: number | undefined;
  readonly severity: string;
  /** Set for this patient (by whom, when), not the profile's. */
  readonly override: { readonly setBy: string; readonly setAtMs: number } | undefined;
}

/** The band a chart shades as expected: above every `below` threshold and under every `above` one. */
export function bandOf(thresholds: readonly Threshold[], metric: string): { low: number; high: number } | undefined {
  const mine = thresholds.filter((t) => t.metric === metric);
  const lows = mine.flatMap((t) => (t.below === undefined ? [] : [t.below]));
  const highs = mine.flatMap((t) => (t.above === undefined ? [] : [t.above]));
  if (lows.length === 0 && highs.length === 0) return undefined;
  return { low: lows.length === 0 ? 0 : Math.max(...lows), high: highs.length === 0 ? Math.max(...lows) * 2 : Math.min(...highs) };
}

/** What a retraction needs from the gateway: the outputs' entries for a corrected reading. */
export type CorrectionOutbox = (device: DeviceContext, corrected: Reading, payload: Buffer, correction: CorrectionContext) => readonly { readonly sink: string; readonly payload: string }[];

export interface CareDeps {
  readonly store: CareStore;
  /** Durable writes go through the gateway's group commit (with readings), never around it. */
  readonly commit: (work: CommitBatch) => Promise<unknown>;
  readonly clock: Clock;
  readonly profiles: ProfileCatalog;
  readonly news2WindowMs: number;
  /** Deliveries (MQTT, webhooks, the care record's Flag) that an alert change causes. */
  readonly alertOutbox: (changes: readonly AlertChange[]) => OutboxEntry[] | Promise<OutboxEntry[]>;
  /** Outputs told of a retraction (FHIR: the Observation becomes entered-in-error). */
  readonly correctionOutbox: CorrectionOutbox;
  /** Provisioning (operators): secrets made and stored hashed. */
  readonly devices: DeviceRegistry;
  /** Accounts (admins): secrets made and stored hashed. */
  readonly accounts: ClinicianRegistry;
}

/** Home BP runs are shown for this many weeks; days are UK local days. */
const HBPM_WEEKS = 12;
const HBPM_ZONE = 'Europe/London';
const DAY = 86_400_000;

/**
 * What clinicians, operators and admins see and do, with the access rules and the audit in one
 * place: a clinician sees and acts on their own patients only; operators see devices and outputs
 * but no clinical values; admins read the audit trail. Every view of a patient's data and every
 * change is audited durably before it is answered; so is every refusal.
 */
export class CareService {
  private readonly read: PatientRows;

  constructor(private readonly d: CareDeps) {
    this.read = new PatientRows(d);
  }

  /** Records a view, change or refusal; resolves once it is durable. */
  audit(caller: Caller, action: string, patientNhs?: string | readonly string[], target?: string, outcome: AuditEntry['outcome'] = 'ok'): Promise<unknown> {
    const atMs = this.d.clock.now();
    const patients = patientNhs === undefined ? [undefined] : typeof patientNhs === 'string' ? [patientNhs] : patientNhs;
    const audit = patients.map((p) => ({ atMs, actor: caller.accountId, role: caller.role, action, patientNhs: p, target, address: caller.address, outcome }));
    return this.d.commit({ readings: [], deadLetters: [], health: [], audit });
  }

  /** The patients a clinician looks after. */
  async patientsOf(caller: Caller): Promise<string[]> {
    return caller.role === 'clinician' ? await this.d.store.clinicians.patientsOf(caller.accountId) : [];
  }

  /** Checks that the caller may see this patient's data; a refusal is audited. */
  async admit(caller: Caller, nhs: string, action: string): Promise<Result<string, CareError>> {
    const parsed = parseNhsNumber(nhs);
    if (!parsed.ok) return err(CareError.NotFound);
    if (caller.role !== 'clinician' || !(await this.patientsOf(caller)).includes(parsed.value)) {
      await this.audit(caller, action, parsed.value, undefined, 'refused');
      return err(CareError.Forbidden);
    }
    return ok(parsed.value);
  }

  /**
   * The triage list: the clinician's patients, most urgent first, filtered and a page at a time.
   * Every patient's facts decide the order (a handful of queries for all of them); only the page's
   * rows get their sparklines, and only the patients shown are audited as viewed.
   */
  async triage(caller: Caller, query: TriageQuery = {}): Promise<Result<TriagePage, CareError>> {
    if (caller.role !== 'clinician') {
      await this.audit(caller, 'patients.list', undefined, undefined, 'refused');
      return err(CareError.Forbidden);
    }
    const filter = query.filter ?? 'all';
    const offset = query.offset ?? 0;
    const limit = query.limit ?? TRIAGE_PAGE_SIZE;
    const patients = await this.patientsOf(caller);
    const now = this.d.clock.now();
    const reviews = (await this.d.store.audit.reviews());
    const open = new Map<string, AlertRecord[]>();
    for (const a of (await this.d.store.alerts.unresolved())) {
      const list = open.get(a.patientNhs);
      if (list === undefined) open.set(a.patientNhs, [a]);
      else list.push(a);
    }
    const all = await this.read.rows(patients, now, open, reviews);
    const counts = triageCounts(all);
    const shown = all.filter((r) => inFilter(filter, r)).sort(byUrgency);
    const page = await this.read.withSparks(shown.slice(offset, offset + limit), now);
    if (page.length > 0) await this.audit(caller, 'patients.list', page.map((r) => r.patientNhs));
    return ok({ filter, total: shown.length, counts, offset, limit, patients: page });
  }

  /** One patient's page: everything but the chart series. */
  async patient(caller: Caller, nhs: string): Promise<Result<PatientDetail, CareError>> {
    const admitted = await this.admit(caller, nhs, 'patient.view');
    if (!admitted.ok) return admitted;
    const patient = admitted.value;
    const now = this.d.clock.now();
    const openAlerts = (await this.d.store.alerts.list({ patientNhs: patient, open: true }));
    const review = (await this.d.store.audit.lastReview(patient));
    const [row] = await this.read.withSparks(await this.read.rows([patient], now, new Map([[patient, openAlerts]]), new Map(review === undefined ? [] : [[patient, review]])), now);
    if (row === undefined) return err(CareError.NotFound);
    // Home BP over 12 weeks, in monitoring runs [NICE NG136 1.2.6], each averaged and staged.
    const since = now - HBPM_WEEKS * 7 * DAY;
    const bp = (await this.d.store.readings.query({ patientNhs: patient, metric: 'systolic', sinceMs: since }));
    const dia = new Map((await this.d.store.readings.query({ patientNhs: patient, metric: 'diastolic', sinceMs: since })).map((r) => [`${r.deviceId}|${r.takenAtMs}`, r.value]));
    const pairs = bp.flatMap((s) => {
      const diastolic = dia.get(`${s.deviceId}|${s.takenAtMs}`);
      return diastolic === undefined || s.status === 'entered-in-error' ? [] : [{ takenAtMs: s.takenAtMs, systolic: s.value, diastolic }];
    });
    const homeBpRuns = monitoringRuns(pairs, HBPM_ZONE)
      .map((run) => ({ fromMs: (run[0] as HomeBpReading).takenAtMs, toMs: (run[run.length - 1] as HomeBpReading).takenAtMs, average: homeBpAverage(run, HBPM_ZONE) }))
      .reverse();
    const settings = (await this.d.store.patients.settings(patient));
    const overrides = (await this.d.store.patients.overrides(patient));
    const profiles = [...new Set((await this.d.store.devices.list({ patientNhs: patient })).map((d) => d.profileId))].flatMap((id) => this.d.profiles.get(id) ?? []);
    const thresholds = new Map<string, Threshold>();
    for (const rule of profiles.flatMap((p) => p.alerts)) {
      const o = overrides.find((x) => x.ruleId === rule.id);
      thresholds.set(rule.id, {
        ruleId: rule.id,
        metric: rule.metric,
        above: o === undefined ? rule.above : o.above,
        below: o === undefined ? rule.below : o.below,
        severity: rule.severity,
        override: o === undefined ? undefined : { setBy: o.setBy, setAtMs: o.setAtMs },
      });
    }
    const colleagues = (await this.d.store.clinicians.cliniciansOf(patient)).map((c) => ({ id: c.id, name: c.name }));
    await this.audit(caller, 'patient.view', patient);
    return ok({
      ...row,
      devices: await this.read.devices([patient], now),
      openAlerts,
      homeBp: homeBpRuns[0]?.average ?? homeBpAverage([], HBPM_ZONE),
      homeBpRuns,
      spo2Scale: settings?.spo2Scale ?? 1,
      researchOptOut: (await this.d.store.research.optOut(patient)),
      overrides: overrides.map((o) => ({ ruleId: o.ruleId, above: o.above, below: o.below, setBy: o.setBy, setAtMs: o.setAtMs })),
      thresholds: [...thresholds.values()],
      colleagues,
      recent: groupReadings((await this.d.store.views.recent(patient, 60))).slice(0, 20),
    });
  }

  /** A metric's series for a chart, downsampled to at most `maxPoints`. */
  async series(caller: Caller, nhs: string, metric: string, fromMs: number, toMs: number, maxPoints: number): Promise<Result<Series, CareError>> {
    const admitted = await this.admit(caller, nhs, 'patient.readings');
    if (!admitted.ok) return admitted;
    const series = (await this.d.store.views.series(admitted.value, metric, fromMs, toMs, maxPoints));
    await this.audit(caller, 'patient.readings', admitted.value, metric);
    return ok(series);
  }

  /** A patient's alerts (open and past), newest first, with their trails. */
  async alerts(caller: Caller, nhs: string): Promise<Result<(AlertRecord & { events: AlertEvent[] })[], CareError>> {
    const admitted = await this.admit(caller, nhs, 'patient.alerts');
    if (!admitted.ok) return admitted;
    const list = await Promise.all((await this.d.store.alerts.list({ patientNhs: admitted.value, limit: 200 })).map(async (a) => ({ ...a, events: await this.d.store.alerts.events(a.id) })));
    await this.audit(caller, 'patient.alerts', admitted.value);
    return ok(list);
  }

  /** Acknowledge, snooze, resolve or assign: the change, its deliveries and the audit in one commit. */
  async alertAction(caller: Caller, alertId: string, action: AlertAction): Promise<Result<AlertRecord, CareError>> {
    const alert = (await this.d.store.alerts.get(alertId));
    if (alert === undefined) return err(CareError.NotFound);
    const admitted = await this.admit(caller, alert.patientNhs, `alert.${action.kind}`);
    if (!admitted.ok) return admitted;
    if (action.kind === 'assign' && (await this.d.store.clinicians.get(action.to))?.role !== 'clinician') return err(CareError.Invalid);
    const planned = planAlertAction(alert, action, caller.accountId, this.d.clock.now());
    if (!planned.ok) return err(CareError.Conflict);
    // Made on the alert as read: refused (a conflict) if anything changed it since, here or on another worker.
    const change = { ...planned.value, ifUpdatedAtMs: alert.updatedAtMs };
    const audit = [{ atMs: this.d.clock.now(), actor: caller.accountId, role: caller.role, action: `alert.${action.kind}`, patientNhs: alert.patientNhs, target: alertId, address: caller.address, outcome: 'ok' as const }];
    try {
      await this.d.commit({ readings: [], deadLetters: [], health: [], alerts: [change], outbox: await this.d.alertOutbox([change]), audit });
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'GW_ALERT_CONFLICT') return err(CareError.Conflict);
      throw error;
    }
    return ok(change.alert);
  }

  /** "Mark reviewed": who and when, shown on the triage list. */
  async markReviewed(caller: Caller, nhs: string): Promise<Result<{ by: string; atMs: number }, CareError>> {
    const admitted = await this.admit(caller, nhs, 'patient.review');
    if (!admitted.ok) return admitted;
    const atMs = this.d.clock.now();
    const audit = [{ atMs, actor: caller.accountId, role: caller.role, action: 'patient.review', patientNhs: admitted.value, target: undefined, address: caller.address, outcome: 'ok' as const }];
    await this.d.commit({ readings: [], deadLetters: [], health: [], reviews: [{ patientNhs: admitted.value, by: caller.accountId, atMs }], audit });
    return ok({ by: caller.accountId, atMs });
  }

  /** A clinician's threshold for this patient on one of their devices' alert rules (kept with who and when). */
  async setThreshold(caller: Caller, nhs: string, ruleId: string, limit: { above?: number | undefined; below?: number | undefined }): Promise<Result<void, CareError>> {
    const admitted = await this.admit(caller, nhs, 'patient.threshold');
    if (!admitted.ok) return admitted;
    const profiles = (await this.d.store.devices.list({ patientNhs: admitted.value })).flatMap((d) => this.d.profiles.get(d.profileId) ?? []);
    const rule = profiles.flatMap((p) => p.alerts).find((r) => r.id === ruleId);
    if (rule === undefined) return err(CareError.NotFound);
    // An override keeps the rule's direction: an upper limit for an "above" rule, a lower one for "below".
    if ((rule.above !== undefined) !== (limit.above !== undefined) || (rule.below !== undefined) !== (limit.below !== undefined)) return err(CareError.Invalid);
    (await this.d.store.patients.setOverride({ patientNhs: admitted.value, ruleId, above: limit.above, below: limit.below, clearAt: undefined, setBy: caller.accountId, setAtMs: this.d.clock.now() }));
    await this.audit(caller, 'patient.threshold', admitted.value, ruleId);
    return ok(undefined);
  }

  /** NEWS2 SpO2 scale 2 only for a patient whose target is 88–92 % [NEWS2 chart 1]; kept with who and when. */
  async setSpo2Scale(caller: Caller, nhs: string, scale: 1 | 2): Promise<Result<void, CareError>> {
    const admitted = await this.admit(caller, nhs, 'patient.spo2-scale');
    if (!admitted.ok) return admitted;
    (await this.d.store.patients.setSettings({ patientNhs: admitted.value, spo2Scale: scale, setBy: caller.accountId, setAtMs: this.d.clock.now() }));
    await this.audit(caller, 'patient.spo2-scale', admitted.value, String(scale));
    return ok(undefined);
  }

  /**
   * Retracts a wrong reading (all its values) with a reason: stored as entered in error, the
   * outputs told, and the audit, in one commit. Retracting it again changes nothing.
   */
  async retract(caller: Caller, readingId: number, reason: string): Promise<Result<{ values: number; alreadyRetracted: boolean }, CareError>> {
    const rows = (await this.d.store.readings.readingOf(readingId));
    const first = rows[0];
    if (first === undefined) return err(CareError.NotFound);
    const admitted = await this.admit(caller, first.patientNhs, 'reading.retract');
    if (!admitted.ok) return admitted;
    const profile = this.d.profiles.get(first.profileId);
    if (profile === undefined) return err(CareError.NotFound);
    const planned = planCorrection(profile, rows, { action: 'retract', reason, requestedBy: caller.accountId }, this.d.clock.now());
    if (!planned.ok) return err(CareError.Invalid);
    const { correction, corrected, original, status, unchanged } = planned.value;
    if (unchanged) return ok({ values: rows.length, alreadyRetracted: true });
    const device: DeviceContext = { deviceId: first.deviceId, patientNhs: first.patientNhs, profile, serial: (await this.d.store.devices.get(first.deviceId))?.serial };
    const payload = Buffer.from(JSON.stringify({ retract: readingId, reason, by: caller.accountId }));
    const outbox = this.d.correctionOutbox(device, corrected, payload, { status, original }).map((e) => ({ ...e, firstReading: 0, readingCount: 0 }));
    const audit = [{ atMs: this.d.clock.now(), actor: caller.accountId, role: caller.role, action: 'reading.retract', patientNhs: first.patientNhs, target: String(readingId), address: caller.address, outcome: 'ok' as const }];
    await this.d.commit({ readings: [], deadLetters: [], health: [], outbox, corrections: [correction], audit });
    return ok({ values: rows.length, alreadyRetracted: false });
  }

  /**
   * The patient's research opt-out, as they (or the national data opt-out service) decided it,
   * with its source; their clinician or an admin records it. Every later extract honours it.
   */
  async setResearchOptOut(caller: Caller, nhs: string, optedOut: boolean, source: string): Promise<Result<OptOutState, CareError>> {
    const action = optedOut ? 'patient.research-opt-out' : 'patient.research-opt-in';
    let patient: string;
    if (caller.role === 'admin') {
      const parsed = parseNhsNumber(nhs);
      if (!parsed.ok) return err(CareError.NotFound);
      patient = parsed.value;
    } else {
      const admitted = await this.admit(caller, nhs, action);
      if (!admitted.ok) return admitted;
      patient = admitted.value;
    }
    (await this.d.store.research.setOptOut({ patientNhs: patient, optedOut, setAtMs: this.d.clock.now(), source }));
    await this.audit(caller, action, patient, source);
    return ok((await this.d.store.research.optOut(patient)) as OptOutState);
  }
}
