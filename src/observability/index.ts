/** Observability: structured logs with redaction configured once, Prometheus metrics, the health report. */
export { createLogger, type Logger } from './logger.js';
export { GatewayMetrics } from './metrics.js';
export { healthReport, type HealthSources } from './health.js';
