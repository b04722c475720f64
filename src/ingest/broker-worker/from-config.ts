import type { LoadedConfig } from '../../config/index.js';
import type { BrokerWorkerOptions } from './worker.js';

/** The worker's options from `broker.*` (its client ids from `gatewayId`). */
export function brokerWorkerOptions(config: LoadedConfig, url: string): BrokerWorkerOptions {
  const { username, password, group, connections, session, sessionExpirySeconds, keepaliveSeconds, reconnectMs, tls } = config.broker;
  return { url, username, password, group, connections, keepaliveSeconds, reconnectMs, tls, clientIdPrefix: config.gatewayId, sessionExpirySeconds: session === 'clean' ? 'clean' : sessionExpirySeconds };
}
