import { notYetOnPostgres, type LoadedConfig } from './config/index.js';
import { AuthFailure, Authenticator, LoginThrottle } from './devices/index.js';
import { err, GatewayError, systemClock, type Clock } from './domain/index.js';
import { HttpServer } from './http/index.js';
import { BrokerWorker, brokerAddress, brokerWorkerOptions, deviceDirectory } from './ingest/broker-worker/index.js';
import { channelRouter } from './ingest/channel-router.js';
import { BrokerAccess } from './ingest/mqtt/index.js';
import { GatewayMetrics, healthReport, type Logger } from './observability/index.js';
import { CommitQueue, FloodGuard, Ingestor, RateLimiter } from './pipeline/index.js';
import { loadProfiles, type ProfileCatalog } from './profiles/index.js';
import { INFLUX_SINK, influxSender } from './outputs/influx/index.js';
import { outputPlanner } from './outputs/planner.js';
import type { OutboxStats } from './store/outbox-store.js';
import type { OutboxResult } from './store/reading-store.js';
import { PgStore } from './store/postgres/index.js';
import { Closers } from './lifecycle.js';

export interface PostgresWorkerParts {
  readonly store: PgStore;
  readonly metrics: GatewayMetrics;
  readonly worker: BrokerWorker;
  /** No embedded broker: always undefined. */
  readonly mqttPort: undefined;
  readonly httpPort: number | undefined;
  /** The web app does not run on PostgreSQL yet: always undefined. */
  readonly webPort: undefined;
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
      const queue = new CommitQueue(store.readings, config.ingest.maxRowsPerCommit, metrics);
      this.closers.push(() => queue.close());
      const flood = new FloodGuard(clock, config.ingest.floodDisconnectAfter, 60_000, config.ingest.floodBanMs);
      const limiter = new RateLimiter(clock, 1000 / config.ingest.backlogPerSecond);
      const limits = { maxPayloadBytes: config.mqtt.maxPayloadBytes, ...config.ingest };
      // The pseudonym key must be the same on every worker: it is read, never made here.
      const ingestor = new Ingestor(queue, limiter, flood, clock, metrics, limits, store.readings, { paced: false, outputs: outputPlanner(config, { create: false }) });
      const influxUrl = config.influx.url;
      if (influxUrl !== undefined) {
        const record = (outboxResults: readonly OutboxResult[]) => queue.submit({ rows: [], deadLetters: [], health: [], outboxResults });
        // Each worker sends the entries it claims; a dead worker's claims pass to another when their
        // lease ends, and so do this worker's when their results could not be recorded. Entries in
        // flight stay claimed, so no cursor is needed.
        const leaseMs = Math.max(60_000, 3 * config.influx.timeoutMs);
        const claimed = { pending: (sink: string, _afterId: number, limit: number) => store.outbox.claim(sink, config.gatewayId, limit, clock.now(), leaseMs) };
        const { sender, sink } = influxSender({ ...config.influx, url: influxUrl }, claimed, record, clock, metrics, log.child({ component: 'influx' }));
        this.closers.push(() => sink.close());
        this.closers.push(() => sender.stop());
        sender.start();
        // The queue's size for `/metrics`, read from the shared outbox every few seconds.
        let stats: OutboxStats = { pending: 0, dead: 0, oldestPendingAtMs: undefined };
        const refresh = setInterval(() => void store.outbox.stats(INFLUX_SINK).then((s) => (stats = s), () => {}), 5_000).unref();
        this.closers.push(() => clearInterval(refresh));
        metrics.watchOutbox(INFLUX_SINK, () => stats, () => clock.now());
      }
      const worker = new BrokerWorker(
        brokerWorkerOptions(config, url),
        {
          device: deviceDirectory((id) => store.devices.get(id), profiles, clock, config.mqtt.revocationCheckMs),
          ingest: channelRouter(ingestor),
          refuse: (deviceId, topic, payload, why) => ingestor.refuse(deviceId, topic, payload, why),
        },
        metrics,
        log.child({ component: 'broker' }),
      );
      this.closers.push(() => worker.stop());
      // Not awaited: the worker starts before (or without) its broker, and each connection retries.
      if (options.retireWorker !== true) void worker.start();

      let httpPort: number | undefined;
      if (config.http.enabled) {
        const health = () =>
          healthReport({
            storeOpen: () => storeOpen,
            committing: () => queue.healthy(),
            alertOutboxes: () => [],
            pausedOutputs: () => metrics.pausedOutputs(),
            mqttPort: undefined,
            broker: () => worker.status(),
            ble: () => ({ state: 'disabled', status: undefined }),
            now: () => clock.now(),
          });
        const http = new HttpServer(config.http, { metrics: () => metrics.render(), health, ...(config.http.brokerAuth ? { brokerAccess: this.brokerAccess(store, profiles) } : {}) });
        this.closers.push(() => http.stop());
        httpPort = await http.start();
      }
      log.info({ broker: brokerAddress(url), store: 'postgres', httpPort, profiles: profiles.size }, 'gateway started');
      return { store, metrics, worker, mqttPort: undefined, httpPort, webPort: undefined };
    } catch (error) {
      await this.closers.closeAll();
      throw error;
    }
  }

  /**
   * EMQX's HTTP authentication and authorisation from the devices in PostgreSQL. Clinicians' accounts
   * are not used on PostgreSQL yet (no alerts): their names are answered `ignore`, so the broker's
   * next source decides.
   */
  private brokerAccess(store: PgStore, profiles: ProfileCatalog): BrokerAccess {
    const authenticator = new Authenticator(store.devices, profiles, new LoginThrottle(this.clock));
    const device = (id: string) => store.devices.get(id);
    return new BrokerAccess({
      authenticateDevice: (id, secret) => authenticator.authenticate(id, secret),
      authenticateClinician: async () => err(AuthFailure.NotAuthorized),
      deviceKnown: async (id) => (await device(id)) !== undefined,
      clinicianKnown: () => false,
      deviceActive: async (id) => (await device(id))?.status === 'active',
      clinicianActive: () => false,
    });
  }

  stop(): Promise<void> {
    return this.closers.stop(this.log);
  }
}
