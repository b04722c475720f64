import { gatewayVersion, type LoadedConfig } from './config/index.js';
import type { Backend, GatewayStore, OpenBackend } from './backends/backend.js';
import { Authenticator, DeviceRegistry, LoginThrottle, RevocationWatch } from './devices/index.js';
import { GatewayError, systemClock, type Clock } from './domain/index.js';
import { HttpServer } from './http/index.js';
import { BLE_OFF, startBleBridge, type BleBridge, type BleBridgeHandle } from './ingest/ble/index.js';
import { BrokerAccess, MqttBroker } from './ingest/mqtt/index.js';
import { brokerAddress, type BrokerWorker } from './ingest/broker-worker/index.js';
import { channelRouter } from './ingest/channel-router.js';
import { ClinicianRegistry } from './clinicians/index.js';
import { ALERT_MQTT_SINK, ALERT_WEBHOOK_SINK, recipientsReadFrom, mqttAlertDeliver, webhookAlertDeliver, type AlertEngine, type ClinicianDelivery } from './outputs/alerts/index.js';
import { GatewayMetrics, healthReport, type Logger } from './observability/index.js';
import type { CommitQueue, Ingestor } from './pipeline/index.js';
import { INFLUX_SINK, influxSender } from './outputs/influx/index.js';
import { Derivations, FHIR_SINK, fhirOutputSender } from './outputs/fhir/index.js';
import { LaneSender } from './outputs/outbox/index.js';
import { fhirServiceId, outputPlanner } from './outputs/planner.js';
import { loadSecretKey } from './outputs/secret-key.js';
import { loadProfiles, type ProfileCatalog } from './profiles/index.js';
import type { OutboxStats } from './store/outbox-store.js';
import type { OutboxResult } from './store/reading-store.js';
import { webApp } from './web-app.js';
import { Closers } from './lifecycle.js';
import { externalBrokerWorker, ingestPath } from './ingest-path.js';

export interface GatewayParts<S extends GatewayStore = GatewayStore> {
  /** The backend's store (an adapter's: tests and tools read it). */
  readonly store: S;
  readonly profiles: ProfileCatalog;
  readonly metrics: GatewayMetrics;
  /** Window summaries and home BP averages, derived from stored readings. */
  readonly derivations: Derivations;
  /** The alert rules over stored values. */
  readonly alerts: AlertEngine;
  /** The BLE bridge once it runs; undefined when disabled or without BlueZ. */
  readonly ble: Promise<BleBridge | undefined>;
  /** Port of the embedded broker; undefined when the gateway is a worker on an external broker. */
  readonly mqttPort: number | undefined;
  /** The worker on an external broker (`broker.url`), else undefined. */
  readonly worker: BrokerWorker | undefined;
  /** Port of `/metrics` and `/healthz`; undefined when `http.enabled` is false. */
  readonly httpPort: number | undefined;
  /** Port of the web app and its API; undefined when `web.enabled` is false. */
  readonly webPort: number | undefined;
}

/**
 * How long a worker on a shared store holds what it claimed (entries, lanes, the derivations' turn):
 * a minute, or three of its timeouts (or ticks) if longer, so a claim outlives any one attempt.
 */
const leaseMs = (timeoutMs: number): number => Math.max(60_000, 3 * timeoutMs);

/**
 * Wires the parts — profiles, store, pipeline, broker, outputs, HTTP — over a {@link Backend}, the
 * embedded SQLite file or a PostgreSQL database several workers share, and owns their lifecycle.
 * Every commit is a group commit through the same pipeline, each PUBACK after it. `start()` opens
 * files and sockets, registering how to close each; `stop()` (and a failed start) closes them in
 * reverse order: HTTP, revocation watch, broker (finishing in-flight writes), pipeline, writer,
 * store. `stop()` is safe to call at any time and more than once.
 */
export class Gateway<S extends GatewayStore = GatewayStore> {
  private readonly closers = new Closers();

