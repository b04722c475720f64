import type { CommitBatch } from '../store/reading-store.js';

/** What a browser is told as it happens: a patient's new readings, or an alert's change. */
export type LiveEvent =
  | { readonly type: 'readings'; readonly patientNhs: string; readonly metrics: readonly string[]; readonly latestAtMs: number }
  | { readonly type: 'alert'; readonly patientNhs: string; readonly alertId: string; readonly state: string; readonly severity: string; readonly by: string };

interface Listener {
  readonly patients: () => ReadonlySet<string>;
  readonly send: (event: LiveEvent) => void;
}

/** What browsers are told of a durable commit: each patient's new readings, and each alert change. */
export function liveEvents(batch: CommitBatch): LiveEvent[] {
  const events: LiveEvent[] = [];
  const byPatient = new Map<string, { metrics: Set<string>; latestAtMs: number }>();
  for (const r of batch.readings) {
    const p = byPatient.get(r.patientNhs) ?? { metrics: new Set<string>(), latestAtMs: 0 };
    for (const v of r.values) p.metrics.add(v.metric);
    p.latestAtMs = Math.max(p.latestAtMs, r.takenAtMs);
    byPatient.set(r.patientNhs, p);
  }
  for (const [patientNhs, p] of byPatient) events.push({ type: 'readings', patientNhs, metrics: [...p.metrics], latestAtMs: p.latestAtMs });
  for (const c of batch.alerts ?? []) {
    events.push({ type: 'alert', patientNhs: c.alert.patientNhs, alertId: c.alert.id, state: c.alert.state, severity: c.alert.severity, by: c.by });
  }
  return events;
}

/** PostgreSQL refuses a notification of 8,000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7_500;

/** Events as notifications between workers: JSON arrays, each under PostgreSQL's size limit. */
export function livePayloads(events: readonly LiveEvent[]): string[] {
  const out: string[] = [];
  let chunk: string[] = [];
  let size = 2;
  for (const e of events) {
    const json = JSON.stringify(e);
    const bytes = Buffer.byteLength(json) + 1;
    if (chunk.length > 0 && size + bytes > MAX_PAYLOAD_BYTES) {
      out.push(`[${chunk.join(',')}]`);
      chunk = [];
      size = 2;
    }
    chunk.push(json);
    size += bytes;
  }
  if (chunk.length > 0) out.push(`[${chunk.join(',')}]`);
  return out;
}

/** The events of one notification; none if it is not one (from another program on the channel). */
export function parseLivePayload(payload: string): LiveEvent[] {
  try {
    const parsed: unknown = JSON.parse(payload);
    return Array.isArray(parsed) ? parsed.filter((e): e is LiveEvent => typeof e === 'object' && e !== null && typeof (e as LiveEvent).patientNhs === 'string' && ((e as LiveEvent).type === 'readings' || (e as LiveEvent).type === 'alert')) : [];
  } catch {
    return [];
  }
}

/**
 * Fans each durable commit out to the signed-in browsers (server-sent events), each told only of
 * its own patients. Events carry no values: the page fetches what it shows through the API, so
 * every view is still checked and audited there. On one gateway each commit is published as it
 * completes; workers sharing PostgreSQL publish what every worker commits, heard through the
 * database's notifications.
 */
export class LiveFeed {
  private readonly listeners = new Set<Listener>();

  get size(): number {
    return this.listeners.size;
  }

  add(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called with each durable commit. */
  committed(batch: CommitBatch): void {
    if (this.listeners.size > 0) this.publish(liveEvents(batch));
  }

  publish(events: readonly LiveEvent[]): void {
    if (events.length === 0) return;
    for (const l of this.listeners) {
      const mine = l.patients();
      for (const e of events) if (mine.has(e.patientNhs)) l.send(e);
    }
  }
}
