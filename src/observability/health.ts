import type { BleBridgeStatus } from '../ingest/ble/bridge.js';
import type { OutboxStats } from '../store/outbox-store.js';

/** What `/healthz` reads, each at the moment it is asked. */
export interface HealthSources {
  readonly storeOpen: () => boolean;
  /** False from a failed commit until the next one succeeds. */
  readonly committing: () => boolean;
  /** The alert deliveries' outboxes (MQTT and webhooks). */
  readonly alertOutboxes: () => readonly OutboxStats[];
  /** Outputs paused for their configuration or authorisation, with why. */
  readonly pausedOutputs: () => ReadonlyMap<string, string>;
  readonly mqttPort: number | undefined;
  /** A worker's connections to its external broker; undefined with the embedded broker. */
  readonly broker: (() => { readonly up: number; readonly connections: number; readonly lastError?: string }) | undefined;
  readonly ble: () => { readonly state: string; readonly status: BleBridgeStatus | undefined };
  readonly now: () => number;
}

/**
 * The gateway's health: `failing` (503) when the store is closed or commits fail; `degraded` (still
 * 200) when alert changes were kept as dead, an output is paused, or a worker's broker connection
 * is down; else `ok`.
 */
export function healthReport(s: HealthSources) {
  const committing = s.committing();
  const open = s.storeOpen();
  const deliveries = alertDeliveries(s.alertOutboxes(), s.now());
  const paused = s.pausedOutputs();
  const broker = s.broker?.();
  const { state, status: bleStatus } = s.ble();
  const degraded = deliveries.dead > 0 || paused.size > 0 || (broker !== undefined && broker.up < broker.connections);
  return {
    ok: open && committing,
    status: !(open && committing) ? 'failing' : degraded ? 'degraded' : 'ok',
    alertDeliveries: deliveries,
    outputs: Object.fromEntries([...paused].map(([sink, reason]) => [sink, { state: 'paused', reason }])),
    mqttPort: s.mqttPort ?? null,
    ...(broker === undefined ? {} : { broker }),
    store: open ? 'open' : 'closed',
    commits: committing ? 'ok' : 'failing',
    ble: bleStatus === undefined ? state : { state, adapter: bleStatus.adapter, devices: bleStatus.devices.map((d) => ({ ...d, lastReadingAt: d.lastReadingAtMs === undefined ? null : new Date(d.lastReadingAtMs).toISOString() })) },
  };
}

/** Alert deliveries waiting and dead (undelivered past `alerts.deliveryTtlMs`, or refused), over both channels. */
function alertDeliveries(stats: readonly OutboxStats[], nowMs: number): { pending: number; dead: number; oldestDeadAgeSeconds: number | null } {
  const oldest = Math.min(...stats.map((s) => s.oldestDeadAtMs ?? Infinity));
  return {
    pending: stats.reduce((n, s) => n + s.pending, 0),
    dead: stats.reduce((n, s) => n + s.dead, 0),
    oldestDeadAgeSeconds: Number.isFinite(oldest) ? Math.round((nowMs - oldest) / 1000) : null,
  };
}
