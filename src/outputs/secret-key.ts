import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * A secret key of the gateway: 32 random bytes kept in a file readable by the gateway only
 * (created on first use). The pseudonym key: losing it changes every pseudonym, leaking it lets
 * someone with a list of NHS numbers re-identify them. The webhook key: clinicians' webhook
 * signing secrets are derived from it. Treat both like a database password.
 */
export function loadSecretKey(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const key = randomBytes(32);
    writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
    return key;
  }
}
