import { Aedes, type AedesOptions, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { GatewayError, type Result } from '../../domain/index.js';
import type { AuthFailure } from '../../devices/index.js';
import type { Logger } from '../../observability/index.js';
import type { DeviceContext, IngestDone, IngestOutcome } from '../../pipeline/index.js';
import { ClinicianInboxes, type InboxOutcome } from './clinician-inbox.js';
import { guardConnection } from './packet-guard.js';
import { Channel, CLINICIAN_USERNAME_PREFIX, clinicianAlertTopic, maySubscribe, parseDeviceTopic, publishChannel, topicFor } from './topic.js';

export interface BrokerOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile?: string | undefined } | undefined;
  readonly maxPacketBytes: number;
  readonly connectTimeoutMs: number;
}

/** What the broker needs from the rest of the gateway: narrow ports, never the gateway itself. */
export interface BrokerPorts {
  authenticate(deviceId: string | undefined, secret: Buffer | undefined): Promise<Result<DeviceContext, AuthFailure>>;
  /** Takes a device's message; `done` is told once what became of it. */
  ingest(device: DeviceContext, channel: string, topic: string, payload: Buffer, done: IngestDone): void;
  /** True while a device is banned for flooding. */
  banned(deviceId: string): boolean;
  /** Clinicians (username `clinician:<id>`): they may only subscribe to their alert topic. */
  authenticateClinician?(clinicianId: string, secret: Buffer | undefined): Promise<Result<string, AuthFailure>>;
}

export interface BrokerMetrics {
  connectionOpened(): void;
  connectionClosed(): void;
  authFailed(reason: string): void;
  aclDenied(action: 'publish' | 'subscribe'): void;
  oversizedPacket(): void;
  floodDisconnected(): void;
}

/** [MQTT 3.1.1 §3.2.2.3] CONNACK return codes. */
const CONNACK = { IdentifierRejected: 2, ServerUnavailable: 3, BadCredentials: 4, NotAuthorized: 5 } as const;

const refusal = (returnCode: number, message: string): AuthenticateError =>
  Object.assign(new Error(message), { returnCode }) as AuthenticateError;

/**
 * The embedded MQTT broker: aedes behind a TCP or TLS server the gateway owns. Every hook is
 * explicit and denies by default. A QoS 1 PUBACK is held in `authorizePublish` until the pipeline
 * has durably committed the message (aedes writes PUBACK when that callback is called).
 */
export class MqttBroker {
  private aedes: GatewayAedes | undefined;
  private server: Server | undefined;
  private readonly sessions = new WeakMap<Client, DeviceContext>();
  /** Clients that are clinicians, by clinician id. */
  private readonly clinicians = new WeakMap<Client, string>();
  /** Connected clients by device id (one per device: the client id is the device id). */
  private readonly connected = new Map<string, Client>();
  /** Connected clinicians' clients by clinician id (one each: the client id is `clinician:<id>`). */
  private readonly connectedClinicians = new Map<string, Client>();
  /** Messages handed to the pipeline and not yet settled; those `drained` are told when the last settles. */
  private inflight = 0;
  private readonly drained: (() => void)[] = [];
  private draining = false;
  private readonly inboxes: ClinicianInboxes;

  constructor(
    private readonly options: BrokerOptions,
    private readonly ports: BrokerPorts,
    private readonly metrics: BrokerMetrics,
    private readonly log: Logger,
    /** A clinician's client subscribed to its alert topic: what waits for them can go. */
    onClinicianReachable: (clinicianId: string) => void = () => {},
  ) {
    this.inboxes = new ClinicianInboxes(onClinicianReachable);
  }

  /**
   * Sends an alert to the clinician's own client (QoS 1); settles `acknowledged` on its PUBACK,
   * `away` when it is not connected (or goes before acknowledging), `timeout` after `timeoutMs`.
   */
  deliverToClinician(clinicianId: string, body: unknown, timeoutMs: number): Promise<InboxOutcome> {
    return this.inboxes.send(clinicianId, clinicianAlertTopic(clinicianId), Buffer.from(JSON.stringify(body)), timeoutMs);
  }

