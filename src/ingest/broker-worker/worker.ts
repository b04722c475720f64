import { err, ok, type Clock, type Result } from '../../domain/index.js';
import type { ProfileCatalog } from '../../profiles/index.js';
import type { Logger } from '../../observability/index.js';
import type { DeviceContext, IngestOutcome } from '../../pipeline/index.js';
import { Channel, clinicianAlertTopic, parseDeviceTopic, topicFor } from '../mqtt/topic.js';
import { BrokerConnection, type BrokerConnectionOptions } from './mqtt-client.js';

/** Why a message from the external broker names no device that may send. */
export type DeviceRefusal = 'unknown' | 'revoked';

export interface BrokerWorkerPorts {
  /** The registered, active device behind a topic's device id. */
  device(deviceId: string): Result<DeviceContext, DeviceRefusal> | Promise<Result<DeviceContext, DeviceRefusal>>;
  /** The pipeline entry for a device's channel (settles once its commit is durable). */
  ingest(device: DeviceContext, channel: string, topic: string, payload: Buffer): Promise<IngestOutcome>;
  /** Keeps a message from a device that may not send as a dead letter (settles once durable). */
  refuse(deviceId: string, topic: string, payload: Buffer, why: DeviceRefusal): Promise<IngestOutcome>;
}

export interface BrokerWorkerOptions extends Omit<BrokerConnectionOptions, 'clientId' | 'filters'> {
  /** Client ids are `<clientIdPrefix>-1` … `-<connections>`: the same on every start, so a kept session is found again. */
  readonly clientIdPrefix: string;
  readonly group: string;
  readonly connections: number;
}

/** What retiring a worker did. */
export interface Retirement {
  /** Messages its kept sessions still held, taken through the pipeline. */
  readonly drained: number;
  /** Sessions ended at the broker. */
  readonly sessions: number;
}

export interface BrokerWorkerMetrics {
  brokerConnections(up: number): void;
}

/** What became of an alert handed to the broker for a clinician. */
export type BrokerDelivery = 'acknowledged' | 'timeout' | 'unsubscribed' | 'broker-unavailable';

/** PUBACK reason code [MQTT-5 3.4.2.1]: accepted, but no subscription matched. */
const NO_MATCHING_SUBSCRIBERS = 0x10;

/** The device channels a worker takes from the group (never `rejected`, which it publishes). */
const FILTERS = [Channel.Readings, Channel.Status, Channel.Corrections].map((c) => `devices/+/${c}`);

/**
 * The gateway as a worker on an existing MQTT 5 broker: K connections in the shared subscriptions
 * `$share/<group>/devices/+/readings`, `…/status` and `…/corrections`, every message through the
 * same pipeline as the embedded broker's, each QoS 1 message acknowledged to the broker only once
 * its commit is durable. The broker authenticates devices and keeps each to its own topics (from
 * the same registry: `http.brokerAuth` for EMQX, `broker mosquitto-files` for Mosquitto); the
 * worker still checks the topic's device is registered and active, and keeps anything else as a
 * dead letter. Rejections go back on `devices/<id>/rejected`, alerts to `clinicians/<id>/alerts`.
 */
export class BrokerWorker {
  private readonly connections: BrokerConnection[] = [];
  private readonly up = new Set<number>();
  private readonly inflight = new Set<Promise<unknown>>();
  private draining = false;
  private next = 0;
  private received = 0;
  private lastError: string | undefined;
  /** When the last message arrived, on the monotonic clock (performance.now()): a quiet period is a duration. */
  private lastMessageAtMs = 0;
  private readonly ready: Promise<void>;
  private markReady: () => void = () => {};

