import type { DeviceContext, IngestOutcome, Ingestor } from '../pipeline/index.js';
import { Channel } from './mqtt/topic.js';

/** Sends each device message to the pipeline entry for its channel (`devices/<id>/<channel>`). */
export function channelRouter(ingestor: Ingestor) {
  return (device: DeviceContext, channel: string, topic: string, payload: Buffer): Promise<IngestOutcome> => {
    switch (channel) {
      case Channel.Readings:
        return ingestor.readings(device, topic, payload);
      case Channel.Status:
        return ingestor.status(device, topic, payload);
      case Channel.Corrections:
        return ingestor.corrections(device, topic, payload);
      default:
        return ingestor.unknownTopic(device, topic, payload);
    }
  };
}
