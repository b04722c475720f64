import { createHmac } from 'node:crypto';

/**
 * A stable pseudonym for a patient: a keyed hash (HMAC-SHA256) of the NHS number, cut to 128 bits
 * and base64url-encoded. Without the key it cannot be reversed or recomputed from a guessed NHS
 * number, so time-series stores and research extracts never hold the identifier itself.
 */
export const patientPseudonym = (key: Uint8Array, nhsNumber: string): string =>
  createHmac('sha256', key).update(nhsNumber).digest().subarray(0, 16).toString('base64url');

/** A clinician's webhook signing secret: derived from the gateway's webhook key, so it is never stored. */
export const webhookSecret = (key: Uint8Array, clinicianId: string): string => createHmac('sha256', key).update(`webhook|${clinicianId}`).digest('base64url');
