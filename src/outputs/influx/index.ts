/**
 * InfluxDB output: the line-protocol model of a reading (`readingPoint`, pure), the planner that
 * puts one point per stored reading into the SQLite outbox (same transaction as the reading), and
 * the sender that ships the outbox with the official client.
 */
export { readingPoint, type PointData } from './point.js';
export { InfluxPointSink, classify, toLine, utf8Body, type InfluxOptions } from './sink.js';
export { INFLUX_SINK, influxLines, influxPlanner, influxSender, pseudonymizer } from './output.js';
