import { createHash } from 'node:crypto';

/** Payload bytes kept per dead letter; larger payloads keep their size, hash and this much of the start. */
export const DEAD_LETTER_PAYLOAD_CAP_BYTES = 64 * 1024;

/** What every store keeps of a refused payload: its first 64 KiB, its full size and SHA-256. */
export function keptPayload(payload: Buffer): { readonly kept: Buffer; readonly bytes: number; readonly sha256: string } {
  return { kept: payload.subarray(0, DEAD_LETTER_PAYLOAD_CAP_BYTES), bytes: payload.length, sha256: createHash('sha256').update(payload).digest('hex') };
}
