import { gatewayVersion, type LoadedConfig } from './config/index.js';
import { Authenticator, DeviceRegistry, LoginThrottle, RevocationWatch } from './devices/index.js';
import { refreshed, systemClock, type Clock } from './domain/index.js';
import { HttpServer } from './http/index.js';
import { startBleBridge, type BleBridge } from './ingest/ble/index.js';
import { BrokerAccess, MqttBroker } from './ingest/mqtt/index.js';
import { brokerAddress, type BrokerWorker } from './ingest/broker-worker/index.js';
import { channelRouter } from './ingest/channel-router.js';
import { ClinicianRegistry } from './clinicians/index.js';
import { ALERT_MQTT_SINK, ALERT_WEBHOOK_SINK, AlertEngine, News2Watch, recipientsOf, mqttAlertDeliver, webhookAlertDeliver, type ClinicianDelivery } from './outputs/alerts/index.js';
import { GatewayMetrics, healthReport, type Logger } from './observability/index.js';
import type { CommitQueue, ReadingWriter } from './pipeline/index.js';
import { INFLUX_SINK, influxSender } from './outputs/influx/index.js';
import { alertsInCareRecord, Derivations, FHIR_SINK, fhirOutputSender } from './outputs/fhir/index.js';
import { LaneSender } from './outputs/outbox/index.js';
import { fhirServiceId, outputPlanner } from './outputs/planner.js';
import { loadSecretKey } from './outputs/secret-key.js';
import { loadProfiles, type ProfileCatalog } from './profiles/index.js';
import type { OutboxResult } from './store/reading-store.js';
import { SqliteStore, SqliteWriterThread } from './store/sqlite/index.js';
import { LiveFeed, MemorySessionStore, type WebServer } from './web/index.js';
import { webApp } from './web-app.js';
import { Closers } from './lifecycle.js';
import { externalBrokerWorker, ingestPath } from './ingest-path.js';

export interface GatewayParts {
  readonly store: SqliteStore;
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
 * Wires the parts — profiles, store, pipeline, broker, HTTP — and owns their lifecycle. `start()`
 * opens files and sockets, registering how to close each; `stop()` (and a failed start) closes
 * them in reverse order: HTTP, revocation watch, broker (finishing in-flight writes), pipeline,
 * writer thread, store. `stop()` is safe to call at any time and more than once.
 */
export class Gateway {

  /** The web app and its API over the store, writing through the group commit; live updates from each commit. */
  private webApp(store: SqliteStore, queue: CommitQueue, profiles: ProfileCatalog, accounts: ClinicianRegistry, health: () => { status: string }, connected: (deviceId: string) => boolean | null): WebServer {
    const { config, clock, log } = this;
    const live = new LiveFeed();
    this.closers.push(queue.onCommitted((batch) => live.committed(batch)));
    return webApp({
      config,
      store,
      sessions: new MemorySessionStore(),
      live,
      commit: (work) => queue.submit(work),
      clock,
      log,
      profiles,
      accounts,
      devices: new DeviceRegistry(store.devices, profiles, clock, store.brokerCredentials),
      recipients: recipientsOf((nhs) => store.clinicians.cliniciansOf(nhs), (c) => store.clinicians.get(c), config.alerts.escalation.contacts),
      correctionOutbox: outputPlanner(config),
      health,
      connected,
    });
  }

  private readonly closers = new Closers();