  constructor(
    private readonly openBackend: OpenBackend<S>,
    private readonly config: LoadedConfig,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  /** `retireWorker`: a worker on an external broker is left unstarted, for `worker.retire()`. */
  async start(options: { retireWorker?: boolean } = {}): Promise<GatewayParts<S>> {
    const { config, log, clock, closers } = this;
    const profiles = loadProfiles(config.profilesDir);
    try {
      const backend = await this.openBackend(config, closers, log, clock);
      const { store } = backend;
      // The keys are checked before anything listens: a short or unreadable one stops start-up here. A gateway
      // makes its own; workers sharing a store must each hold the same ones, so they read them and never make
      // them (the pseudonym key where the InfluxDB output needs it).
      const keys = { create: !backend.shared };
      if (!backend.shared) loadSecretKey(config.pseudonymKeyFile);
      const webhookKey = loadSecretKey(config.webhookKeyFile, keys);
      const metrics = new GatewayMetrics();
      const { queue, flood, ingestor, record } = ingestPath(config, clock, backend.writer, store.readings, metrics, {
        outputs: outputPlanner(config, keys),
        payloadHashes: config.fhir.url !== undefined,
        paced: config.broker.url === undefined,
      });
      closers.push(() => queue.close());
      const live = config.web.enabled ? backend.liveFeed(queue) : undefined;
      let broker: MqttBroker | undefined;
      let worker: BrokerWorker | undefined;
      const { mqttAckTimeoutMs } = config.alerts;
      // Until the broker runs, every clinician is away: their deliveries wait for them.
      const toClinician = (id: string, message: Record<string, unknown>): Promise<ClinicianDelivery> =>
        worker !== undefined ? worker.deliverToClinician(id, message, mqttAckTimeoutMs) : broker === undefined ? Promise.resolve('away' as const) : broker.deliverToClinician(id, message, mqttAckTimeoutMs);
      const alertSenders = this.alertSenders(backend, webhookKey, record, metrics, toClinician);
      const alerts = await backend.alertEngine({ config, queue, profiles, clock, metrics, log: log.child({ component: 'alerts' }), closers, committed: () => alertSenders.forEach((s) => void s.tick()) });
      const outputs = await this.outputs(backend, queue, record, metrics);
      const derivations = new Derivations(
        {
          gatewayId: fhirServiceId(config),
          gatewayVersion: gatewayVersion(),
          timeZone: config.fhir.timeZone,
          graceMs: config.fhir.deriveGraceMs,
          intervalMs: config.fhir.deriveIntervalMs,
          send: config.fhir.url !== undefined,
          turn: backend.derivationTurn(leaseMs(config.fhir.deriveIntervalMs)),
        },
        store.derived,
        (id) => store.devices.get(id),
        profiles,
        (batch) => queue.submit(batch),
        clock,
        log.child({ component: 'derive' }),
      );
      if (config.alerts.enabled) derivations.onHomeBpAverage((nhs, average) => alerts.homeBpAverage(nhs, average));
      if (derivations.needed) {
        closers.push(() => derivations.stop());
        derivations.start();
      }
      const authenticator = new Authenticator(store.devices, profiles, new LoginThrottle(clock));
      const clinicians = new ClinicianRegistry(store.clinicians, clock, undefined, store.brokerCredentials);

      let mqttPort: number | undefined;
      if (config.broker.url === undefined) {
        const local = backend.local;
        // A shared store's backend refuses this configuration as it opens; this says why for any other.
        if (local === undefined) throw new GatewayError('GW_CONFIG_INVALID', 'broker.url: on a store shared by workers, each is a worker on an external broker: set broker.url (or --broker)');
        const ports = {
          authenticate: authenticator.authenticate.bind(authenticator),
          ingest: channelRouter(ingestor),
          banned: (deviceId: string) => flood.banned(deviceId),
          authenticateClinician: (id: string, secret: Buffer | undefined) => clinicians.authenticate(id, secret),
        };
        const mqtt = new MqttBroker(config.mqtt, ports, metrics, log.child({ component: 'mqtt' }), (clinicianId) => alertSenders[0]?.wake(clinicianId));
        broker = mqtt;
        closers.push(() => mqtt.stop());
        mqttPort = await mqtt.start();
        for (const watch of [
          new RevocationWatch((since) => local.devices.revokedSince(since), (id) => mqtt.disconnect(id), clock, config.mqtt.revocationCheckMs),
          new RevocationWatch((since) => local.clinicians.revokedSince(since), (id) => mqtt.disconnectClinician(id), clock, config.mqtt.revocationCheckMs),
        ]) {
          closers.push(() => watch.stop());
          watch.start();
        }
      } else {
        const external = externalBrokerWorker(config, config.broker.url, { lookup: (id) => store.devices.get(id), profiles, clock, ingestor, metrics, log });
        worker = external;
        closers.push(() => external.stop());
        // Not awaited: the gateway starts before (or without) its broker, and each connection retries.
        if (options.retireWorker !== true) void external.start();
      }

      for (const sender of alertSenders) {
        closers.push(() => sender.stop());
        sender.start();
      }
      const alertOutboxes = [await backend.outboxStats(ALERT_MQTT_SINK), await backend.outboxStats(ALERT_WEBHOOK_SINK)] as const;
      metrics.watchOutbox('alert_mqtt', alertOutboxes[0], () => clock.now());
      metrics.watchOutbox('alert_webhook', alertOutboxes[1], () => clock.now());
      for (const [sink, stats] of outputs) metrics.watchOutbox(sink, stats, () => clock.now());

      const ble = this.ble(backend, profiles, ingestor, metrics);
      const joined = worker;
      const health = () =>
        healthReport({
          storeOpen: () => backend.isOpen(),
          committing: () => queue.healthy(),
          alertOutboxes: () => alertOutboxes.map((stats) => stats()),
          pausedOutputs: () => metrics.pausedOutputs(),
          mqttPort,
          broker: joined === undefined ? undefined : () => joined.status(),
          ble: () => ({ state: ble.state, status: ble.current?.status() }),
          now: () => clock.now(),
        });
      let httpPort: number | undefined;
      if (config.http.enabled) {
        const device = (id: string) => store.devices.get(id);
        const account = (id: string) => store.clinicians.get(id);
        const brokerAccess = config.http.brokerAuth
          ? new BrokerAccess({
              authenticateDevice: (id, secret) => authenticator.authenticate(id, secret),
              authenticateClinician: (id, secret) => clinicians.authenticate(id, secret),
              deviceKnown: async (id) => (await device(id)) !== undefined,
              clinicianKnown: async (id) => (await account(id)) !== undefined,
              deviceActive: async (id) => (await device(id))?.status === 'active',
              clinicianActive: async (id) => (await account(id))?.status === 'active',
            })
          : undefined;
        const http = new HttpServer(config.http, { metrics: () => metrics.render(), health, ...(brokerAccess === undefined ? {} : { brokerAccess }) });
        closers.push(() => http.stop());
        httpPort = await http.start();
      }
      let webPort: number | undefined;
      if (live !== undefined) {
        const web = webApp({
          config,
          store,
          sessions: backend.sessions,
          live,
          commit: (work) => queue.submit(work),
          clock,
          log,
          profiles,
          accounts: clinicians,
          devices: new DeviceRegistry(store.devices, profiles, clock, store.brokerCredentials),
          recipients: recipientsReadFrom(store.clinicians, config.alerts.escalation.contacts),
          correctionOutbox: outputPlanner(config, keys),
          health,
          // Which devices are connected is the embedded broker's to say (an external broker's, not ours).
          connected: (id) => (broker === undefined ? null : broker.isConnected(id)),
        });
        closers.push(() => web.stop());
        webPort = await web.start();
      }
      const brokerUrl = config.broker.url === undefined ? undefined : brokerAddress(config.broker.url);
      log.info({ mqttPort, broker: brokerUrl, httpPort, webPort, host: config.mqtt.host, tls: config.mqtt.tls !== undefined, profiles: profiles.size, store: backend.where }, 'gateway started');
      return { store, profiles, metrics, derivations, alerts, ble: ble.ready, mqttPort, worker, httpPort, webPort };
    } catch (error) {
      await closers.closeAll();
      throw error;
    }
  }

  /**
   * The InfluxDB and FHIR outputs that are configured, each sending from the outbox (on a shared
   * store, the entries this worker claims, for a minute or three of its timeouts); resolves with
   * each one's outbox size for `/metrics`.
   */
  private outputs(backend: Backend<S>, queue: CommitQueue, record: (r: readonly OutboxResult[]) => Promise<unknown>, metrics: GatewayMetrics): Promise<[string, () => OutboxStats][]> {
    const { config, clock, log, closers } = this;
    const started: Promise<[string, () => OutboxStats]>[] = [];
    const influxUrl = config.influx.url;
    if (influxUrl !== undefined) {
      const { sender, sink } = influxSender({ ...config.influx, url: influxUrl }, backend.outputSource(INFLUX_SINK, leaseMs(config.influx.timeoutMs), queue), record, clock, metrics, log.child({ component: 'influx' }));
      closers.push(() => sink.close());
      closers.push(() => sender.stop());
      sender.start();
      started.push(backend.outboxStats(INFLUX_SINK).then((stats) => [INFLUX_SINK, stats]));
    }
    const fhirUrl = config.fhir.url;
    if (fhirUrl !== undefined) {
      const { sender, close } = fhirOutputSender({ ...config.fhir, url: fhirUrl }, backend.outputSource(FHIR_SINK, leaseMs(config.fhir.timeoutMs), queue), record, clock, metrics, log.child({ component: 'fhir' }));
      closers.push(close);
      closers.push(() => sender.stop());
      sender.start();
      started.push(backend.outboxStats(FHIR_SINK).then((stats) => [FHIR_SINK, stats]));
    }
    return Promise.all(started);
  }

  /** The Bluetooth bridge (`ble.enabled`), on a store of this gateway's own. */
  private ble(backend: Backend<S>, profiles: ProfileCatalog, ingestor: Ingestor, metrics: GatewayMetrics): BleBridgeHandle {
    const { config, clock, log } = this;
    const devices = backend.local?.devices;
    if (devices === undefined) {
      if (config.ble.enabled) throw new GatewayError('GW_CONFIG_INVALID', "ble.enabled: the Bluetooth bridge needs a store of this gateway's own: set it to false");
      return BLE_OFF;
    }
    const ble = startBleBridge(config.ble, { devices, profiles, ingestor }, clock, log.child({ component: 'ble' }));
    this.closers.push(() => ble.stop());
    metrics.watchBle(() => ble.current?.status(), () => clock.now());
    return ble;
  }

  /**
   * The senders of alert deliveries, one lane per recipient: clinicians' own MQTT clients (done on
   * their PUBACK; waiting while they are away) and webhooks. The MQTT sender comes first. On a
   * shared store each drain holds its lanes for a minute or three send timeouts: a dead worker's
   * lanes pass to another when the lease ends.
   */
  private alertSenders(
    backend: Backend<S>,
    webhookKey: Buffer,
    record: (r: readonly OutboxResult[]) => Promise<unknown>,
    metrics: GatewayMetrics,
    toClinician: (clinicianId: string, message: Record<string, unknown>) => Promise<ClinicianDelivery>,
  ): LaneSender[] {
    const { alerts } = this.config;
    const options = { batchSize: 256, pollIntervalMs: alerts.flushIntervalMs, backoff: { baseMs: alerts.retryBaseMs, maxMs: alerts.retryMaxMs }, ttlMs: alerts.deliveryTtlMs };
    const lanes = backend.laneSource(leaseMs(Math.max(alerts.mqttAckTimeoutMs, alerts.webhookTimeoutMs)));
    const log = this.log.child({ component: 'alerts' });
    // A clinician's client acknowledges in the order it received [MQTT-4.6.0-2]: several in flight keep the order.
    const mqtt = new LaneSender({ ...options, sink: ALERT_MQTT_SINK, window: 64 }, lanes, mqttAlertDeliver(toClinician, alerts.mqttAckTimeoutMs), record, this.clock, Math.random, metrics, log);
    const deliver = webhookAlertDeliver(webhookKey, alerts.webhookTimeoutMs, () => this.clock.now());
    this.closers.push(() => deliver.close());
    const webhook = new LaneSender({ ...options, sink: ALERT_WEBHOOK_SINK }, lanes, deliver, record, this.clock, Math.random, metrics, log);
    return [mqtt, webhook];
  }

  stop(): Promise<void> {
    return this.closers.stop(this.log);
  }
}
