import { createHmac } from 'node:crypto';
import { RetryClass, webhookSecret } from '../../domain/index.js';
import type { AlertChange, OutboxEntry } from '../../store/reading-store.js';
import { DeliveryError, type OutboxRow } from '../outbox/index.js';
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
 * per clinician to their MQTT topic, and one to their webhook when they have one. Each message
 * carries an `eventId` (alert, state, time), the same on every retry, so a receiver drops repeats.
 */
export function alertDeliveries(changes: readonly AlertChange[], recipientsOf: (change: AlertChange) => readonly Recipient[]): OutboxEntry[] {
  const entries: OutboxEntry[] = [];
  for (const change of changes) {
    const message = { eventId: `${change.alert.id}:${change.alert.state}:${change.alert.updatedAtMs}`, ...alertMessage(change) };
    for (const r of recipientsOf(change)) {
      entries.push({ sink: ALERT_MQTT_SINK, payload: JSON.stringify({ clinicianId: r.id, message } satisfies Delivery), firstRow: 0, rowCount: 0 });
      if (r.webhookUrl !== undefined) entries.push({ sink: ALERT_WEBHOOK_SINK, payload: JSON.stringify({ clinicianId: r.id, url: r.webhookUrl, message } satisfies Delivery), firstRow: 0, rowCount: 0 });
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

/** Sends alert deliveries to clinicians' MQTT topics through the broker (QoS 1). */
export function mqttAlertDeliver(publish: (clinicianId: string, message: Record<string, unknown>) => void) {
  return async (rows: readonly OutboxRow[]): Promise<number> => {
    let n = 0;
    for (const row of rows) {
      for (const line of row.payload.split('\n')) {
        const d = JSON.parse(line) as Delivery;
        publish(d.clinicianId, d.message);
        n += 1;
      }
    }
    return n;
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
 * (`X-VG-Event-Id`). 2xx delivered; 408, 429, 5xx and network errors are retried with back-off
 * (the entry stays in the outbox); other 4xx refuse that delivery for good (kept as dead).
 */
export function webhookAlertDeliver(key: Uint8Array, timeoutMs: number, now: () => number) {
  return async (rows: readonly OutboxRow[]): Promise<{ delivered: number; refused: { payload: string; error: string }[] }> => {
    let delivered = 0;
    const refused: { payload: string; error: string }[] = [];
    for (const row of rows) {
      for (const line of row.payload.split('\n')) {
        const d = JSON.parse(line) as Delivery;
        const body = JSON.stringify(d.message);
        let res: Response;
        try {
          res = await fetch(d.url as string, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-vg-event-id': String(d.message['eventId']), 'x-vg-signature': signature(webhookSecret(key, d.clinicianId), body, now()) },
            body,
            signal: AbortSignal.timeout(timeoutMs),
          });
        } catch (error) {
          throw new DeliveryError(`webhook unreachable: ${error instanceof Error ? error.message : String(error)}`, RetryClass.Ambiguous, undefined);
        }
        await res.body?.cancel();
        if (res.ok) delivered += 1;
        else if (res.status === 408 || res.status === 429 || res.status >= 500) throw new DeliveryError(`webhook answered ${res.status}`, RetryClass.Transient, undefined);
        else refused.push({ payload: line, error: `webhook answered ${res.status}` });
      }
    }
    return { delivered, refused };
  };
}
