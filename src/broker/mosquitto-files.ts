import { MOSQUITTO_CLINICIAN_PREFIX } from '../devices/index.js';
import type { BrokerCredential } from '../store/broker-credential-store.js';

/** Who is in the registry, as the files need it. */
export interface MosquittoFilesInput {
  readonly devices: readonly { readonly id: string; readonly status: 'active' | 'revoked' }[];
  readonly clinicians: readonly { readonly id: string; readonly status: 'active' | 'revoked' }[];
  readonly credentials: readonly BrokerCredential[];
  /** The operator's own lines (the gateway workers' account), appended as they are. */
  readonly extraPasswords?: string | undefined;
  readonly extraAcl?: string | undefined;
}

export interface MosquittoFiles {
  /** `username:$7$…` lines (mosquitto_passwd's format). */
  readonly passwords: string;
  /** `user …` / `topic read|write …` blocks (Mosquitto's acl_file). */
  readonly acl: string;
  /** Active devices and accounts whose secret was issued before broker hashes were kept: rotate to include them. */
  readonly withoutHash: readonly string[];
}

const HEADER = '# Written by vitals-gateway broker mosquitto-files from the device registry: regenerate, do not edit.\n';

/**
 * A Mosquitto password file and ACL file from the registry: each active device as itself,
 * publishing only on `devices/<id>/readings`, `status` and `corrections` and reading only under
 * `devices/<id>/` (the gateway's `rejected` replies); each active clinician as `clinician.<id>`
 * (Mosquitto allows no ':' in a name), reading only `clinicians/<id>/alerts`. Revoked ones are left
 * out, so a reload refuses them. Deny by default: Mosquitto refuses any topic not listed.
 */
export function mosquittoFiles(input: MosquittoFilesInput): MosquittoFiles {
  const hashes = new Map(input.credentials.map((c) => [c.username, c.passwordHash]));
  const passwords: string[] = [];
  const acl: string[] = [];
  const withoutHash: string[] = [];
  for (const d of [...input.devices].filter((x) => x.status === 'active').sort((a, b) => a.id.localeCompare(b.id))) {
    const hash = hashes.get(d.id);
    if (hash === undefined) {
      withoutHash.push(d.id);
      continue;
    }
    passwords.push(`${d.id}:${hash}`);
    acl.push(`user ${d.id}`, ...['readings', 'status', 'corrections'].map((c) => `topic write devices/${d.id}/${c}`), `topic read devices/${d.id}/#`, '');
  }
  for (const c of [...input.clinicians].filter((x) => x.status === 'active').sort((a, b) => a.id.localeCompare(b.id))) {
    const username = `${MOSQUITTO_CLINICIAN_PREFIX}${c.id}`;
    const hash = hashes.get(username);
    if (hash === undefined) {
      withoutHash.push(username);
      continue;
    }
    passwords.push(`${username}:${hash}`);
    acl.push(`user ${username}`, `topic read clinicians/${c.id}/alerts`, '');
  }
  const extra = (text: string | undefined) => (text === undefined || text.trim() === '' ? '' : `${text.trimEnd()}\n`);
  return {
    passwords: `${passwords.join('\n')}${passwords.length > 0 ? '\n' : ''}${extra(input.extraPasswords)}`,
    acl: `${HEADER}\n${acl.join('\n')}${extra(input.extraAcl)}`,
    withoutHash,
  };
}
