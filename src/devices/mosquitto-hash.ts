import { pbkdf2, randomBytes } from 'node:crypto';

/**
 * A secret hashed as Mosquitto's password file holds it (mosquitto_passwd, Mosquitto 2.0):
 * `$7$<iterations>$<salt>$<hash>`, PBKDF2-HMAC-SHA512 with a 12-byte salt and a 64-byte key, both
 * base64. Kept beside the gateway's own scrypt hash so the registry can write a Mosquitto password
 * file (the secrets themselves are never stored). Device and account secrets are 256 random bits,
 * so the iteration count guards nothing a guess could find; Mosquitto pays it at every connect.
 */
export function mosquittoHash(secret: string, iterations = 1_000): Promise<string> {
  const salt = randomBytes(12);
  return new Promise((resolve, reject) =>
    pbkdf2(secret, salt, iterations, 64, 'sha512', (error, key) => (error ? reject(error) : resolve(`$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`))),
  );
}

/** Clinicians' names in Mosquitto's files (which allow no ':'): `clinician.<id>` (device ids cannot contain '.'). */
export const MOSQUITTO_CLINICIAN_PREFIX = 'clinician.';
