import { bundledProfilesDir } from '../../src/config/index.js';
import { loadProfiles, type DeviceProfile } from '../../src/profiles/index.js';

const catalog = loadProfiles(bundledProfilesDir());

/** A profile shipped in device-profiles/. */
export function shippedProfile(id: string): DeviceProfile {
  const p = catalog.get(id);
  if (p === undefined) throw new Error(`no shipped profile ${id}`);
  return p;
}