  constructor(
    private readonly config: LoadedConfig,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  /** `retireWorker`: a worker on an external broker is left unstarted, for `worker.retire()`. */
  async start(options: { retireWorker?: boolean } = {}): Promise<GatewayParts> {
    const { config, log, clock } = this;
    const profiles = loadProfiles(config.profilesDir);
    try {
      const store = new SqliteStore(config.dbFile);
      this.closers.push(() => store.close());
      // Both keys checked (or made) before anything listens: a short or unreadable one stops start-up here.
      loadSecretKey(config.pseudonymKeyFile);
      loadSecretKey(config.webhookKeyFile);
      const metrics = new GatewayMetrics();
      let writer: ReadingWriter = store.readings;
      if (config.store.writerThread) {
        const thread = new SqliteWriterThread(config.dbFile);
        this.closers.push(() => thread.stop());
        writer = thread;
      }
      const { queue, flood, ingestor, record } = ingestPath(config, clock, writer, store.readings, metrics, {
        outputs: outputPlanner(config),
        payloadHashes: config.fhir.url !== undefined,
        paced: config.broker.url === undefined,
      });
      this.closers.push(() => queue.close());
      const influxUrl = config.influx.url;
      let broker: MqttBroker | undefined;
      let worker: BrokerWorker | undefined;
      const ackTimeoutMs = config.alerts.mqttAckTimeoutMs;
      // Until the broker runs, every clinician is away: their deliveries wait for them.
      const { alerts, alertSenders } = this.alerts(store, queue, profiles, record, metrics, (id, message) =>
        worker !== undefined ? worker.deliverToClinician(id, message, ackTimeoutMs) : broker === undefined ? Promise.resolve('away' as const) : broker.deliverToClinician(id, message, ackTimeoutMs),
      );
      // The alert rules plan their changes into the commit of the rows that cause them.
      if (config.alerts.enabled) queue.usePlanner(alerts);
      if (influxUrl !== undefined) {
        const { sender, sink } = influxSender({ ...config.influx, url: influxUrl }, store.outbox, record, clock, metrics, log.child({ component: 'influx' }));
        this.closers.push(() => sink.close());
        this.closers.push(() => sender.stop());
        sender.start();
        metrics.watchOutbox(INFLUX_SINK, () => store.outbox.stats(INFLUX_SINK), () => clock.now());
      }
      const derivations = new Derivations(
        { gatewayId: fhirServiceId(config), gatewayVersion: gatewayVersion(), timeZone: config.fhir.timeZone, graceMs: config.fhir.deriveGraceMs, intervalMs: config.fhir.deriveIntervalMs, send: config.fhir.url !== undefined },
        store.derived,
        (id) => store.devices.get(id),
        profiles,
        (batch) => queue.submit(batch),
        clock,
        log.child({ component: 'derive' }),
      );
      if (config.alerts.enabled) derivations.onHomeBpAverage((nhs, average) => alerts.homeBpAverage(nhs, average));
      if (derivations.needed) {
        this.closers.push(() => derivations.stop());
        derivations.start();
      }
      if (config.fhir.url !== undefined) {
        const sender = fhirOutputSender({ ...config.fhir, url: config.fhir.url }, store.outbox, record, clock, metrics, log.child({ component: 'fhir' }));
        this.closers.push(() => sender.stop());
        sender.start();
        metrics.watchOutbox(FHIR_SINK, () => store.outbox.stats(FHIR_SINK), () => clock.now());
      }
      const authenticator = new Authenticator(store.devices, profiles, new LoginThrottle(clock));
      const clinicians = new ClinicianRegistry(store.clinicians, clock, undefined, store.brokerCredentials);

      const ports = {
        authenticate: authenticator.authenticate.bind(authenticator),
        ingest: channelRouter(ingestor),
        banned: (deviceId: string) => flood.banned(deviceId),
        authenticateClinician: (id: string, secret: Buffer | undefined) => clinicians.authenticate(id, secret),
      };
      let mqttPort: number | undefined;
      if (config.broker.url === undefined) {
        const mqtt = new MqttBroker(config.mqtt, ports, metrics, log.child({ component: 'mqtt' }), (clinicianId) => alertSenders[0]?.wake(clinicianId));
        broker = mqtt;
        this.closers.push(() => mqtt.stop());
        mqttPort = await mqtt.start();
        for (const watch of [
          new RevocationWatch((since) => store.devices.revokedSince(since), (id) => mqtt.disconnect(id), clock, config.mqtt.revocationCheckMs),
          new RevocationWatch((since) => store.clinicians.revokedSince(since), (id) => mqtt.disconnectClinician(id), clock, config.mqtt.revocationCheckMs),
        ]) {
          this.closers.push(() => watch.stop());
          watch.start();
        }
      } else {
        const external = externalBrokerWorker(config, config.broker.url, { lookup: (id) => store.devices.get(id), profiles, clock, ingestor, metrics, log });
        worker = external;
        this.closers.push(() => external.stop());
        // Not awaited: the gateway starts before (or without) its broker, and each connection retries.
        if (options.retireWorker !== true) void external.start();
      }

      for (const sender of alertSenders) {
        this.closers.push(() => sender.stop());
        sender.start();
      }
      metrics.watchOutbox('alert_webhook', () => store.outbox.stats(ALERT_WEBHOOK_SINK), () => clock.now());
      metrics.watchOutbox('alert_mqtt', () => store.outbox.stats(ALERT_MQTT_SINK), () => clock.now());

      const ble = startBleBridge(config.ble, { devices: store.devices, profiles, ingestor }, clock, log.child({ component: 'ble' }));
      this.closers.push(() => ble.stop());
      metrics.watchBle(() => ble.current?.status(), () => clock.now());

      const joined = worker;
      const health = () =>
        healthReport({
          storeOpen: () => store.isOpen(),
          committing: () => queue.healthy(),
          alertOutboxes: () => [ALERT_MQTT_SINK, ALERT_WEBHOOK_SINK].map((sink) => store.outbox.stats(sink)),
          pausedOutputs: () => metrics.pausedOutputs(),
          mqttPort,
          broker: joined === undefined ? undefined : () => joined.status(),
          ble: () => ({ state: ble.state, status: ble.current?.status() }),
          now: () => clock.now(),
        });
      let httpPort: number | undefined;
      if (config.http.enabled) {
        const brokerAccess = config.http.brokerAuth
          ? new BrokerAccess({
              authenticateDevice: (id, secret) => authenticator.authenticate(id, secret),
              authenticateClinician: (id, secret) => clinicians.authenticate(id, secret),
              deviceKnown: (id) => store.devices.get(id) !== undefined,
              clinicianKnown: (id) => store.clinicians.get(id) !== undefined,
              deviceActive: (id) => store.devices.get(id)?.status === 'active',
              clinicianActive: (id) => store.clinicians.get(id)?.status === 'active',
            })
          : undefined;
        const http = new HttpServer(config.http, { metrics: () => metrics.render(), health, ...(brokerAccess === undefined ? {} : { brokerAccess }) });
        this.closers.push(() => http.stop());
        httpPort = await http.start();
      }
      let webPort: number | undefined;
      if (config.web.enabled) {
        const web = this.webApp(store, queue, profiles, clinicians, health, (id) => (broker === undefined ? null : broker.isConnected(id)));
        this.closers.push(() => web.stop());
        webPort = await web.start();
      }
      log.info({ mqttPort, broker: worker === undefined || config.broker.url === undefined ? undefined : brokerAddress(config.broker.url), httpPort, webPort, host: config.mqtt.host, tls: config.mqtt.tls !== undefined, profiles: profiles.size, db: config.dbFile }, 'gateway started');
      return { store, profiles, metrics, derivations, alerts, ble: ble.ready, mqttPort, worker, httpPort, webPort };
    } catch (error) {
      await this.closers.closeAll();
      throw error;
    }
  }

  /**
   * The alert rules engine — thresholds, per-patient overrides, escalation, live NEWS2, silent
   * devices — and the senders of its deliveries (started once the broker is).
   */
  private alerts(
    store: SqliteStore,
    queue: CommitQueue,
    profiles: ProfileCatalog,
    record: (r: readonly OutboxResult[]) => Promise<unknown>,
    metrics: GatewayMetrics,
    toClinician: (clinicianId: string, message: Record<string, unknown>) => Promise<ClinicianDelivery>,
  ): { alerts: AlertEngine; alertSenders: LaneSender[] } {
    const { config, clock } = this;
    const alertSenders = this.alertSenders(store, record, metrics, toClinician);
    const recipients = recipientsOf((nhs) => store.clinicians.cliniciansOf(nhs), (id) => store.clinicians.get(id), config.alerts.escalation.contacts);
    const alerts = new AlertEngine({
      store: {
        unresolved: () => store.alerts.unresolved(),
        breaches: () => store.alerts.breaches(),
        recipientsOf: recipients,
        existing: (keys) => store.readings.existingKeys(keys),
      },
      requestCommit: () => queue.submit({ readings: [], deadLetters: [], health: [] }),
      committed: () => alertSenders.forEach((s) => void s.tick()),
      clock,
      metrics,
      log: this.log.child({ component: 'alerts' }),
    });
    if (config.fhir.url !== undefined) alerts.useCareRecord(alertsInCareRecord(fhirServiceId(config)));
    alerts.useOverrides(() => store.patients.overrides());
    alerts.useEscalation({ afterMs: config.alerts.escalation.afterMinutes * 60_000, contacts: config.alerts.escalation.contacts }, (id) => store.alerts.get(id));
    alerts.useNews2(new News2Watch(config.alerts.news2WindowMinutes * 60_000, (nhs, metric, since) => store.readings.latest(nhs, metric, since), spo2Scales(store, clock)));
    alerts.useCorrections(store.readings.latestCorrectionId(), (id) => store.readings.correctionsSince(id));
    this.closers.push(() => alerts.stop());
    if (config.alerts.enabled) void alerts.start(); // its own store: taken in before it returns
    const activity = () =>
      store.devices.activity().flatMap((d) => {
        const profile = profiles.get(d.profileId);
        return profile === undefined ? [] : [{ ...d, profile }];
      });
    if (config.alerts.enabled) alerts.watchSilence(activity, config.alerts.silenceCheckMs);
    return { alerts, alertSenders };
  }

  /**
   * The senders of alert deliveries, one lane per recipient: clinicians' own MQTT clients (done on
   * their PUBACK; waiting while they are away) and webhooks. The MQTT sender comes first.
   */
  private alertSenders(
    store: SqliteStore,
    record: (r: readonly OutboxResult[]) => Promise<unknown>,
    metrics: GatewayMetrics,
    toClinician: (clinicianId: string, message: Record<string, unknown>) => Promise<ClinicianDelivery>,
  ): LaneSender[] {
    const { alerts } = this.config;
    const options = { batchSize: 256, pollIntervalMs: alerts.flushIntervalMs, backoff: { baseMs: alerts.retryBaseMs, maxMs: alerts.retryMaxMs }, ttlMs: alerts.deliveryTtlMs };
    const log = this.log.child({ component: 'alerts' });
    // A clinician's client acknowledges in the order it received [MQTT-4.6.0-2]: several in flight keep the order.
    const mqtt = new LaneSender({ ...options, sink: ALERT_MQTT_SINK, window: 64 }, store.outbox, mqttAlertDeliver(toClinician, alerts.mqttAckTimeoutMs), record, this.clock, Math.random, metrics, log);
    const deliver = webhookAlertDeliver(loadSecretKey(this.config.webhookKeyFile), alerts.webhookTimeoutMs, () => this.clock.now());
    const webhook = new LaneSender({ ...options, sink: ALERT_WEBHOOK_SINK }, store.outbox, deliver, record, this.clock, Math.random, metrics, log);
    return [mqtt, webhook];
  }

  stop(): Promise<void> {
    return this.closers.stop(this.log);
  }
}

/** Each patient's NEWS2 SpO2 scale, re-read every few seconds (clinicians set it from the command line). */
function spo2Scales(store: SqliteStore, clock: Clock): (patientNhs: string) => 1 | 2 {
  const scales = refreshed(() => new Map(store.patients.allSettings().map((s) => [s.patientNhs, s.spo2Scale])), clock, 5_000);
  return (nhs) => scales().get(nhs) ?? 1;
}
