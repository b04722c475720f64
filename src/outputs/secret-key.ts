import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { GatewayError } from '../domain/index.js';

/** The least a key may hold: 256 bits, the HMAC-SHA256 block's worth of security [RFC 2104 §3]. */
export const MIN_KEY_BYTES = 32;

/**
 * A secret key of the gateway: at least 32 random bytes kept in a file readable by the gateway only
 * (created on first use). The pseudonym key: losing it changes every pseudonym, leaking it lets
 * someone with a list of NHS numbers re-identify them, and a short one (an empty file) makes every
 * pseudonym computable from such a list. The webhook key: clinicians' webhook signing secrets are
 * derived from it. Treat both like a database password. A file that cannot be read or is too short
 * stops start-up with an error naming it; a new one is written whole or not at all (mode 600,
 * fsync, then linked into place, which fails if another process made one first), so a power cut
 * never leaves an empty key behind.
 */
export function loadSecretKey(file: string, options: { create?: boolean } = {}): Buffer {
  let key: Buffer;
  try {
    key = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new GatewayError('GW_SECRET_KEY_INVALID', `secret key file ${file} cannot be read (${code ?? String(error)})`, { cause: error });
    // Workers sharing one database must share the key too (one pseudonym per patient): never made by one of them alone.
    if (options.create === false) throw new GatewayError('GW_SECRET_KEY_INVALID', `secret key file ${file} does not exist: every worker needs the same key (at least ${MIN_KEY_BYTES} random bytes), copied to each`);
    return createKey(file);
  }
  if (key.length < MIN_KEY_BYTES) {
    throw new GatewayError('GW_SECRET_KEY_INVALID', `secret key file ${file} holds ${key.length} bytes; a key needs at least ${MIN_KEY_BYTES} random bytes`);
  }
  return key;
}

function createKey(file: string): Buffer {
  const key = randomBytes(MIN_KEY_BYTES);
  const temp = `${file}.${process.pid}.tmp`;
  let linked = false;
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, key);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temp, file);
      linked = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    unlinkSync(temp);
    // Another process made the key first: use theirs.
    if (!linked) return loadSecretKey(file);
    // The new name is durable once the directory is.
    const dir = openSync(dirname(file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // not created
    }
    throw new GatewayError('GW_SECRET_KEY_INVALID', `secret key file ${file} cannot be created: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return key;
}