  /** Listens; resolves with the bound port (useful when configured as 0). */
  async start(): Promise<number> {
    const tls = this.options.tls === undefined ? undefined : tlsOptions(this.options.tls);
    const aedes = new GatewayAedes((client) => client !== null && this.sessions.has(client), {
      id: 'vitals-gateway',
      connectTimeout: this.options.connectTimeoutMs,
      maxClientsIdLength: 64,
      maxTopicLevels: 8,
      authenticate: (client, username, password, done) => {
        this.authenticate(client, username, password).then(
          (e) => done(e, e === null),
          (e: Error) => {
            this.log.error({ err: e.message }, 'authentication failed with an error');
            done(refusal(CONNACK.ServerUnavailable, 'server unavailable'), false);
          },
        );
      },
      authorizePublish: (client, packet, done) => this.authorizePublish(client, packet, done),
      authorizeSubscribe: (client, sub, done) => {
        const device = this.sessions.get(client);
        const clinician = this.clinicians.get(client);
        if ((device !== undefined && maySubscribe(device.deviceId, sub.topic)) || (clinician !== undefined && sub.topic === clinicianAlertTopic(clinician))) {
          done(null, sub);
        } else {
          this.metrics.aclDenied('subscribe');
          this.log.warn({ clientId: client.id, filter: sub.topic }, 'subscription denied');
          done(null, null); // [MQTT-3.9.3] SUBACK 0x80 for this filter; the connection stays
        }
      },
      authorizeForward: (client, packet) => {
        const device = this.sessions.get(client);
        if (device !== undefined) return parseDeviceTopic(packet.topic)?.deviceId === device.deviceId ? packet : null;
        const clinician = this.clinicians.get(client);
        return clinician !== undefined && packet.topic === clinicianAlertTopic(clinician) ? packet : null;
      },
    });
    await aedes.listen();
    aedes.on('clientReady', (client) => {
      const clinician = this.clinicians.get(client);
      if (clinician !== undefined) this.connectedClinicians.set(clinician, client);
      const device = this.sessions.get(client);
      if (device === undefined) return;
      this.connected.set(device.deviceId, client);
      this.metrics.connectionOpened();
    });
    aedes.on('subscribe', (subscriptions, client) => {
      const clinician = this.clinicians.get(client);
      if (clinician !== undefined && subscriptions.some((s) => s.topic === clinicianAlertTopic(clinician))) this.inboxes.subscribed(clinician, client);
    });
    aedes.on('ack', (_packet, client) => {
      if (this.clinicians.has(client)) this.inboxes.acknowledged(client);
    });
    aedes.on('clientDisconnect', (client) => {
      const clinician = this.clinicians.get(client);
      if (clinician !== undefined) {
        this.inboxes.disconnected(clinician, client);
        if (this.connectedClinicians.get(clinician) === client) this.connectedClinicians.delete(clinician);
      }
      const device = this.sessions.get(client);
      if (device === undefined) return;
      if (this.connected.get(device.deviceId) === client) this.connected.delete(device.deviceId);
      this.metrics.connectionClosed();
    });
    aedes.on('clientError', (client, error) => this.log.debug({ clientId: client.id, err: error.message }, 'client error'));
    aedes.on('connectionError', (_client, error) => this.log.debug({ err: error.message }, 'connection error'));
    this.aedes = aedes;

    const onConnection = (conn: Duplex): void => {
      guardConnection(conn, this.options.maxPacketBytes, () => {
        this.metrics.oversizedPacket();
        this.log.warn({ maxPacketBytes: this.options.maxPacketBytes }, 'connection closed: MQTT packet over the size limit');
      });
      aedes.handle(conn);
    };
    const server = tls === undefined ? createServer(onConnection) : createTlsServer(tls, onConnection);
    server.on('error', (error) => this.log.error({ err: error.message }, 'mqtt server error'));
    server.on('tlsClientError', (error: Error) => this.log.debug({ err: error.message }, 'TLS handshake failed'));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error): void =>
        reject(new GatewayError('GW_BROKER_LISTEN_FAILED', `cannot listen on ${this.options.host}:${this.options.port}: ${error.message}`, { cause: error }));
      server.once('error', fail);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', fail);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  /** Stops accepting connections, lets in-flight messages finish their commit, then closes every client. Idempotent. */
  async stop(): Promise<void> {
    this.draining = true;
    const server = this.server;
    this.server = undefined;
    const closed = server === undefined ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.inflight > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
    // A PUBACK leaves corked until the next tick (mqtt-packet's writer): let the last ones out before the connections close.
    await new Promise((resolve) => setImmediate(resolve));
    const aedes = this.aedes;
    this.aedes = undefined;
    if (aedes !== undefined) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await closed;
  }

