import type { ProfileCatalog } from '../src/profiles/index.js';
import { readCredentials, writeCredentials, type DeviceCredentials } from './credentials.js';
import { testNhsNumbers } from './nhs.js';
import type { SimulationOptions } from './options.js';
import { provisionDevices } from './provision.js';
import type { Random } from './random.js';

/** The profiles to provision: those asked for, else every MQTT profile in the canonical payload shape (Bluetooth ones go through `simulate:ble`). */
export function chosenProfiles(options: SimulationOptions, catalog: ProfileCatalog): string[] {
  const ids = options.profiles ?? [...catalog.values()].filter((p) => p.payload.format === 'canonical' && p.ble === undefined).map((p) => p.id);
  const unknown = ids.filter((id) => !catalog.has(id));
  if (unknown.length > 0) throw new Error(`unknown profile ${unknown.join(', ')} (known: ${[...catalog.keys()].join(', ')})`);
  if (ids.length === 0) throw new Error('no profiles to simulate');
  return [...ids];
}

/** The devices of a run, and which of them were read from a credentials file (used in an earlier run). */
export interface Fleet {
  readonly devices: readonly DeviceCredentials[];
  readonly reused: ReadonlySet<string>;
}

/**
 * The devices of a run: those given or read from a credentials file (as many as asked for), then,
 * with provisioning, new ones registered through the gateway's CLI until there are enough. Each
 * provisioned device gets its own test patient. The result is saved when asked.
 */
export async function assembleFleet(options: SimulationOptions, catalog: ProfileCatalog, random: Random): Promise<Fleet> {
  const notice = options.notice ?? (() => {});
  const fromFile = options.credentialsFile !== undefined ? readCredentials(options.credentialsFile) : [];
  let fleet = [...(options.credentials ?? []), ...fromFile];
  if (options.devices !== undefined) fleet = fleet.slice(0, options.devices);
  if (options.provision !== undefined) {
    const profiles = chosenProfiles(options, catalog);
    const wanted = options.devices ?? Math.max(fleet.length, profiles.length);
    const missing = wanted - fleet.length;
    if (missing > 0) {
      const patients = testNhsNumbers(missing, random);
      const requests = patients.map((patient, i) => ({ profile: profiles[(fleet.length + i) % profiles.length] as string, patient }));
      notice(`provisioning ${missing} device${missing === 1 ? '' : 's'}…`);
      fleet.push(...(await provisionDevices(requests, options.provision, (done) => notice(`provisioned ${done}/${missing}`))));
    }
  }
  if (fleet.length === 0) throw new Error('no devices: provision some (--provision) or name a credentials file (--credentials)');
  const unknown = fleet.filter((d) => !catalog.has(d.profile));
  if (unknown.length > 0) throw new Error(`devices with unknown profiles: ${unknown.map((d) => `${d.deviceId} (${d.profile})`).join(', ')}`);
  if (options.saveCredentialsFile !== undefined) writeCredentials(options.saveCredentialsFile, fleet);
  return { devices: fleet, reused: new Set(fromFile.map((d) => d.deviceId)) };
}
