import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { mosquittoFiles } from '../broker/mosquitto-files.js';
import { GatewayError } from '../domain/index.js';
import { withAnyStore, type GlobalOptions } from './context.js';
import { stdout } from './output.js';

export interface MosquittoFilesOptions {
  readonly out: string;
  readonly includePasswords?: string | undefined;
  readonly includeAcl?: string | undefined;
  readonly reloadPid?: string | undefined;
  readonly watch?: number | undefined;
  readonly json?: boolean | undefined;
}

/**
 * `vitals-gateway broker mosquitto-files --out <dir>`: Mosquitto's password file (`<dir>/passwords`)
 * and ACL file (`<dir>/acl`) from the registry (SQLite, or PostgreSQL with `store.postgres.url`). A
 * file is replaced (atomically) only when its content changes; then, with `--reload-pid`, Mosquitto
 * is sent SIGHUP to read them again. With `--watch` it does so every that many seconds until stopped.
 */
export async function brokerMosquittoFiles(global: GlobalOptions, o: MosquittoFilesOptions): Promise<void> {
  if (!existsSync(o.out)) throw new GatewayError('GW_INPUT_INVALID', `--out: ${o.out} is not a directory`);
  const read = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file, 'utf8'));
  for (;;) {
    const files = await withAnyStore(global, async (store) =>
      mosquittoFiles({
        devices: await store.devices.list(),
        clinicians: await store.clinicians.list(),
        credentials: await store.brokerCredentials.all(),
        extraPasswords: read(o.includePasswords),
        extraAcl: read(o.includeAcl),
      }),
    );
    const changed = [replace(join(o.out, 'passwords'), files.passwords), replace(join(o.out, 'acl'), files.acl)].some(Boolean);
    const reloaded = changed && o.reloadPid !== undefined && reload(o.reloadPid);
    if (o.json) stdout.json({ out: o.out, changed, reloaded, withoutHash: files.withoutHash });
    else {
      stdout.line(changed ? `wrote ${join(o.out, 'passwords')} and ${join(o.out, 'acl')}${reloaded ? '; Mosquitto reloaded' : ''}` : 'unchanged');
      if (files.withoutHash.length > 0) stdout.line(`left out (secret issued before broker hashes were kept; rotate it to include): ${files.withoutHash.join(', ')}`);
    }
    if (o.watch === undefined) return;
    await sleep(o.watch * 1000);
  }
}

/** Writes `content` to `file` through a temporary file and a rename, unless it is already that; true if written. */
function replace(file: string, content: string): boolean {
  if (existsSync(file) && readFileSync(file, 'utf8') === content) return false;
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o600 });
  renameSync(tmp, file);
  return true;
}

/** SIGHUP to the process in the pid file: Mosquitto reads its password and ACL files again. */
function reload(pidFile: string): boolean {
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new GatewayError('GW_INPUT_INVALID', `--reload-pid: ${pidFile} holds no process id`);
  process.kill(pid, 'SIGHUP');
  return true;
}
