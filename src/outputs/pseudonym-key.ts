import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * The secret key of patient pseudonyms: 32 random bytes kept in a file readable by the gateway
 * only (created on first use). Losing it changes every pseudonym; leaking it lets someone with a
 * list of NHS numbers re-identify them, so treat it like a database password.
 */
export function loadPseudonymKey(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const key = randomBytes(32);
    writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
    return key;
  }
}
