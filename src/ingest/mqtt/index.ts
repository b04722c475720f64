/**
 * MQTT ingest: the embedded aedes broker with deny-by-default authentication and topic ACLs, and
 * the device topic scheme (`devices/<id>/readings | status | rejected`).
 */
export { MqttBroker, type BrokerOptions, type BrokerPorts, type BrokerMetrics } from './broker.js';
export { Channel, parseDeviceTopic, mayPublish, maySubscribe, topicFor } from './topic.js';
export { PacketSizeGuard } from './packet-guard.js';
