import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSecretKey } from '../../src/outputs/secret-key.js';
import { useCleanups } from '../helpers/cleanup.js';
import { tempDir } from '../helpers/gateway.js';
import { runCli } from '../helpers/process.js';

const defer = useCleanups();

describe('secret key files', () => {
  it('makes a new key of 32 random bytes, mode 600, and reads the same one back', () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const file = join(tmp.dir, 'pseudonym.key');
    const key = loadSecretKey(file);
    expect(key).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadSecretKey(file).equals(key)).toBe(true);
    expect(readFileSync(file).equals(key)).toBe(true);
  });

  it.each([
    ['an empty', Buffer.alloc(0), /holds 0 bytes; a key needs at least 32 random bytes/],
    ['a 16-byte', Buffer.alloc(16, 7), /holds 16 bytes; a key needs at least 32 random bytes/],
  ])('%s key file stops start-up with a message naming the file', async (_, content, message) => {
    const tmp = tempDir();
    defer(tmp.remove);
    const file = join(tmp.dir, 'webhook.key');
    writeFileSync(file, content, { mode: 0o600 });
    const r = await runCli(['start', '--data-dir', tmp.dir, '--mqtt-port', '0', '--http-port', '0', '--web-port', '0', '--mqtt-host', '127.0.0.1'], { VG_WEBHOOK_KEY_FILE: file });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(message);
  });

  it('an unreadable key file (a directory here, so it holds even for root) stops start-up naming the file', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const file = join(tmp.dir, 'pseudonym.key');
    mkdirSync(file);
    chmodSync(file, 0o700);
    const r = await runCli(['start', '--data-dir', tmp.dir, '--mqtt-port', '0', '--http-port', '0', '--web-port', '0', '--mqtt-host', '127.0.0.1'], { VG_PSEUDONYM_KEY_FILE: file });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`secret key file ${file} cannot be read (EISDIR)`);
  });
});
