import { gatewayVersion, notYetOnPostgres, type LoadedConfig } from './config/index.js';
import { Authenticator, DeviceRegistry, LoginThrottle } from './devices/index.js';
import { ClinicianRegistry } from './clinicians/index.js';
import { GatewayError, systemClock, type Clock } from './domain/index.js';
import { ALERT_MQTT_SINK, ALERT_WEBHOOK_SINK, AlertEngine, mqttAlertDeliver, News2Watch, recipientsOf, webhookAlertDeliver, type ClinicianDelivery, type Recipient } from './outputs/alerts/index.js';
import { LaneSender } from './outputs/outbox/index.js';
import { loadSecretKey } from './outputs/secret-key.js';
import { HttpServer } from './http/index.js';
import { brokerAddress, type BrokerWorker } from './ingest/broker-worker/index.js';
import { BrokerAccess } from './ingest/mqtt/index.js';
import { GatewayMetrics, healthReport, type Logger } from './observability/index.js';
import type { CommitQueue } from './pipeline/index.js';
import { loadProfiles, type ProfileCatalog } from './profiles/index.js';
import { INFLUX_SINK, influxSender } from './outputs/influx/index.js';
import { alertsInCareRecord, DERIVATION_NAME, Derivations, FHIR_SINK, fhirOutputSender } from './outputs/fhir/index.js';
import { fhirServiceId, outputPlanner } from './outputs/planner.js';
import type { OutboxStats } from './store/outbox-store.js';
import type { AlertChange, OutboxResult } from './store/reading-store.js';
import { PgStore } from './store/postgres/index.js';
import { Closers, polled } from './lifecycle.js';
import { LiveFeed, liveEvents, livePayloads, parseLivePayload } from './web/index.js';
import { webApp } from './web-app.js';
import { externalBrokerWorker, ingestPath, type IngestPath } from './ingest-path.js';

/** How often outbox sizes are read for `/metrics` and `/healthz`. */
const STATS_POLL_MS = 5_000;
/** How often clinicians' per-patient settings are read (the embedded gateway's cache lasts as long). */
const SETTINGS_POLL_MS = 5_000;

export interface PostgresWorkerParts {
  readonly store: PgStore;
  readonly metrics: GatewayMetrics;
  readonly worker: BrokerWorker;
  /** No embedded broker: always undefined. */
  readonly mqttPort: undefined;
  readonly httpPort: number | undefined;
  /** Port of the web app and its API; undefined when `web.enabled` is false. */
  readonly webPort: number | undefined;
}

/**
 * A gateway worker on PostgreSQL (`store.postgres.url`) and an external broker (`broker.url`):
 * several of them, on several machines, share one broker group and one database. Each takes its
 * share of the devices' messages through the same pipeline and group commit as the embedded
 * gateway, each commit one PostgreSQL transaction (a reading stored once whichever worker takes it,
 * by its unique key), each PUBACK after it. `/metrics` and `/healthz` as on any gateway. Lifecycle
 * as {@link Gateway}: `stop()` closes in reverse order (HTTP, broker connections, pipeline, pool).
 */
export class PostgresWorker {
  private readonly closers = new Closers();

