/**
 * InfluxDB output: the line-protocol model of a reading (`readingPoint`, pure) and the sink that
 * writes points with the official client. Durable hand-off through the SQLite outbox comes before it.
 */
export { readingPoint, type PointData } from './point.js';
export { InfluxPointSink, SinkWriteError, classify, type InfluxOptions } from './sink.js';
