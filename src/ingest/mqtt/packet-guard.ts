import type { Duplex } from 'node:stream';

/**
 * Follows MQTT packet boundaries in a byte stream and reports the first packet whose declared size
 * exceeds the limit [MQTT-2.2.3: remaining length is a variable byte integer of at most 4 bytes].
 * The broker's parser buffers a whole packet before it can be judged; this sees the length first.
 */
export class PacketSizeGuard {
  private stage: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly maxPacketBytes: number) {}

  /** Feeds the next bytes; false once a packet is too large or its length field is malformed. */
  feed(chunk: Uint8Array): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.stage === 'type') {
        i += 1;
        this.stage = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
      } else if (this.stage === 'length') {
        const byte = chunk[i++] as number;
        this.length += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes += 1;
        if (byte & 0x80) {
          if (this.lengthBytes === 4) return false;
          continue;
        }
        if (1 + this.lengthBytes + this.length > this.maxPacketBytes) return false;
        this.remaining = this.length;
        this.stage = this.remaining > 0 ? 'body' : 'type';
      } else {
        const n = Math.min(this.remaining, chunk.length - i);
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) this.stage = 'type';
      }
    }
    return true;
  }
}

/**
 * Puts a guard in front of a connection: the broker pulls bytes with `read()`, so the guard sees
 * each chunk as it is pulled and destroys the socket before an oversized packet is buffered.
 */
export function guardConnection(conn: Duplex, maxPacketBytes: number, onOversized: () => void): void {
  const guard = new PacketSizeGuard(maxPacketBytes);
  const read = conn.read.bind(conn);
  conn.read = (size?: number): unknown => {
    const chunk: unknown = read(size);
    if (chunk instanceof Uint8Array && !guard.feed(chunk)) {
      onOversized();
      conn.destroy();
      return null;
    }
    return chunk;
  };
}