  /** Whether the device is connected now. */
  isConnected(deviceId: string): boolean {
    return this.connected.has(deviceId);
  }

  /** Closes a device's connection (e.g. once it is revoked); true if it was connected. */
  disconnect(deviceId: string): boolean {
    return this.close(this.connected.get(deviceId), { deviceId }, 'disconnecting device');
  }

  /** Closes a clinician's connection (once their account is revoked); true if it was connected. */
  disconnectClinician(clinicianId: string): boolean {
    return this.close(this.connectedClinicians.get(clinicianId), { clinicianId }, 'disconnecting clinician: account revoked');
  }

  private close(client: Client | undefined, who: Record<string, string>, message: string): boolean {
    if (client === undefined) return false;
    this.log.info(who, message);
    client.close();
    return true;
  }

  /** Publishes JSON at QoS 1 from the broker itself (e.g. an alert to a clinician's topic). */
  publishJson(topic: string, body: unknown): void {
    const packet: PublishPacket = { cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(body)), qos: 1, retain: false, dup: false };
    this.aedes?.publish(packet, (error) => {
      if (error) this.log.warn({ topic, err: error.message }, 'could not publish');
    });
  }

  private async authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<AuthenticateError | null> {
    if (this.draining) return refusal(CONNACK.ServerUnavailable, 'server stopping');
    if (username?.startsWith(CLINICIAN_USERNAME_PREFIX) === true) return this.authenticateClinician(client, username.slice(CLINICIAN_USERNAME_PREFIX.length), password);
    const result = await this.ports.authenticate(username, password);
    if (!result.ok) {
      this.metrics.authFailed(result.error);
      this.log.warn({ clientId: client.id, reason: result.error }, 'connection refused');
      return refusal(result.error === 'not-authorized' ? CONNACK.NotAuthorized : CONNACK.BadCredentials, result.error);
    }
    if (this.ports.banned(result.value.deviceId)) {
      this.metrics.authFailed('flood-ban');
      return refusal(CONNACK.ServerUnavailable, 'banned for flooding; try later');
    }
    // One device, one client id: otherwise a device could take over another's session.
    if (client.id !== result.value.deviceId) {
      this.metrics.authFailed('client-id-mismatch');
      this.log.warn({ clientId: client.id, deviceId: result.value.deviceId }, 'connection refused: client id must equal device id');
      return refusal(CONNACK.IdentifierRejected, 'client id must equal the device id');
    }
    this.sessions.set(client, result.value);
    return null;
  }

  private async authenticateClinician(client: Client, clinicianId: string, password: Buffer | undefined): Promise<AuthenticateError | null> {
    const result = this.ports.authenticateClinician === undefined ? undefined : await this.ports.authenticateClinician(clinicianId, password);
    if (result === undefined || !result.ok) {
      const reason = result?.error ?? 'bad-credentials';
      this.metrics.authFailed(reason);
      this.log.warn({ clientId: client.id, reason }, 'clinician connection refused');
      return refusal(reason === 'not-authorized' ? CONNACK.NotAuthorized : CONNACK.BadCredentials, reason);
    }
    // As for devices: client id = username, so a clinician can never take over a device's session
    // (or another clinician's) by connecting with its client id [MQTT-3.1.3-2: a new connection
    // with a client id in use ends the old one].
    if (client.id !== `${CLINICIAN_USERNAME_PREFIX}${result.value}`) {
      this.metrics.authFailed('client-id-mismatch');
      this.log.warn({ clientId: client.id, clinicianId: result.value }, 'clinician connection refused: client id must equal the username');
      return refusal(CONNACK.IdentifierRejected, 'client id must equal the username clinician:<id>');
    }
    this.clinicians.set(client, result.value);
    return null;
  }

  /**
   * Runs for every message: `done(null)` (aedes then writes the PUBACK) once its commit is durable,
   * `done(error)` (no PUBACK, the connection closes) when it may not publish or was not committed.
   * Callbacks rather than an async function: no promise of its own per message.
   */
  private authorizePublish(client: Client | null, packet: PublishPacket, done: (error: Error | null) => void): void {
    if (client === null) return done(null); // the broker's own publishes (rejections)
    const device = this.sessions.get(client);
    const channel = device === undefined ? undefined : publishChannel(device.deviceId, packet.topic);
    if (device === undefined || channel === undefined) {
      this.metrics.aclDenied('publish');
      this.log.warn({ clientId: client.id, topic: packet.topic }, 'publish denied: not the device\'s own topic (clinicians publish nothing)');
      return done(new Error('publish not authorized')); // [MQTT-3.3.5-2] the broker closes the connection
    }
    if (this.draining) return done(new Error('gateway stopping')); // no PUBACK: the device will redeliver
    packet.retain = false; // readings are never kept in the broker
    this.inflight++;
    let handled = false;
    const settled: IngestDone = (outcome, error) => {
      handled = true;
      if (--this.inflight === 0) for (const resolve of this.drained.splice(0)) resolve();
      if (outcome === undefined) {
        // Infrastructure failure (e.g. the store): no PUBACK, the connection closes, the device redelivers.
        this.log.error({ deviceId: device.deviceId, err: error instanceof Error ? error.message : String(error) }, 'message not committed');
        return done(error instanceof Error ? error : new Error(String(error)));
      }
      if (outcome.unacknowledged === true) return done(new Error('banned for flooding')); // no PUBACK: the device keeps the message
      try {
        if (outcome.issues.length > 0) this.publishRejection(device, packet.topic, outcome);
        if (outcome.disconnect === true) {
          this.metrics.floodDisconnected();
          this.log.warn({ deviceId: device.deviceId }, 'device disconnected and banned for a while: flooding');
          client.close();
        }
      } catch (error) {
        this.log.error({ deviceId: device.deviceId, err: error instanceof Error ? error.message : String(error) }, 'rejection not published');
      }
      done(null);
    };
    try {
      this.ports.ingest(device, channel, packet.topic, packet.payload as Buffer, settled);
    } catch (error) {
      // Settled at most once: an error thrown after (by aedes, acknowledging) is only logged.
      if (!handled) settled(undefined, error);
      else this.log.error({ deviceId: device.deviceId, err: error instanceof Error ? error.message : String(error) }, 'message handling failed after it settled');
    }
  }

  private publishRejection(device: DeviceContext, topic: string, outcome: IngestOutcome): void {
    this.log.info({ deviceId: device.deviceId, topic, codes: [...new Set(outcome.issues.map((i) => i.code))] }, 'message rejected');
    this.publishJson(topicFor(device.deviceId, Channel.Rejected), { messageId: outcome.messageId ?? null, topic, accepted: outcome.accepted, issues: outcome.issues });
  }
}

