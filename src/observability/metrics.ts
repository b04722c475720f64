import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The gateway's Prometheus metrics, on a registry of its own (no global state), exposed in text
 * format by `render()`. Its methods satisfy the narrow metric ports of the pipeline and the broker.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  /**
   * Values stored and repeated, by profile: counted on every message as plain numbers and added to
   * their counters when the metrics are read (prom-client's `inc` builds a key from the labels on
   * every call).
   */
  private readonly counted = { accepted: new Map<string, number>(), duplicates: new Map<string, number>() };
  private readonly accepted: Counter = new Counter({
    name: 'vg_readings_accepted_total', help: 'Values stored', labelNames: ['profile'], registers: [this.registry],
    collect: () => addCounted(this.accepted, this.counted.accepted),
  });
  private readonly duplicates: Counter = new Counter({
    name: 'vg_readings_duplicate_total', help: 'Values already stored (acknowledged, not stored again)', labelNames: ['profile'], registers: [this.registry],
    collect: () => addCounted(this.duplicates, this.counted.duplicates),
  });
  private readonly rejected = new Counter({ name: 'vg_messages_rejected_total', help: 'Rejection issues by code', labelNames: ['code'], registers: [this.registry] });
  private readonly commits = new Histogram({ name: 'vg_commit_rows', help: 'Rows per group commit', buckets: [1, 10, 50, 100, 500, 1000, 5000], registers: [this.registry] });
  private readonly commitFailures = new Counter({ name: 'vg_commit_failed_messages_total', help: 'Messages whose commit failed (no PUBACK; devices redeliver)', registers: [this.registry] });
  private readonly replans = new Counter({ name: 'vg_commit_replanned_total', help: 'Commits planned afresh because another gateway changed an alert they were planned on', registers: [this.registry] });
  private readonly commitSeconds = new Histogram({ name: 'vg_commit_duration_seconds', help: 'Group commit duration', buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5], registers: [this.registry] });
  private readonly connections = new Gauge({ name: 'vg_mqtt_connections', help: 'Authenticated MQTT connections', registers: [this.registry] });
  private readonly brokerUp = new Gauge({ name: 'vg_broker_connections_up', help: 'Worker connections to the external broker that are up and subscribed', registers: [this.registry] });
  private readonly authFailures = new Counter({ name: 'vg_mqtt_auth_failures_total', help: 'Refused connections by reason', labelNames: ['reason'], registers: [this.registry] });
  private readonly aclDenials = new Counter({ name: 'vg_mqtt_acl_denied_total', help: 'Publishes and subscriptions outside the device\'s own topics', labelNames: ['action'], registers: [this.registry] });
  private readonly oversizedPackets = new Counter({ name: 'vg_mqtt_oversized_packets_total', help: 'Connections closed for an MQTT packet over mqtt.maxPacketBytes', registers: [this.registry] });
  private readonly floodDisconnects = new Counter({ name: 'vg_mqtt_flood_disconnects_total', help: 'Devices disconnected and banned for flooding', registers: [this.registry] });
  private readonly outboxSent = new Counter({ name: 'vg_outbox_delivered_total', help: 'Outbox entries delivered (InfluxDB: points written)', labelNames: ['sink'], registers: [this.registry] });
  private readonly outboxFailures = new Counter({ name: 'vg_outbox_failures_total', help: 'Failed deliveries by retry class', labelNames: ['sink', 'retry'], registers: [this.registry] });
  private readonly alerts = new Counter({ name: 'vg_alerts_total', help: 'Alert changes by state (open, acknowledged, resolved) and severity', labelNames: ['state', 'severity'], registers: [this.registry] });
  private readonly corrections = new Counter({ name: 'vg_readings_corrected_total', help: 'Readings retracted or amended', labelNames: ['action'], registers: [this.registry] });
  private readonly drift = new Counter({ name: 'vg_clock_drift_messages_total', help: 'Messages from devices whose clock is off by more than the tolerance', labelNames: ['profile'], registers: [this.registry] });

  brokerConnections(up: number): void {
    this.brokerUp.set(up);
  }
  commitFailed(messages: number): void {
    this.commitFailures.inc(messages);
  }
  replanned(): void {
    this.replans.inc();
  }
  readingsAccepted(profileId: string, values: number): void {
    this.counted.accepted.set(profileId, (this.counted.accepted.get(profileId) ?? 0) + values);
  }
  readingsDuplicate(profileId: string, values: number): void {
    this.counted.duplicates.set(profileId, (this.counted.duplicates.get(profileId) ?? 0) + values);
  }
  messageRejected(codes: readonly string[]): void {
    for (const code of new Set(codes)) this.rejected.inc({ code });
  }
  alertChanged(state: string, severity: string): void {
    this.alerts.inc({ state, severity });
  }

  readingCorrected(action: 'retract' | 'amend'): void {
    this.corrections.inc({ action });
  }
  private readonly slowed = new Counter({ name: 'vg_messages_slowed_total', help: 'Messages beyond their device\'s per-minute allowance, held until their paced turn (back-pressure)', registers: [this.registry] });
  private readonly slowedSeconds = new Counter({ name: 'vg_messages_slowed_seconds_total', help: 'Time slowed messages were held', registers: [this.registry] });
  messageSlowed(delayMs: number): void {
    this.slowed.inc();
    this.slowedSeconds.inc(delayMs / 1000);
  }

  clockDrift(profileId: string): void {
    this.drift.inc({ profile: profileId });
  }
  committed(_messages: number, rows: number, durationMs: number): void {
    this.commits.observe(rows);
    this.commitSeconds.observe(durationMs / 1000);
  }

  connectionOpened(): void {
    this.connections.inc();
  }
  connectionClosed(): void {
    this.connections.dec();
  }
  authFailed(reason: string): void {
    this.authFailures.inc({ reason });
  }
  aclDenied(action: 'publish' | 'subscribe'): void {
    this.aclDenials.inc({ action });
  }
  oversizedPacket(): void {
    this.oversizedPackets.inc();
  }
  floodDisconnected(): void {
    this.floodDisconnects.inc();
  }

  outboxDelivered(sink: string, entries: number): void {
    this.outboxSent.inc({ sink }, entries);
  }
  outboxFailed(sink: string, retry: string): void {
    this.outboxFailures.inc({ sink, retry });
  }
  private readonly paused = new Map<string, string>();
  private readonly pausedGauge = new Gauge({ name: 'vg_outbox_paused', help: 'Outputs paused for their configuration or authorisation (1), with their entries kept', labelNames: ['sink'], registers: [this.registry] });
  /** An output paused (why) or running again (undefined). */
  outputState(sink: string, pausedReason: string | undefined): void {
    if (pausedReason === undefined) this.paused.delete(sink);
    else this.paused.set(sink, pausedReason);
    this.pausedGauge.set({ sink }, pausedReason === undefined ? 0 : 1);
  }
  /** Outputs paused now, with why: for `/healthz`. */
  pausedOutputs(): ReadonlyMap<string, string> {
    return this.paused;
  }
  /** Exposes an output's queue (pending, dead, oldest pending age), read from the store at each scrape. */
  /** The BLE bridge's devices: registered, connected, and the oldest "last reading" among them. */
  watchBle(status: () => { devices: readonly { connected: boolean; lastReadingAtMs: number | undefined }[] } | undefined, now: () => number): void {
    new Gauge({
      name: 'vg_ble_devices',
      help: 'Bluetooth devices the BLE bridge looks after, by state',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const devices = status()?.devices ?? [];
        this.set({ state: 'connected' }, devices.filter((d) => d.connected).length);
        this.set({ state: 'disconnected' }, devices.filter((d) => !d.connected).length);
      },
    });
    new Gauge({
      name: 'vg_ble_last_reading_age_seconds',
      help: 'Time since the Bluetooth device heard from longest ago last gave a reading (devices that gave one)',
      registers: [this.registry],
      collect() {
        const times = (status()?.devices ?? []).flatMap((d) => (d.lastReadingAtMs === undefined ? [] : [d.lastReadingAtMs]));
        this.set(times.length === 0 ? 0 : (now() - Math.min(...times)) / 1000);
      },
    });
  }

  watchOutbox(sink: string, stats: () => { pending: number; dead: number; oldestPendingAtMs: number | undefined }, now: () => number): void {
    new Gauge({
      name: `vg_outbox_${sink}_pending`,
      help: `Entries waiting to be sent to ${sink}`,
      registers: [this.registry],
      collect() {
        this.set(stats().pending);
      },
    });
    new Gauge({
      name: `vg_outbox_${sink}_dead`,
      help: `Entries ${sink} refused for good (kept in the outbox as dead)`,
      registers: [this.registry],
      collect() {
        this.set(stats().dead);
      },
    });
    new Gauge({
      name: `vg_outbox_${sink}_oldest_pending_age_seconds`,
      help: `Age of the oldest entry waiting for ${sink}`,
      registers: [this.registry],
      collect() {
        const oldest = stats().oldestPendingAtMs;
        this.set(oldest === undefined ? 0 : Math.max(0, (now() - oldest) / 1000));
      },
    });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Adds what was counted since the last read to a counter by profile, and starts counting afresh. */
function addCounted(counter: Counter, counted: Map<string, number>): void {
  for (const [profile, n] of counted) counter.inc({ profile }, n);
  counted.clear();
}
