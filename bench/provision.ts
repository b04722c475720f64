/**
 * Provisioning for the parts that set up a store before the gateway opens it: a device registry as
 * the gateway makes one (the shipped profiles, the system clock), and BP cuffs each bound to a
 * patient of its own.
 */
import { bundledProfilesDir } from '../src/config/index.js';
import { DeviceRegistry, type DeviceCredentials } from '../src/devices/index.js';
import { systemClock } from '../src/domain/index.js';
import { loadProfiles } from '../src/profiles/index.js';
import type { EitherPort } from '../src/store/async-port.js';
import type { DeviceStore } from '../src/store/device-store.js';
import { nhsNumbers } from '../test/helpers/nhs.js';

/** A device registry on `devices` with the shipped profiles. */
export const benchRegistry = (devices: EitherPort<DeviceStore>): DeviceRegistry => new DeviceRegistry(devices, loadProfiles(bundledProfilesDir()), systemClock);

/** Adds `count` upper-arm BP cuffs, `cuff-0`, `cuff-1`, …, each for a patient of its own; their credentials in that order. */
export async function provisionCuffs(devices: EitherPort<DeviceStore>, count: number): Promise<DeviceCredentials[]> {
  const registry = benchRegistry(devices);
  const patients = nhsNumbers(count);
  const out: DeviceCredentials[] = [];
  for (let d = 0; d < count; d++) out.push(await registry.add({ profileId: 'bp-upper-arm', patient: patients[d] ?? '', deviceId: `cuff-${d}` }));
  return out;
}
