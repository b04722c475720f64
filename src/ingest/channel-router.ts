import { promiseOf, settleDone, type DeviceContext, type IngestDone, type IngestOutcome, type Ingestor } from '../pipeline/index.js';
import { Channel } from './mqtt/topic.js';

/** Where a device message goes, told once what became of it. */
export type IngestRoute = (device: DeviceContext, channel: string, topic: string, payload: Buffer, done: IngestDone) => void;

/**
 * Sends each device message to the pipeline entry for its channel (`devices/<id>/<channel>`).
 * Readings, nearly every message, go by callback: no promise per message.
 */
export function channelRouter(ingestor: Ingestor): IngestRoute {
  return (device, channel, topic, payload, done) => {
    if (channel === Channel.Readings) return ingestor.receiveReadings(device, topic, payload, done);
    const outcome =
      channel === Channel.Status
        ? ingestor.status(device, topic, payload)
        : channel === Channel.Corrections
          ? ingestor.corrections(device, topic, payload)
          : ingestor.unknownTopic(device, topic, payload);
    settleDone(outcome, done);
  };
}

/** The same routes, as a promise of the outcome. */
export const promised =
  (route: IngestRoute) =>
  (device: DeviceContext, channel: string, topic: string, payload: Buffer): Promise<IngestOutcome> =>
    promiseOf((done) => route(device, channel, topic, payload, done));
