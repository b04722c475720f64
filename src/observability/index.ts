/** Observability: structured logs with redaction configured once, and Prometheus metrics. */
export { createLogger, type Logger } from './logger.js';
export { GatewayMetrics } from './metrics.js';