  constructor(
    private readonly options: BrokerWorkerOptions,
    private readonly ports: BrokerWorkerPorts,
    private readonly metrics: BrokerWorkerMetrics,
    private readonly log: Logger,
  ) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }

  /**
   * Opens the connections (each retries on its own until the broker answers). Resolves once every
   * connection is subscribed; the gateway does not wait for it, so it starts before its broker.
   */
  start(options: { retiring?: boolean } = {}): Promise<void> {
    const { clientIdPrefix, group, connections, ...base } = this.options;
    // Retiring resumes the kept sessions whatever `broker.session` now says (a clean start would discard them).
    const connection = options.retiring === true && base.sessionExpirySeconds === 'clean' ? { ...base, sessionExpirySeconds: 60 } : base;
    for (let i = 0; i < connections; i++) {
      const clientId = `${clientIdPrefix}-${i + 1}`;
      this.connections.push(
        new BrokerConnection(
          { ...connection, clientId, filters: FILTERS.map((f) => `$share/${group}/${f}`), retiring: options.retiring === true },
          {
            message: (topic, payload) => this.message(topic, payload),
            up: () => this.changed(i, true, clientId),
            down: (reason) => this.changed(i, false, clientId, reason),
          },
        ),
      );
    }
    return this.ready;
  }

  /** Settles once every connection has been subscribed (after `start`). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Connections up and subscribed, of all, and why the last one to go down went down. */
  status(): { readonly up: number; readonly connections: number; readonly lastError?: string } {
    return { up: this.up.size, connections: this.connections.length, ...(this.lastError === undefined ? {} : { lastError: this.lastError }) };
  }

  /**
   * Publishes an alert delivery to `clinicians/<id>/alerts` at QoS 1 through a connection that is
   * up: acknowledged once the broker has taken it for a subscription (it holds it for the
   * clinician's session); unsubscribed while the clinician has no subscription at the broker
   * (PUBACK 0x10: the broker drops it; tried again with back-off); broker-unavailable while no
   * connection is up or when the broker refuses it (a misconfigured ACL): tried again with back-off,
   * as nothing tells the worker when either changes.
   */
  async deliverToClinician(clinicianId: string, body: unknown, timeoutMs: number): Promise<BrokerDelivery> {
    const ups = [...this.up];
    if (ups.length === 0 || this.draining) return 'broker-unavailable';
    const connection = this.connections[ups[this.next++ % ups.length] ?? 0];
    if (connection === undefined) return 'broker-unavailable';
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    try {
      return await Promise.race([
        connection.publish(clinicianAlertTopic(clinicianId), Buffer.from(JSON.stringify(body))).then(
          // 0x10, no matching subscribers: the clinician has no session at the broker to hold it. Away: the lane tries again later.
          (code) => (code === NO_MATCHING_SUBSCRIBERS ? ('unsubscribed' as const) : ('acknowledged' as const)),
          (error: unknown) => {
            this.log.warn({ clinicianId, err: error instanceof Error ? error.message : String(error) }, 'the broker refused an alert: check the workers\' account may publish to clinicians/+/alerts');
            return 'broker-unavailable' as const;
          },
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Retires this worker (its `gatewayId` and number of connections): resumes each kept session,
   * leaves the group's shared subscriptions, so the broker routes it nothing new, takes what the
   * sessions still hold through the pipeline until none has arrived for `quietMs`, then ends the
   * sessions. A stopped worker's sessions would otherwise stay members of the group and go on
   * taking their share of every device's messages until they expire, unread.
   */
  async retire(quietMs: number): Promise<Retirement> {
    await this.start({ retiring: true });
    this.lastMessageAtMs = performance.now();
    while (this.inflight.size > 0 || performance.now() - this.lastMessageAtMs < quietMs) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, quietMs)));
    }
    this.draining = true;
    const sessions = this.connections.splice(0);
    await Promise.all(sessions.map((c) => c.endSession()));
    this.up.clear();
    this.metrics.brokerConnections(0);
    this.log.info({ drained: this.received, sessions: sessions.length }, 'worker retired: its sessions ended at the broker');
    return { drained: this.received, sessions: sessions.length };
  }

  /** Takes no new message, waits for those in flight to be acknowledged, then disconnects. Idempotent. */
  async stop(): Promise<void> {
    this.draining = true;
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    await Promise.all(this.connections.splice(0).map((c) => c.end()));
    this.up.clear();
    this.metrics.brokerConnections(0);
  }

  private changed(index: number, isUp: boolean, clientId: string, reason?: string): void {
    const was = this.up.has(index);
    if (isUp) this.up.add(index);
    else this.up.delete(index);
    this.metrics.brokerConnections(this.up.size);
    if (isUp && !was) this.log.info({ clientId }, 'subscribed at the broker');
    if (!isUp && !this.draining) {
      this.lastError = reason;
      this.log.warn({ clientId, reason }, 'broker connection down; reconnecting');
    }
    if (this.up.size === this.connections.length && this.connections.length === this.options.connections) {
      this.lastError = undefined;
      this.markReady();
    }
  }

  private message(topic: string, payload: Buffer): Promise<void> {
    // Stopping: never acknowledged here; the broker sends it again to this worker's return or another member.
    if (this.draining) return new Promise(() => {});
    this.received += 1;
    this.lastMessageAtMs = performance.now();
    const work = this.handle(topic, payload);
    this.inflight.add(work);
    return work.finally(() => this.inflight.delete(work));
  }

  private async handle(topic: string, payload: Buffer): Promise<void> {
    const parsed = parseDeviceTopic(topic);
    if (parsed === undefined) {
      // Only the group's filters are subscribed: nothing else should arrive. Acknowledged and logged.
      this.log.warn({ topic }, 'message on a topic the worker does not take');
      return;
    }
    const device = await this.ports.device(parsed.deviceId);
    const outcome = device.ok
      ? await this.ports.ingest(device.value, parsed.channel, topic, payload)
      : await this.ports.refuse(parsed.deviceId, topic, payload, device.error);
    if (outcome.issues.length > 0) this.reject(parsed.deviceId, topic, outcome);
  }

  private reject(deviceId: string, topic: string, outcome: IngestOutcome): void {
    this.log.info({ deviceId, topic, codes: [...new Set(outcome.issues.map((i) => i.code))] }, 'message rejected');
    const body = { messageId: outcome.messageId ?? null, topic, accepted: outcome.accepted, issues: outcome.issues };
    const connection = this.connections[[...this.up][0] ?? -1];
    connection?.publish(topicFor(deviceId, Channel.Rejected), Buffer.from(JSON.stringify(body))).catch((error: unknown) => {
      this.log.warn({ deviceId, err: error instanceof Error ? error.message : String(error) }, 'rejection not published (it is kept as a dead letter)');
    });
  }
}

