/**
 * MQTT ingest: the embedded aedes broker with deny-by-default authentication and topic ACLs, and
 * the topic scheme (`devices/<id>/readings | status | corrections | rejected`; clinicians read
 * `clinicians/<id>/alerts` only).
 */
export { MqttBroker, type BrokerOptions, type BrokerPorts, type BrokerMetrics } from './broker.js';
export { Channel, CLINICIAN_USERNAME_PREFIX, clinicianAlertTopic, parseDeviceTopic, mayPublish, maySubscribe, topicFor } from './topic.js';
export { PacketSizeGuard } from './packet-guard.js';
export { BrokerAccess, type AccessRequest, type BrokerAccessPorts, type BrokerDecision, type ConnectRequest } from './broker-access.js';