  constructor(
    private readonly config: LoadedConfig,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  /** `retireWorker`: the broker connections are left unstarted, for `worker.retire()`. */
  async start(options: { retireWorker?: boolean } = {}): Promise<PostgresWorkerParts> {
    const { config, log, clock } = this;
    const postgres = config.store.postgres;
    const url = config.broker.url;
    const unsupported = notYetOnPostgres(config);
    if (postgres === undefined || url === undefined || unsupported.length > 0) throw new GatewayError('GW_CONFIG_INVALID', `invalid configuration:\n  ${unsupported.join('\n  ')}`);
    const profiles = loadProfiles(config.profilesDir);
    try {
      const store = await PgStore.open(postgres.url, { poolSize: postgres.poolSize });
      let storeOpen = true;
      this.closers.push(() => {
        storeOpen = false;
        return store.close();
      });
      const metrics = new GatewayMetrics();
      // The pseudonym key must be the same on every worker: it is read, never made here.
      const { queue, ingestor, record } = ingestPath(config, clock, store.readings, store.readings, metrics, {
        paced: false,
        outputs: outputPlanner(config, { create: false }),
        payloadHashes: config.fhir.url !== undefined,
      });
      this.closers.push(() => queue.close());
      const live = config.web.enabled ? this.liveFeed(store) : undefined;
      // Each worker sends the entries it claims; a dead worker's claims pass to another when their
      // lease ends, and so do this worker's when their results could not be recorded. Entries in
      // flight stay claimed, so no cursor is needed.
      const claimed = (leaseMs: number) => ({ pending: (sink: string, _afterId: number, limit: number) => store.outbox.claim(sink, config.gatewayId, limit, clock.now(), leaseMs) });
      const influxUrl = config.influx.url;
      if (influxUrl !== undefined) {
        const { sender, sink } = influxSender({ ...config.influx, url: influxUrl }, claimed(Math.max(60_000, 3 * config.influx.timeoutMs)), record, clock, metrics, log.child({ component: 'influx' }));
        this.closers.push(() => sink.close());
        this.closers.push(() => sender.stop());
        sender.start();
        // The queue's size for `/metrics`, read from the shared outbox every few seconds.
        metrics.watchOutbox(INFLUX_SINK, await polled(() => store.outbox.stats(INFLUX_SINK), STATS_POLL_MS, this.closers), () => clock.now());
      }
      const fhirUrl = config.fhir.url;
      if (fhirUrl !== undefined) {
        const fhirLog = log.child({ component: 'fhir' });
        const sender = fhirOutputSender({ ...config.fhir, url: fhirUrl }, claimed(Math.max(60_000, 3 * config.fhir.timeoutMs)), record, clock, metrics, fhirLog);
        this.closers.push(() => sender.stop());
        sender.start();
        metrics.watchOutbox(FHIR_SINK, await polled(() => store.outbox.stats(FHIR_SINK), STATS_POLL_MS, this.closers), () => clock.now());
      }
      // Until the broker connections are up, deliveries are retried with back-off.
      let toClinician = (_id: string, _message: Record<string, unknown>): Promise<ClinicianDelivery> => Promise.resolve('broker-unavailable');
      const alerts = config.alerts.enabled ? await this.alerts(store, { queue, record }, profiles, metrics, (id, message) => toClinician(id, message)) : undefined;
      const alertOutboxes = alerts?.stats ?? (() => []);
      this.derivations(store, queue, profiles, alerts?.engine);
      const worker = externalBrokerWorker(config, url, { lookup: (id) => store.devices.get(id), profiles, clock, ingestor, metrics, log });
      this.closers.push(() => worker.stop());
      toClinician = (id, message) => worker.deliverToClinician(id, message, config.alerts.mqttAckTimeoutMs);
      // Not awaited: the worker starts before (or without) its broker, and each connection retries.
      if (options.retireWorker !== true) void worker.start();

      const health = () =>
        healthReport({
          storeOpen: () => storeOpen,
          committing: () => queue.healthy(),
          alertOutboxes,
          pausedOutputs: () => metrics.pausedOutputs(),
          mqttPort: undefined,
          broker: () => worker.status(),
          ble: () => ({ state: 'disabled', status: undefined }),
          now: () => clock.now(),
        });
      let httpPort: number | undefined;
      if (config.http.enabled) {
        const http = new HttpServer(config.http, { metrics: () => metrics.render(), health, ...(config.http.brokerAuth ? { brokerAccess: this.brokerAccess(store, profiles) } : {}) });
        this.closers.push(() => http.stop());
        httpPort = await http.start();
      }
      let webPort: number | undefined;
      if (live !== undefined) {
        const web = webApp({
          config,
          store,
          sessions: store.sessions,
          live,
          commit: (work) => queue.submit(work),
          clock,
          log,
          profiles,
          accounts: new ClinicianRegistry(store.clinicians, clock, new LoginThrottle(clock), store.brokerCredentials),
          devices: new DeviceRegistry(store.devices, profiles, clock, store.brokerCredentials),
          recipients: sharedRecipients(store, config.alerts.escalation.contacts),
          correctionOutbox: outputPlanner(config, { create: false }),
          health,
          connected: () => null, // which devices are connected is the external broker's to say
        });
        this.closers.push(() => web.stop());
        webPort = await web.start();
      }
      log.info({ broker: brokerAddress(url), store: 'postgres', httpPort, webPort, profiles: profiles.size }, 'gateway started');
      return { store, metrics, worker, mqttPort: undefined, httpPort, webPort };
    } catch (error) {
      await this.closers.closeAll();
      throw error;
    }
  }

  /**
   * The alert rules on the shared database, planned into each commit like the embedded gateway's
   * (see {@link AlertEngine.startShared}: each plan reads what other workers may have changed), and
   * the senders of their deliveries, each recipient's lane held by one worker at a time. Returns
   * the alert outboxes' sizes for `/healthz`.
   */
  private async alerts(
    store: PgStore,
    { queue, record }: Pick<IngestPath, 'queue' | 'record'>,
    profiles: ProfileCatalog,
    metrics: GatewayMetrics,
    toClinician: (clinicianId: string, message: Record<string, unknown>) => Promise<ClinicianDelivery>,
  ): Promise<{ stats: () => OutboxStats[]; engine: AlertEngine }> {
    const { config, clock, closers } = this;
    const log = this.log.child({ component: 'alerts' });
    const senders = this.alertSenders(store, record, metrics, toClinician, log);
    const engine = await sharedAlertEngine({ config, store, queue, profiles, clock, metrics, log, closers, committed: () => senders.forEach((s) => void s.tick()) });
    for (const sender of senders) {
      closers.push(() => sender.stop());
      sender.start();
    }
    const stats = await Promise.all(
      [ALERT_MQTT_SINK, ALERT_WEBHOOK_SINK].map(async (sink) => {
        const s = await polled(() => store.outbox.stats(sink), STATS_POLL_MS, closers);
        metrics.watchOutbox(sink === ALERT_MQTT_SINK ? 'alert_mqtt' : 'alert_webhook', s, () => clock.now());
        return s;
      }),
    );
    return { stats: () => stats.map((s) => s()), engine };
  }

  /**
   * The senders of alert deliveries on the shared outbox: each drain holds the lanes (recipients)
   * it sends, for a lease longer than any one send, so a lane's deliveries go in order, each by one
   * worker; a dead worker's lanes pass to another when their lease ends.
   */
  private alertSenders(
    store: PgStore,
    record: (r: readonly OutboxResult[]) => Promise<unknown>,
    metrics: GatewayMetrics,
    toClinician: (clinicianId: string, message: Record<string, unknown>) => Promise<ClinicianDelivery>,
    log: Logger,
  ): LaneSender[] {
    const { config, clock } = this;
    const { alerts } = config;
    const options = { batchSize: 256, pollIntervalMs: alerts.flushIntervalMs, backoff: { baseMs: alerts.retryBaseMs, maxMs: alerts.retryMaxMs }, ttlMs: alerts.deliveryTtlMs };
    const leaseMs = Math.max(60_000, 3 * Math.max(alerts.mqttAckTimeoutMs, alerts.webhookTimeoutMs));
    const lanes = { lanes: (sink: string, skip: readonly string[], limit: number) => store.outbox.claimLanes(sink, config.gatewayId, skip, limit, clock.now(), leaseMs) };
    const mqtt = new LaneSender({ ...options, sink: ALERT_MQTT_SINK, window: 64 }, lanes, mqttAlertDeliver(toClinician, alerts.mqttAckTimeoutMs), record, clock, Math.random, metrics, log);
    // Every worker signs with the same webhook key: read, never made here.
    const deliver = webhookAlertDeliver(loadSecretKey(config.webhookKeyFile, { create: false }), alerts.webhookTimeoutMs, () => clock.now());
    const webhook = new LaneSender({ ...options, sink: ALERT_WEBHOOK_SINK }, lanes, deliver, record, clock, Math.random, metrics, log);
    return [mqtt, webhook];
  }

  /**
   * Window summaries and home BP averages (and from them the home BP alerts), derived from what
   * every worker stored by one worker at a time: each tick, the worker holding the derivation's lease
   * (renewed by each of its ticks; another's once it lapses) reads what was committed since its
   * watermark, in commit order (see {@link PgDerived}), and commits the results with the new
   * watermark through its group commit.
   */
  private derivations(store: PgStore, queue: CommitQueue, profiles: ProfileCatalog, alerts: AlertEngine | undefined): void {
    const { config, clock } = this;
    const leaseMs = Math.max(60_000, 3 * config.fhir.deriveIntervalMs);
    const derivations = new Derivations(
      {
        gatewayId: fhirServiceId(config),
        gatewayVersion: gatewayVersion(),
        timeZone: config.fhir.timeZone,
        graceMs: config.fhir.deriveGraceMs,
        intervalMs: config.fhir.deriveIntervalMs,
        send: config.fhir.url !== undefined,
        turn: () => store.derived.claim(DERIVATION_NAME, config.gatewayId, clock.now(), leaseMs),
      },
      store.derived,
      (id) => store.devices.get(id),
      profiles,
      (batch) => queue.submit(batch),
      clock,
      this.log.child({ component: 'derive' }),
    );
    if (alerts !== undefined) derivations.onHomeBpAverage((nhs, average) => alerts.homeBpAverage(nhs, average));
    if (!derivations.needed) return;
    this.closers.push(() => derivations.stop());
    derivations.start();
  }

  /**
   * Live updates for the web app from every worker's commits: each commit announces its events
   * (PostgreSQL `NOTIFY`, sent only if it commits) and each worker listens, telling its own browsers.
   */
  private liveFeed(store: PgStore): LiveFeed {
    const live = new LiveFeed();
    const log = this.log.child({ component: 'web' });
    store.readings.announce(LIVE_CHANNEL, (batch) => livePayloads(liveEvents(batch)));
    let lost = false;
    const stop = store.listen(
      LIVE_CHANNEL,
      (payload) => live.publish(parseLivePayload(payload)),
      (up, error) => {
        if (!up) log.warn({ err: error?.message }, 'live updates from other workers lost: connecting again (browsers miss what is committed meanwhile)');
        else if (lost) log.info('live updates from other workers back');
        lost = !up;
      },
    );
    this.closers.push(stop);
    return live;
  }

  /** EMQX's HTTP authentication and authorisation from the devices and accounts in PostgreSQL. */
  private brokerAccess(store: PgStore, profiles: ProfileCatalog): BrokerAccess {
    const authenticator = new Authenticator(store.devices, profiles, new LoginThrottle(this.clock));
    const clinicians = new ClinicianRegistry(store.clinicians, this.clock);
    const device = (id: string) => store.devices.get(id);
    const account = (id: string) => store.clinicians.get(id);
    return new BrokerAccess({
      authenticateDevice: (id, secret) => authenticator.authenticate(id, secret),
      authenticateClinician: (id, secret) => clinicians.authenticate(id, secret),
      deviceKnown: async (id) => (await device(id)) !== undefined,
      clinicianKnown: async (id) => (await account(id)) !== undefined,
      deviceActive: async (id) => (await device(id))?.status === 'active',
      clinicianActive: async (id) => (await account(id))?.status === 'active',
    });
  }

  stop(): Promise<void> {
    return this.closers.stop(this.log);
  }
}

/** Who an alert change is delivered to, read from the shared database: the patient's clinicians, and the escalation contacts its level has reached. */
function sharedRecipients(store: PgStore, contacts: readonly string[]): (change: AlertChange) => Promise<Recipient[]> {
  return async (change) => {
    const reached = contacts.slice(0, change.alert.escalationLevel ?? 0);
    const [mine, escalated] = await Promise.all([store.clinicians.cliniciansOf(change.alert.patientNhs), Promise.all(reached.map((id) => store.clinicians.get(id)))]);
    return recipientsOf(() => mine, (id) => escalated.find((c) => c?.id === id), contacts)(change);
  };
}

/** The PostgreSQL notification channel of live updates. */
const LIVE_CHANNEL = 'vg_live';

/** What the alert rules need on the shared database. */
export interface SharedAlertParts {
  readonly config: LoadedConfig;
  readonly store: PgStore;
  /** The worker's group commit: the engine plans into it. */
  readonly queue: CommitQueue;
  readonly profiles: ProfileCatalog;
  readonly clock: Clock;
  readonly metrics: GatewayMetrics;
  readonly log: Logger;
  readonly closers: Closers;
  /** Told once alert changes (and their deliveries) are durable. */
  readonly committed: () => void;
}

/**
 * The alert rules of one worker on the shared database, planning into its commit queue: each plan
 * reads what other workers may have changed (see {@link AlertEngine.startShared}), and a conflict
 * with another worker plans the commit afresh.
 */
export async function sharedAlertEngine({ config, store, queue, profiles, clock, metrics, log, closers, committed }: SharedAlertParts): Promise<AlertEngine> {
  const { escalation } = config.alerts;
  const alerts = new AlertEngine({
    store: {
      shared: true,
      conditionsOf: (patients, options) => store.alerts.conditionsOf(patients, options),
      latestValues: (patients, metricNames, sinceMs) => store.readings.latestValues(patients, metricNames, sinceMs),
      existingKeys: (keys) => store.readings.existingKeys(keys),
      recipientsOf: sharedRecipients(store, escalation.contacts),
      activity: async () =>
        (await store.devices.activity()).flatMap((d) => {
          const profile = profiles.get(d.profileId);
          return profile === undefined ? [] : [{ ...d, profile }];
        }),
      correctionsSince: (afterId) => store.readings.correctionsSince(afterId),
      latestCorrectionId: () => store.readings.latestCorrectionId(),
    },
    requestCommit: () => queue.submit({ readings: [], deadLetters: [], health: [] }),
    committed,
    clock,
    metrics,
    log,
  });
  closers.push(() => alerts.stop());
  // With the FHIR output on: an alert names the Observation that raised it, and becomes a Flag in the care record.
  if (config.fhir.url !== undefined) alerts.useCareRecord(alertsInCareRecord(fhirServiceId(config)));
  // Clinicians set these from the command line: re-read every few seconds, as the embedded gateway does.
  const overrides = await polled(() => store.patients.overrides(), SETTINGS_POLL_MS, closers);
  const scales = await polled(async () => new Map((await store.patients.allSettings()).map((s) => [s.patientNhs, s.spo2Scale])), SETTINGS_POLL_MS, closers);
  alerts.useOverrides(overrides);
  // Each plan reads the alerts it may change: nothing to look up one by one.
  alerts.useEscalation({ afterMs: escalation.afterMinutes * 60_000, contacts: escalation.contacts }, () => undefined);
  // The NEWS2 inputs are read for each plan (take), never one metric at a time.
  alerts.useNews2(new News2Watch(config.alerts.news2WindowMinutes * 60_000, () => undefined, (nhs) => scales().get(nhs) ?? 1));
  await alerts.start();
  alerts.watchSilence(undefined, config.alerts.silenceCheckMs);
  queue.usePlanner(alerts);
  return alerts;
}
