import { GatewayError } from '../domain/index.js';
import { DECODERS, decoderFor } from '../ingest/ble/gatt/index.js';
import { stdout } from './output.js';

/** Hex as people paste it: `0078005000a5f3`, `00 78 00`, `00:78:00`, `0x0078…`. */
function parseHex(text: string): Uint8Array {
  const clean = text.replace(/^0x/i, '').replace(/[\s:-]/g, '');
  if (!/^(?:[0-9a-f]{2})*$/i.test(clean)) throw new GatewayError('GW_INPUT_INVALID', `"${text}" is not hex bytes (two hex digits per byte)`);
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

/**
 * `vitals-gateway decode <characteristic> <hex>`: the decoded value as JSON (exit 0), or
 * `{ "issues": [{ code, path, message }] }` (exit 1) — for support engineers looking at bytes
 * captured from a device [gatt-decode-output.md].
 */
export function decodeCommand(characteristic: string, hex: string): void {
  const decoder = decoderFor(characteristic);
  if (decoder === undefined) {
    throw new GatewayError('GW_INPUT_INVALID', `no decoder for "${characteristic}": one of ${[...Object.keys(DECODERS), 'SFLOAT', 'FLOAT'].join(', ')} (or a 128-bit UUID of those)`);
  }
  const result = decoder(parseHex(hex));
  if (result.ok) {
    stdout.json(result.value);
    return;
  }
  stdout.json({ issues: result.error });
  process.exitCode = 1;
}
