import { randomBytes } from 'node:crypto';
import { GatewayError, parseNhsNumber, type Clock } from '../domain/index.js';
import type { ProfileCatalog } from '../profiles/index.js';
import type { EitherPort } from '../store/async-port.js';
import type { DeviceRecord, DeviceStore } from '../store/device-store.js';
import type { BrokerCredentialStore } from '../store/broker-credential-store.js';
import { mosquittoHash } from './mosquitto-hash.js';
import { generateSecret, hashSecret } from './secret.js';

const DEVICE_ID = /^[A-Za-z0-9_-]{3,64}$/;
/** Crockford base32: no I, L, O, U — easy to read aloud to a support line. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Credentials shown once, when a device is added or its secret rotated. */
export interface DeviceCredentials {
  readonly deviceId: string;
  readonly secret: string;
}

export interface AddDevice {
  readonly profileId: string;
  readonly patient: string;
  readonly deviceId?: string | undefined;
  readonly serial?: string | undefined;
  /** For a Bluetooth profile: the device's address, which the BLE bridge connects to. */
  readonly bleAddress?: string | undefined;
}

/** Provisioning: binds a device to a profile and a patient, and issues its secret (stored only as a scrypt hash). */
export class DeviceRegistry {
  constructor(
    private readonly store: EitherPort<DeviceStore>,
    private readonly profiles: ProfileCatalog,
    private readonly clock: Clock,
    /** Where each new secret is also kept hashed for an external broker's password file. */
    private readonly brokerCredentials?: EitherPort<BrokerCredentialStore>,
  ) {}

  /** The secret's hash for an external broker (Mosquitto's password file), kept when it is issued. */
  private async keepForBroker(deviceId: string, secret: string): Promise<void> {
    if (this.brokerCredentials !== undefined) await this.brokerCredentials.set({ username: deviceId, passwordHash: await mosquittoHash(secret), updatedAtMs: this.clock.now() });
  }

  async add(req: AddDevice): Promise<DeviceCredentials> {
    const nhs = parseNhsNumber(req.patient);
    if (!nhs.ok) throw new GatewayError('GW_NHS_NUMBER_INVALID', `--patient: ${nhs.error}`);
    if (!this.profiles.has(req.profileId)) {
      const known = [...this.profiles.keys()].join(', ');
      throw new GatewayError('GW_PROFILE_UNKNOWN', `--profile: no device profile "${req.profileId}" (known: ${known})`);
    }
    const deviceId = req.deviceId ?? newDeviceId();
    if (!DEVICE_ID.test(deviceId)) {
      throw new GatewayError('GW_DEVICE_ID_INVALID', `--id: "${deviceId}" must be 3–64 characters of A–Z, a–z, 0–9, "-" and "_"`);
    }
    if ((await this.store.get(deviceId)) !== undefined) throw new GatewayError('GW_DEVICE_EXISTS', `device ${deviceId} already exists`);
    const bleAddress = await this.bleAddressOf(req);
    const secret = generateSecret();
    await this.store.insert({
      id: deviceId,
      profileId: req.profileId,
      patientNhs: nhs.value,
      serial: req.serial,
      secretHash: await hashSecret(secret),
      status: 'active',
      createdAtMs: this.clock.now(),
      revokedAtMs: undefined,
      secretRotatedAtMs: undefined,
      bleAddress,
    });
    await this.keepForBroker(deviceId, secret);
    return { deviceId, secret };
  }

  /** A Bluetooth profile needs an address, unique among active devices; other profiles take none. */
  private async bleAddressOf(req: AddDevice): Promise<string | undefined> {
    const ble = this.profiles.get(req.profileId)?.ble !== undefined;
    if (req.bleAddress === undefined) {
      if (ble) throw new GatewayError('GW_INPUT_INVALID', `--ble-address: profile ${req.profileId} is a Bluetooth profile: give the device's address (AA:BB:CC:DD:EE:FF)`);
      return undefined;
    }
    if (!ble) throw new GatewayError('GW_INPUT_INVALID', `--ble-address: profile ${req.profileId} is not a Bluetooth profile`);
    const address = req.bleAddress.trim().toUpperCase().replaceAll('-', ':');
    if (!/^[0-9A-F]{2}(?::[0-9A-F]{2}){5}$/.test(address)) throw new GatewayError('GW_INPUT_INVALID', `--ble-address: "${req.bleAddress}" is not a Bluetooth address such as AA:BB:CC:DD:EE:FF`);
    if ((await this.store.list()).some((d) => d.status === 'active' && d.bleAddress === address)) throw new GatewayError('GW_DEVICE_EXISTS', `an active device already has Bluetooth address ${address}`);
    return address;
  }

  async get(deviceId: string): Promise<DeviceRecord> {
    const device = await this.store.get(deviceId);
    if (device === undefined) throw new GatewayError('GW_DEVICE_UNKNOWN', `no device ${deviceId}`);
    return device;
  }

  async list(patient?: string): Promise<DeviceRecord[]> {
    if (patient === undefined) return await this.store.list();
    const nhs = parseNhsNumber(patient);
    if (!nhs.ok) throw new GatewayError('GW_NHS_NUMBER_INVALID', `--patient: ${nhs.error}`);
    return await this.store.list({ patientNhs: nhs.value });
  }

  /** Revokes a device: it can no longer connect. Idempotent. */
  async revoke(deviceId: string): Promise<DeviceRecord> {
    await this.get(deviceId);
    await this.store.revoke(deviceId, this.clock.now());
    return this.get(deviceId);
  }

  /** Issues a new secret; the old one stops working at the device's next connection. */
  async rotateSecret(deviceId: string): Promise<DeviceCredentials> {
    const device = await this.get(deviceId);
    if (device.status !== 'active') throw new GatewayError('GW_DEVICE_UNKNOWN', `device ${deviceId} is revoked`);
    const secret = generateSecret();
    await this.store.setSecretHash(deviceId, await hashSecret(secret), this.clock.now());
    await this.keepForBroker(deviceId, secret);
    return { deviceId, secret };
  }
}

function newDeviceId(): string {
  const bytes = randomBytes(10);
  let id = 'dev-';
  for (const b of bytes) id += ALPHABET[b & 31];
  return id;
}
