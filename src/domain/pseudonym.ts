import { createHmac } from 'node:crypto';

/**
 * A stable pseudonym for a patient: a keyed hash (HMAC-SHA256) of the NHS number, cut to 128 bits
 * and base64url-encoded. Without the key it cannot be reversed or recomputed from a guessed NHS
 * number, so time-series stores and research extracts never hold the identifier itself.
 */
export const patientPseudonym = (key: Uint8Array, nhsNumber: string): string =>
  createHmac('sha256', key).update(nhsNumber).digest().subarray(0, 16).toString('base64url');
