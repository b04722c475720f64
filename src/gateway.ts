import type { LoadedConfig } from './config/index.js';
import { Authenticator } from './devices/index.js';
import { systemClock, type Clock } from './domain/index.js';
import { HttpServer } from './http/index.js';
import { Channel, MqttBroker } from './ingest/mqtt/index.js';
import { GatewayMetrics, type Logger } from './observability/index.js';
import { CommitQueue, Ingestor, RateLimiter, type DeviceContext } from './pipeline/index.js';
import { loadProfiles, type ProfileCatalog } from './profiles/index.js';
import { SqliteStore } from './store/sqlite/index.js';

export interface GatewayParts {
  readonly store: SqliteStore;
  readonly profiles: ProfileCatalog;
  readonly metrics: GatewayMetrics;
  readonly mqttPort: number;
  /** Port of `/metrics` and `/healthz`; undefined when `http.enabled` is false. */
  readonly httpPort: number | undefined;
}

/**
 * Wires the parts — profiles, store, pipeline, broker — and owns their lifecycle. `start()` opens
 * files and sockets; `stop()` closes them in reverse order and is safe to call at any time.
 */
export class Gateway {
  private parts: (GatewayParts & { broker: MqttBroker; queue: CommitQueue; http: HttpServer | undefined }) | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly config: LoadedConfig,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  async start(): Promise<GatewayParts> {
    const { config, log, clock } = this;
    const profiles = loadProfiles(config.profilesDir);
    const store = new SqliteStore(config.dbFile);
    let broker: MqttBroker | undefined;
    let http: HttpServer | undefined;
    try {
      const metrics = new GatewayMetrics();
      const queue = new CommitQueue(store.readings, config.ingest.maxRowsPerCommit, metrics);
      const ingestor = new Ingestor(queue, new RateLimiter(clock), clock, metrics, {
        maxPayloadBytes: config.mqtt.maxPayloadBytes,
        ...config.ingest,
      });
      const authenticator = new Authenticator(store.devices, profiles);
      const route = (device: DeviceContext, channel: string, topic: string, payload: Buffer) => {
        switch (channel) {
          case Channel.Readings:
            return ingestor.readings(device, topic, payload);
          case Channel.Status:
            return ingestor.status(device, topic, payload);
          default:
            return ingestor.unknownTopic(device, topic, payload);
        }
      };
      broker = new MqttBroker(
        config.mqtt,
        { authenticate: (id, secret) => authenticator.authenticate(id, secret), ingest: route },
        metrics,
        log.child({ component: 'mqtt' }),
      );
      const mqttPort = await broker.start();
      let httpPort: number | undefined;
      if (config.http.enabled) {
        http = new HttpServer(config.http, {
          metrics: () => metrics.render(),
          health: () => ({ ok: store.isOpen(), mqttPort, store: store.isOpen() ? 'open' : 'closed' }),
        });
        httpPort = await http.start();
      }
      this.parts = { store, profiles, metrics, mqttPort, httpPort, broker, queue, http };
      log.info({ mqttPort, httpPort, host: config.mqtt.host, tls: config.mqtt.tls !== undefined, profiles: profiles.size, db: config.dbFile }, 'gateway started');
      return this.parts;
    } catch (error) {
      await http?.stop();
      await broker?.stop();
      store.close();
      throw error;
    }
  }

  /** Stop accepting, finish in-flight writes, close: HTTP, broker, pipeline, store. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const parts = this.parts;
      if (parts === undefined) return;
      await parts.http?.stop();
      await parts.broker.stop();
      parts.queue.close();
      parts.store.close();
      this.log.info('gateway stopped');
    })();
    return this.stopping;
  }
}
