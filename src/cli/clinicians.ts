import { ClinicianRegistry } from '../clinicians/index.js';
import type { AccountRole } from '../store/sqlite/index.js';
import { GatewayError, maskNhsNumber, systemClock, webhookSecret } from '../domain/index.js';
import { alertDeliveries, recipientsReadFrom } from '../outputs/alerts/index.js';
import { alertsInCareRecord } from '../outputs/fhir/index.js';
import { fhirServiceId } from '../outputs/planner.js';
import { loadSecretKey } from '../outputs/secret-key.js';
import { auditCli, cliActor, patientOption, withAnyStore, type GlobalOptions } from './context.js';
import { isoTime, stdout } from './output.js';

type Json = { json?: boolean | undefined };

/** `vitals-gateway clinicians add --id <id> --name <name> [--webhook <url>]`: prints the secrets once. */
export async function cliniciansAdd(global: GlobalOptions, o: { id: string; name: string; webhook?: string | undefined; role?: AccountRole | undefined } & Json): Promise<void> {
  await withAnyStore(global, async (store, config) => {
    // On PostgreSQL the workers share the webhook key: it is read, never made here.
    const webhook = o.webhook === undefined ? undefined : { url: o.webhook, key: loadSecretKey(config.webhookKeyFile, { create: config.store.postgres === undefined }) };
    const creds = await new ClinicianRegistry(store.clinicians, systemClock, undefined, store.brokerCredentials).add(o.id, o.name, webhook, o.role ?? 'clinician');
    if (o.json) return stdout.json(creds);
    if (creds.role !== 'clinician') return stdout.line(`${creds.role} ${creds.clinicianId} added; web app password (shown once): ${creds.secret}`);
    stdout.line(`clinician ${creds.clinicianId} added; MQTT username clinician:${creds.clinicianId}, password (shown once, also for the web app): ${creds.secret}`);
    if (creds.webhookSecret !== undefined) stdout.line(`webhook ${o.webhook ?? ''} signing secret (shown once): ${creds.webhookSecret}`);
  });
}

/** `vitals-gateway clinicians token <id> --name <client>`: a bearer token for the API, printed once. */
export async function cliniciansToken(global: GlobalOptions, id: string, o: { name: string } & Json): Promise<void> {
  await withAnyStore(global, async (store) => {
    const t = await new ClinicianRegistry(store.clinicians, systemClock).issueToken(id, o.name, store.tokens);
    if (o.json) stdout.json({ accountId: id, ...t });
    else stdout.line(`API token ${t.tokenId} for ${id} (shown once): ${t.token}`);
  });
}

/**
 * `vitals-gateway clinicians webhook-secret <id>`: the clinician's webhook signing secret under the
 * current `webhookKeyFile` (after a key rotation, give it to their receiver).
 */
export async function cliniciansWebhookSecret(global: GlobalOptions, id: string, o: Json): Promise<void> {
  await withAnyStore(global, async (store, config) => {
    const clinician = await store.clinicians.get(id);
    if (clinician?.webhookUrl === undefined) throw new GatewayError('GW_CLINICIAN_UNKNOWN', `no clinician ${id} with a webhook`);
    const secret = webhookSecret(loadSecretKey(config.webhookKeyFile, { create: config.store.postgres === undefined }), id);
    if (o.json) stdout.json({ clinicianId: id, webhookUrl: clinician.webhookUrl, webhookSecret: secret });
    else stdout.line(`webhook ${clinician.webhookUrl} signing secret: ${secret}`);
  });
}

/** `vitals-gateway clinicians assign <id> --patient <nhs>`: the clinician receives that patient's alerts. */
export async function cliniciansAssign(global: GlobalOptions, id: string, o: { patient: string } & Json): Promise<void> {
  await withAnyStore(global, async (store) => {
    const nhs = await new ClinicianRegistry(store.clinicians, systemClock).assign(id, o.patient);
    if (o.json) stdout.json({ clinicianId: id, patient: nhs });
    else stdout.line(`clinician ${id} now receives alerts for patient ${maskNhsNumber(nhs)}`);
  });
}

/** `vitals-gateway clinicians revoke <id>`: the account signs in nowhere again; a running gateway ends its sessions and closes its MQTT connection. Audited. */
export async function cliniciansRevoke(global: GlobalOptions, id: string, o: Json): Promise<void> {
  await withAnyStore(global, async (store) => {
    const changed = await new ClinicianRegistry(store.clinicians, systemClock).revoke(id);
    await auditCli(store, 'account.revoke', undefined, id);
    if (o.json) stdout.json({ accountId: id, status: 'revoked', changed });
    else stdout.line(changed ? `account ${id} revoked` : `account ${id} was already revoked`);
  });
}