/** What the worker needs of a registered device. */
type DirectoryEntry = { id: string; status: string; patientNhs: string; profileId: string; serial?: string | undefined };

/**
 * The device a worker may take a message from: registered, active and with a loaded profile. Each
 * answer is kept for `ttlMs` (one registry read per device, not per message), so a revocation
 * made elsewhere holds within that time — as the embedded broker's revocation check does.
 */
export function deviceDirectory(
  lookup: (deviceId: string) => DirectoryEntry | undefined | Promise<DirectoryEntry | undefined>,
  profiles: ProfileCatalog,
  clock: Clock,
  ttlMs: number,
): (deviceId: string) => Promise<Result<DeviceContext, DeviceRefusal>> {
  const known = new Map<string, { readonly atMs: number; readonly answer: Result<DeviceContext, DeviceRefusal> }>();
  return async (deviceId) => {
    const now = clock.now();
    const kept = known.get(deviceId);
    if (kept !== undefined && now - kept.atMs < ttlMs) return kept.answer;
    const device = await lookup(deviceId);
    const profile = device === undefined ? undefined : profiles.get(device.profileId);
    const answer: Result<DeviceContext, DeviceRefusal> =
      device === undefined
        ? err('unknown')
        : device.status !== 'active' || profile === undefined
          ? err('revoked')
          : ok({ deviceId: device.id, patientNhs: device.patientNhs, profile, serial: device.serial });
    if (known.size >= 100_000) known.clear();
    known.set(deviceId, { atMs: now, answer });
    return answer;
  };
}

/** A broker URL as logs and messages show it: scheme, host and port, never credentials. */
export function brokerAddress(url: string): string {
  const { protocol, host } = new URL(url);
  return `${protocol}//${host}`;
}
