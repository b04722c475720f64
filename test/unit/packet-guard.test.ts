import { describe, expect, it } from 'vitest';
import mqttPacket from 'mqtt-packet';
import { PacketSizeGuard } from '../../src/ingest/mqtt/index.js';

const publish = (bytes: number): Buffer =>
  mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(bytes), qos: 0, retain: false, dup: false });

describe('PacketSizeGuard', () => {
  it('follows packet boundaries across chunks and passes packets within the limit', () => {
    const guard = new PacketSizeGuard(1_000);
    const stream = Buffer.concat([publish(10), publish(900), publish(0), publish(200)]);
    for (let i = 0; i < stream.length; i += 7) expect(guard.feed(stream.subarray(i, i + 7))).toBe(true);
  });

  it('refuses the first packet whose declared size exceeds the limit, from its header alone', () => {
    const guard = new PacketSizeGuard(1_000);
    expect(guard.feed(publish(100))).toBe(true);
    expect(guard.feed(publish(5_000).subarray(0, 4))).toBe(false);
  });

  it('refuses a remaining-length field longer than 4 bytes', () => {
    expect(new PacketSizeGuard(1_000_000_000).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBe(false);
  });
});
