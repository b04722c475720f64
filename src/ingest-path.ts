import type { LoadedConfig } from './config/index.js';
import type { Clock } from './domain/index.js';
import { BrokerWorker, brokerWorkerOptions, deviceDirectory } from './ingest/broker-worker/index.js';
import { channelRouter, promised } from './ingest/channel-router.js';
import type { GatewayMetrics, Logger } from './observability/index.js';
import { CommitQueue, FloodGuard, Ingestor, RateLimiter, type IngestExtras, type ReadingLookup, type ReadingWriter } from './pipeline/index.js';
import type { ProfileCatalog } from './profiles/index.js';
import type { OutboxResult } from './store/reading-store.js';

/** The ingest path every gateway runs, on either store: group commit, flood guard, rate limiter, ingestor. */
export interface IngestPath {
  readonly queue: CommitQueue;
  readonly flood: FloodGuard;
  readonly ingestor: Ingestor;
  /** Records outputs' delivery results through the group commit. */
  readonly record: (outboxResults: readonly OutboxResult[]) => Promise<unknown>;
}

/** The ingest path from `ingest.*` and `mqtt.maxPayloadBytes`, committing through `writer`. */
export function ingestPath(config: LoadedConfig, clock: Clock, writer: ReadingWriter, lookup: ReadingLookup, metrics: GatewayMetrics, extras: IngestExtras): IngestPath {
  const queue = new CommitQueue(writer, config.ingest.maxRowsPerCommit, metrics);
  const flood = new FloodGuard(clock, config.ingest.floodDisconnectAfter, 60_000, config.ingest.floodBanMs);
  const limiter = new RateLimiter(clock, 1000 / config.ingest.backlogPerSecond);
  const limits = { maxPayloadBytes: config.mqtt.maxPayloadBytes, ...config.ingest };
  const ingestor = new Ingestor(queue, limiter, flood, clock, metrics, limits, lookup, extras);
  return { queue, flood, ingestor, record: (outboxResults) => queue.submit({ readings: [], deadLetters: [], health: [], outboxResults }) };
}

/**
 * The worker that takes devices' messages from the external broker at `url` into the ingest path:
 * each device looked up in the registry (`lookup`), refused when unknown or revoked.
 */
export function externalBrokerWorker(
  config: LoadedConfig,
  url: string,
  parts: {
    readonly lookup: Parameters<typeof deviceDirectory>[0];
    readonly profiles: ProfileCatalog;
    readonly clock: Clock;
    readonly ingestor: Ingestor;
    readonly metrics: GatewayMetrics;
    readonly log: Logger;
  },
): BrokerWorker {
  const { lookup, profiles, clock, ingestor, metrics, log } = parts;
  return new BrokerWorker(
    brokerWorkerOptions(config, url),
    {
      device: deviceDirectory(lookup, profiles, clock, config.mqtt.revocationCheckMs),
      ingest: promised(channelRouter(ingestor)),
      refuse: (deviceId, topic, payload, why) => ingestor.refuse(deviceId, topic, payload, why),
    },
    metrics,
    log.child({ component: 'broker' }),
  );
}
