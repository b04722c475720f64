import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { mapLimit } from './concurrency.js';
import type { DeviceCredentials } from './credentials.js';
import { gatewayCli, type GatewayCli } from './paths.js';

/** Where the gateway keeps its devices: passed through to `vitals-gateway devices add`. */
export interface GatewayStoreOptions {
  readonly dataDir?: string | undefined;
  readonly config?: string | undefined;
}

export interface ProvisionRequest {
  readonly profile: string;
  readonly patient: string;
}

/** Each `devices add` hashes a secret with scrypt; a few at once keep provisioning short without starving the machine. */
const PARALLEL = 4;
const TIMEOUT_MS = 60_000;

/**
 * Registers one device the way an operator does: by running the gateway's own command line, which
 * prints `{ deviceId, secret }` with `--json`.
 */
export function provisionDevice(req: ProvisionRequest, store: GatewayStoreOptions, cli: GatewayCli = gatewayCli()): Promise<DeviceCredentials> {
  const args = [...cli.args];
  // The child runs in the project folder, so paths given relative to ours are made absolute.
  if (store.config !== undefined) args.push('--config', resolve(store.config));
  if (store.dataDir !== undefined) args.push('--data-dir', resolve(store.dataDir));
  args.push('devices', 'add', '--profile', req.profile, '--patient', req.patient, '--json');
  return new Promise((done, fail) => {
    execFile(cli.command, args, { cwd: cli.cwd, timeout: TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error !== null) {
        fail(new Error(`provisioning a ${req.profile} device failed: ${stderr.trim() || error.message}`, { cause: error }));
        return;
      }
      try {
        const { deviceId, secret } = JSON.parse(stdout) as { deviceId?: unknown; secret?: unknown };
        if (typeof deviceId !== 'string' || typeof secret !== 'string') throw new Error('no deviceId and secret in its output');
        done({ deviceId, secret, profile: req.profile });
      } catch (cause) {
        fail(new Error(`provisioning a ${req.profile} device: unexpected output: ${(cause as Error).message}`, { cause }));
      }
    });
  });
}

/** Provisions devices a few at a time; the result keeps the order of the requests. */
export function provisionDevices(
  requests: readonly ProvisionRequest[],
  store: GatewayStoreOptions,
  onProvisioned: (done: number) => void = () => {},
): Promise<DeviceCredentials[]> {
  const cli = gatewayCli();
  let done = 0;
  return mapLimit(requests, PARALLEL, async (req) => {
    const creds = await provisionDevice(req, store, cli);
    onProvisioned(++done);
    return creds;
  });
}