function tlsOptions(tls: NonNullable<BrokerOptions['tls']>) {
  try {
    return {
      cert: readFileSync(tls.certFile),
      key: readFileSync(tls.keyFile),
      ...(tls.caFile !== undefined ? { ca: readFileSync(tls.caFile) } : {}),
    };
  } catch (cause) {
    throw new GatewayError('GW_TLS_FILES_UNREADABLE', `cannot read TLS files: ${(cause as Error).message}`, { cause });
  }
}

/**
 * aedes, less routing what devices publish. Everything a device may publish (readings, status,
 * corrections: device → gateway, docs/mqtt.md) is taken by the gateway in `authorizePublish`, before
 * its PUBACK; routing it afterwards could reach no one but the device itself (a device subscribes
 * only under its own prefix, and `authorizeForward` forwards nothing else), so it would only echo a
 * patient's readings back over the network. Skipping it saves aedes' publish of every message:
 * matching its topic against the subscriptions twice (the emitter's and the persistence's), two
 * promises, and the objects they make (docs/benchmarks.md). The broker's own publishes
 * (rejections, alerts) and aedes' `$SYS` ones are routed as before.
 */
class GatewayAedes extends Aedes {
  constructor(
    /** Whether a publish from this client was taken by the gateway (a device's), not one to route. */
    private readonly taken: (client: Client | null) => boolean,
    options: AedesOptions,
  ) {
    super(options);
  }

  // aedes calls `publish(packet, client, done)` for a client's publish, `publish(packet, done)` for its own.
  override publish(packet: PublishPacket, clientOrDone: Client | null | ((error?: Error) => void), done?: (error?: Error) => void): void {
    if (typeof clientOrDone !== 'function' && this.taken(clientOrDone)) {
      done?.();
      return;
    }
    (super.publish as (packet: PublishPacket, client: unknown, done?: (error?: Error) => void) => void)(packet, clientOrDone, done);
  }
}
