import { timingSafeEqual } from 'node:crypto';
import { err, ok, type Result } from '../domain/index.js';
import type { ProfileCatalog } from '../profiles/index.js';
import type { DeviceContext } from '../pipeline/index.js';
import type { EitherPort } from '../store/async-port.js';
import type { DeviceStore } from '../store/device-store.js';
import type { LoginThrottle } from './login-throttle.js';
import { fingerprint, verifySecret } from './secret.js';

/** Why a connection was refused; the broker maps each to its CONNACK return code. */
export const AuthFailure = {
  /** No such device, no credentials, or the wrong secret: [MQTT-3.2.2] return code 4. */
  BadCredentials: 'bad-credentials',
  /** The device is revoked, or its profile is no longer loaded: return code 5. */
  NotAuthorized: 'not-authorized',
  /** Too many wrong secrets for this device id lately: refused as bad credentials (code 4) without hashing. */
  Throttled: 'throttled',
} as const;
export type AuthFailure = (typeof AuthFailure)[keyof typeof AuthFailure];

/**
 * Checks a device's id and secret against the registry. A successful scrypt check is remembered
 * (as a SHA-256 fingerprint, in memory, tied to the stored hash) so a reconnect storm does not
 * cost one slow hash per connection; rotating or revoking the secret invalidates it. Repeated
 * wrong secrets lock the device id out for a while (LoginThrottle).
 */
export class Authenticator {
  private readonly verified = new Map<string, { secretHash: string; fingerprint: Buffer }>();

  constructor(
    private readonly devices: EitherPort<DeviceStore>,
    private readonly profiles: ProfileCatalog,
    private readonly throttle: LoginThrottle,
  ) {}

  async authenticate(deviceId: string | undefined, secret: Buffer | undefined): Promise<Result<DeviceContext, AuthFailure>> {
    if (deviceId === undefined || secret === undefined || deviceId === '') return err(AuthFailure.BadCredentials);
    const device = await this.devices.get(deviceId);
    if (device === undefined) return err(AuthFailure.BadCredentials);
    const print = fingerprint(secret);
    const cached = this.verified.get(deviceId);
    const cachedHashCurrent = cached !== undefined && cached.secretHash === device.secretHash;
    // A device that proved this very secret before gets in even while its id is locked out by
    // someone else's guessing; anyone else waits out the lock.
    if (!(cachedHashCurrent && timingSafeEqual(cached.fingerprint, print))) {
      if (this.throttle.locked(deviceId)) return err(AuthFailure.Throttled);
      // With a current cached fingerprint, a mismatch is wrong for certain: no scrypt needed.
      const good = !cachedHashCurrent && (await verifySecret(secret.toString('utf8'), device.secretHash));
      if (!good) {
        this.throttle.failed(deviceId);
        return err(AuthFailure.BadCredentials);
      }
    }
    this.throttle.succeeded(deviceId);
    this.verified.set(deviceId, { secretHash: device.secretHash, fingerprint: print });
    if (device.status !== 'active') return err(AuthFailure.NotAuthorized);
    const profile = this.profiles.get(device.profileId);
    if (profile === undefined) return err(AuthFailure.NotAuthorized);
    return ok({ deviceId: device.id, patientNhs: device.patientNhs, profile, serial: device.serial });
  }
}