export async function cliniciansList(global: GlobalOptions, o: Json): Promise<void> {
  await withAnyStore(global, async (store) => {
    const list = await new ClinicianRegistry(store.clinicians, systemClock).list();
    if (o.json) stdout.json(list);
    else stdout.table(list.map((c) => ({ id: c.id, name: c.name, status: c.status, patients: c.patients.map(maskNhsNumber).join(' ') })), 'no clinicians');
  });
}

/** `vitals-gateway alerts list [--open] [--patient <nhs>]`: newest first. */
export async function alertsList(global: GlobalOptions, o: { open?: boolean | undefined; patient?: string | undefined; limit?: number | undefined } & Json): Promise<void> {
  const patientNhs = o.patient === undefined ? undefined : patientOption(o.patient);
  await withAnyStore(global, async (store) => {
    const alerts = await store.alerts.list({ patientNhs, open: o.open, limit: o.limit ?? 100 });
    if (o.json) return stdout.json(await Promise.all(alerts.map(async (a) => ({ ...a, events: await store.alerts.events(a.id) }))));
    stdout.table(
      alerts.map((a) => ({ id: a.id, state: a.state, severity: a.severity, rule: a.ruleId, patient: maskNhsNumber(a.patientNhs), device: a.deviceId, value: a.value, opened: isoTime(a.openedAtMs), message: a.message })),
      'no alerts',
    );
  });
}

/**
 * `vitals-gateway alerts ack|resolve <id> --note <text>`: by the person at the keyboard, with the
 * note (audit trail); the change is queued for the patient's clinicians (MQTT, webhooks), which a
 * running gateway delivers. On PostgreSQL it is refused (`GW_ALERT_CONFLICT`) if a worker changed
 * the alert since it was read.
 */
export async function alertsChange(global: GlobalOptions, id: string, state: 'acknowledged' | 'resolved', o: { note: string } & Json): Promise<void> {
  await withAnyStore(global, async (store, config) => {
    const contacts = config.alerts.escalation.contacts;
    const alert = await store.alerts.get(id);
    if (alert === undefined) throw new GatewayError('GW_ALERT_UNKNOWN', `no alert ${id}`);
    const allowed = state === 'acknowledged' ? alert.state === 'open' : alert.state !== 'resolved';
    if (!allowed) throw new GatewayError('GW_ALERT_UNKNOWN', `alert ${id} is ${alert.state}: it cannot become ${state}`);
    const change = { alert: { ...alert, state, updatedAtMs: Date.now() }, by: cliActor(), note: o.note, ifUpdatedAtMs: alert.updatedAtMs };
    const recipients = await recipientsReadFrom(store.clinicians, contacts)(change);
    const outbox = alertDeliveries([change], () => recipients);
    // Resolved by hand: its Flag in the care record becomes inactive too.
    if (config.fhir.url !== undefined) outbox.push(...alertsInCareRecord(fhirServiceId(config)).entries([change]));
    await store.readings.commit({ readings: [], deadLetters: [], health: [], alerts: [change], outbox });
    if (o.json) stdout.json({ id, state, by: change.by, note: o.note, deliveries: outbox.length });
    else stdout.line(`alert ${id} ${state} by ${change.by}`);
  });
}

/** `vitals-gateway alerts snooze <id> --minutes <n> --note <text>`: no escalation until then; kept in the audit trail. */
export async function alertsSnooze(global: GlobalOptions, id: string, o: { minutes: number; note: string } & Json): Promise<void> {
  await withAnyStore(global, async (store) => {
    const alert = await store.alerts.get(id);
    if (alert === undefined || alert.state === 'resolved') throw new GatewayError('GW_ALERT_UNKNOWN', `no unresolved alert ${id}`);
    const now = Date.now();
    const snoozedUntilMs = now + o.minutes * 60_000;
    const by = cliActor();
    const note = `snoozed until ${isoTime(snoozedUntilMs) ?? ''}: ${o.note}`;
    await store.readings.commit({ readings: [], deadLetters: [], health: [], alerts: [{ alert: { ...alert, snoozedUntilMs, updatedAtMs: now }, by, note, ifUpdatedAtMs: alert.updatedAtMs }] });
    if (o.json) stdout.json({ id, snoozedUntil: isoTime(snoozedUntilMs), by, note: o.note });
    else stdout.line(`alert ${id} ${note}`);
  });
}
