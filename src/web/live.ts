import type { CommitBatch } from '../store/reading-store.js';

/** What a browser is told as it happens: a patient's new readings, or an alert's change. */
export type LiveEvent =
  | { readonly type: 'readings'; readonly patientNhs: string; readonly metrics: readonly string[]; readonly latestAtMs: number }
  | { readonly type: 'alert'; readonly patientNhs: string; readonly alertId: string; readonly state: string; readonly severity: string; readonly by: string };

interface Listener {
  readonly patients: () => ReadonlySet<string>;
  readonly send: (event: LiveEvent) => void;
}

/**
 * Fans each durable commit out to the signed-in browsers (server-sent events), each told only of
 * its own patients. Events carry no values: the page fetches what it shows through the API, so
 * every view is still checked and audited there.
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
    if (this.listeners.size === 0) return;
    const events: LiveEvent[] = [];
    const byPatient = new Map<string, { metrics: Set<string>; latestAtMs: number }>();
    for (const r of batch.rows) {
      const p = byPatient.get(r.patientNhs) ?? { metrics: new Set<string>(), latestAtMs: 0 };
      p.metrics.add(r.metric);
      p.latestAtMs = Math.max(p.latestAtMs, r.takenAtMs);
      byPatient.set(r.patientNhs, p);
    }
    for (const [patientNhs, p] of byPatient) events.push({ type: 'readings', patientNhs, metrics: [...p.metrics], latestAtMs: p.latestAtMs });
    for (const c of batch.alerts ?? []) {
      events.push({ type: 'alert', patientNhs: c.alert.patientNhs, alertId: c.alert.id, state: c.alert.state, severity: c.alert.severity, by: c.by });
    }
    if (events.length === 0) return;
    for (const l of this.listeners) {
      const mine = l.patients();
      for (const e of events) if (mine.has(e.patientNhs)) l.send(e);
    }
  }
}
