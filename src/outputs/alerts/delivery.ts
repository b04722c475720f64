import { createHmac } from 'node:crypto';
import { RetryClass, webhookSecret } from '../../domain/index.js';
import type { EitherPort } from '../../store/async-port.js';
import type { ClinicianStore } from '../../store/clinician-store.js';
import type { AlertChange, OutboxEntry } from '../../store/reading-store.js';
import { HttpPoster, type PostAnswer } from '../http-post.js';
import { DeliveryError, retryClassOfNetworkError, retryClassOfStatus, type DeliverOne } from '../outbox/index.js';
import { alertMessage } from './message.js';

export const ALERT_MQTT_SINK = 'alert-mqtt';
export const ALERT_WEBHOOK_SINK = 'alert-webhook';

/** A clinician an alert goes to. */
export interface Recipient {
  readonly id: string;
  readonly webhookUrl: string | undefined;
}

interface Delivery {
  readonly clinicianId: string;
  readonly url?: string;
  readonly message: Record<string, unknown>;
}

/**
 * The deliveries of alert changes, as outbox entries committed with the changes themselves: one
 * per change, clinician and channel (their MQTT topic; their webhook when they have one), each in
 * the lane of its clinician, so each is retried on its own and a broken receiver holds up no one.
 * Each message carries an `eventId` (alert, state, time), the same on every retry, so a receiver
 * drops repeats.
 */
export function alertDeliveries(changes: readonly AlertChange[], recipientsOf: (change: AlertChange) => readonly Recipient[]): OutboxEntry[] {
  const entries: OutboxEntry[] = [];
  for (const change of changes) {
    const message = { eventId: `${change.alert.id}:${change.alert.state}:${change.alert.updatedAtMs}`, ...alertMessage(change) };
    for (const r of recipientsOf(change)) {
      entries.push({ sink: ALERT_MQTT_SINK, payload: JSON.stringify({ clinicianId: r.id, message } satisfies Delivery), firstReading: 0, readingCount: 0, lane: r.id });
      if (r.webhookUrl !== undefined) {
        entries.push({ sink: ALERT_WEBHOOK_SINK, payload: JSON.stringify({ clinicianId: r.id, url: r.webhookUrl, message } satisfies Delivery), firstReading: 0, readingCount: 0, lane: r.id });
      }
    }
  }
  return entries;
}

/**
 * Who hears of a change: the patient's clinicians, and every contact the alert has been escalated
 * to so far (so those escalated to also learn it was acknowledged or resolved: de-escalation).
 */
export function recipientsOf(
  cliniciansOf: (patientNhs: string) => readonly Recipient[],
  contact: (clinicianId: string) => Recipient | undefined,
  contacts: readonly string[],
): (change: AlertChange) => Recipient[] {
  return (change) => {
    const escalated = contacts.slice(0, change.alert.escalationLevel ?? 0).flatMap((id) => contact(id) ?? []);
    const all = [...cliniciansOf(change.alert.patientNhs), ...escalated];
    return all.filter((r, i) => all.findIndex((x) => x.id === r.id) === i);
  };
}

/** {@link recipientsOf}, read from the accounts as each change comes (either adapter's store: a database server answers later). */
export function recipientsReadFrom(clinicians: EitherPort<Pick<ClinicianStore, 'cliniciansOf' | 'get'>>, contacts: readonly string[]): (change: AlertChange) => Promise<Recipient[]> {
  return async (change) => {
    const reached = contacts.slice(0, change.alert.escalationLevel ?? 0);
    const [mine, escalated] = await Promise.all([clinicians.cliniciansOf(change.alert.patientNhs), Promise.all(reached.map((id) => clinicians.get(id)))]);
    return recipientsOf(() => mine, (id) => escalated.find((c) => c?.id === id), contacts)(change);
  };
}

/**
 * What became of one alert sent to a clinician's MQTT client. `unsubscribed`: an external broker
 * took it but holds no subscription of the clinician's to give it to (it would drop it).
 * `broker-unavailable`: no connection to the external broker is up, or it refused the publish.
 */
export type ClinicianDelivery = 'acknowledged' | 'away' | 'timeout' | 'unsubscribed' | 'broker-unavailable';

/**
 * Sends an alert delivery to the clinician's own MQTT client at QoS 1, done only once that client
 * acknowledged it (PUBACK). A clinician not connected is away: the lane waits for them, and they
 * receive everything since their last acknowledgement, in order, when they subscribe again.
 */
export function mqttAlertDeliver(deliver: (clinicianId: string, message: Record<string, unknown>) => Promise<ClinicianDelivery>, ackTimeoutMs: number): DeliverOne {
  return async (row) => {
    const d = JSON.parse(row.payload) as Delivery;
    const outcome = await deliver(d.clinicianId, d.message);
    if (outcome === 'timeout') throw new DeliveryError(`no PUBACK from clinician:${d.clinicianId} within ${ackTimeoutMs} ms`, RetryClass.Ambiguous, undefined);
    // Nothing tells the gateway when the clinician subscribes at an external broker: try again with back-off.
    if (outcome === 'unsubscribed') throw new DeliveryError(`clinician:${d.clinicianId} has no subscription at the broker yet`, RetryClass.Transient, undefined);
    if (outcome === 'broker-unavailable') throw new DeliveryError('no connection to the broker takes alerts now', RetryClass.Transient, undefined);
    return outcome === 'acknowledged' ? 'delivered' : 'away';
  };
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the receiver recomputes it with the
 * clinician's secret and refuses a timestamp older than a few minutes (replay).
 */
export function signature(secret: string, body: string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/**
 * POSTs alert deliveries to clinicians' webhooks, signed (`X-VG-Signature`) with the event id
 * (`X-VG-Event-Id`), over connections kept open between them. 2xx delivered; 408, 429, 5xx, 401,
 * 403, 404 and network errors (a TLS failure as the receiver's misconfiguration) are retried with
 * back-off in the clinician's lane; other 4xx refuse that delivery for good (kept as dead).
 * `close()` ends the connections kept open.
 */
export function webhookAlertDeliver(key: Uint8Array, timeoutMs: number, now: () => number): DeliverOne & { close(): void } {
  const poster = new HttpPoster();
  const deliver: DeliverOne = async (row) => {
    const d = JSON.parse(row.payload) as Delivery;
    const body = JSON.stringify(d.message);
    let answer: PostAnswer;
    try {
      const headers = { 'content-type': 'application/json', 'x-vg-event-id': String(d.message['eventId']), 'x-vg-signature': signature(webhookSecret(key, d.clinicianId), body, now()) };
      answer = await poster.post(d.url as string, headers, body, timeoutMs);
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new DeliveryError(`webhook unreachable: ${error instanceof Error ? error.message : String(error)}`, retryClassOfNetworkError(code, RetryClass.Ambiguous), undefined);
    }
    if (answer.ok) return 'delivered';
    // 401, 403, 404: the receiver is misconfigured or in maintenance: its lane waits, as for an outage.
    throw new DeliveryError(`webhook answered ${answer.status}`, retryClassOfStatus(answer.status), undefined);
  };
  return Object.assign(deliver, { close: () => poster.close() });
}
