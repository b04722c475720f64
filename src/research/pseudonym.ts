import { createHash, createHmac, hkdfSync } from 'node:crypto';

/** A research project's id: what names its key, its extracts and its audit entries. */
export const PROJECT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A project's pseudonymisation key: what it calls each patient, and an id for the key that reveals nothing of it. */
export interface ProjectKey {
  readonly projectId: string;
  /** SHA-256 of the key, shortened: names the key in a manifest so two extracts can be seen to share it. */
  readonly keyId: string;
  /** The patient's pseudonym in this project: the same every time, and unlinkable to any other project's. */
  pseudonym(nhs: string): string;
}

/**
 * Keyed pseudonyms [ICO, Anonymisation guidance, ch. 3 (pseudonymisation): a keyed hash, the key
 * held apart from the data]: HMAC-SHA256 of the NHS number under a key derived for the project
 * from the gateway's research secret with HKDF-SHA256 [RFC 5869], the project id as its `info`.
 * Different projects get independent keys, so their extracts cannot be joined on the pseudonym;
 * without the secret, a pseudonym cannot be reversed by trying every NHS number.
 */
export function projectKey(researchSecret: Buffer, projectId: string): ProjectKey {
  const key = Buffer.from(hkdfSync('sha256', researchSecret, 'vitals-gateway research', `project:${projectId}`, 32));
  const keyId = createHash('sha256').update('vitals-gateway research key id\0').update(key).digest('hex').slice(0, 16);
  return {
    projectId,
    keyId,
    // 128 bits of the HMAC: collisions among even millions of patients are out of reach.
    pseudonym: (nhs) => createHmac('sha256', key).update(nhs).digest('hex').slice(0, 32),
  };
}
