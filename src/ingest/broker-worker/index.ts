/**
 * The gateway as a worker on an existing MQTT 5 broker cluster (EMQX, Mosquitto): shared
 * subscriptions in place of the embedded broker, acknowledgements after the durable commit.
 */
export { BrokerWorker, brokerAddress, deviceDirectory, type BrokerDelivery, type Retirement, type BrokerWorkerOptions, type BrokerWorkerPorts, type DeviceRefusal } from './worker.js';
export { brokerWorkerOptions } from './from-config.js';
