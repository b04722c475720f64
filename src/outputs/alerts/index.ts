/**
 * Clinician alerts: the rules engine over stored values (threshold rules from the device profiles,
 * with hysteresis, durations and suppression of repeats) and the message a clinician receives.
 */
export { AlertEngine } from './engine.js';
export type { RuleOverride } from './thresholds.js';
export type { OwnAlertStore, SharedAlertStore } from './ports.js';
export { HBPM, NEWS2, NO_DATA, type AlertEngineMetrics, type CareRecord } from './rules.js';
export { alertMessage } from './message.js';
export { ALERT_MQTT_SINK, ALERT_WEBHOOK_SINK, alertDeliveries, mqttAlertDeliver, recipientsOf, recipientsReadFrom, signature, webhookAlertDeliver, type ClinicianDelivery, type Recipient } from './delivery.js';
export { describeNews2, News2Watch, NEWS2_METRICS } from './news2-watch.js';
