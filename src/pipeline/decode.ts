import { err, IssueCode, issue, ok, type Issue, type Result } from '../domain/index.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes → JSON value, refusing payloads over the size limit and anything that is not UTF-8 JSON. */
export function decodeJson(payload: Uint8Array, maxBytes: number): Result<unknown, Issue[]> {
  if (payload.length > maxBytes) {
    return err([issue(IssueCode.PayloadTooLarge, '', `payload is ${payload.length} bytes; the limit is ${maxBytes}`)]);
  }
  try {
    return ok(JSON.parse(utf8.decode(payload)));
  } catch (cause) {
    return err([issue(IssueCode.PayloadMalformedJson, '', `not valid JSON: ${(cause as Error).message.slice(0, 120)}`)]);
  }
}
