/**
 * Devices: provisioning (ids, secrets, patient binding) and authentication of connecting devices.
 * Secrets exist in clear only in the answer to `devices add` / `rotate-secret`.
 */
export { DeviceRegistry, type AddDevice, type DeviceCredentials } from './registry.js';
export { Authenticator, AuthFailure } from './authenticator.js';
export { fingerprint, generateSecret, hashSecret, verifySecret } from './secret.js';
export { mosquittoHash, MOSQUITTO_CLINICIAN_PREFIX } from './mosquitto-hash.js';
export { RevocationWatch } from './revocation-watch.js';
export { LoginThrottle } from './login-throttle.js';
