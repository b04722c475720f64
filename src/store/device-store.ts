/** A provisioned device. `secretHash` is a salted scrypt hash; the secret itself is never stored. */
export interface DeviceRecord {
  readonly id: string;
  readonly profileId: string;
  readonly patientNhs: string;
  readonly serial: string | undefined;
  readonly secretHash: string;
  readonly status: 'active' | 'revoked';
  readonly createdAtMs: number;
  readonly revokedAtMs: number | undefined;
  readonly secretRotatedAtMs: number | undefined;
  /** Bluetooth address (`AA:BB:CC:DD:EE:FF`) of a device the BLE bridge connects to. */
  readonly bleAddress?: string | undefined;
}

export interface DeviceHealth {
  readonly deviceId: string;
  readonly lastSeenAtMs: number | undefined;
  readonly lastReadingAtMs: number | undefined;
  readonly batteryPct: number | undefined;
  readonly signalDbm: number | undefined;
  readonly firmware: string | undefined;
  readonly clockOffsetMs: number | undefined;
  readonly clockDrift: boolean;
}

/** An active device and the time of its latest reading (undefined: none yet). */
export interface DeviceActivity {
  readonly deviceId: string;
  readonly profileId: string;
  readonly patientNhs: string;
  readonly createdAtMs: number;
  readonly lastReadingAtMs: number | undefined;
}

/** Persistence of the device registry. */
export interface DeviceStore {
  insert(device: DeviceRecord): void;
  get(id: string): DeviceRecord | undefined;
  list(filter?: { patientNhs?: string }): DeviceRecord[];
  setSecretHash(id: string, secretHash: string, atMs: number): boolean;
  revoke(id: string, atMs: number): boolean;
  /** Ids of devices revoked at or after `sinceMs`. */
  revokedSince(sinceMs: number): string[];
  health(id: string): DeviceHealth | undefined;
  /** The last stored-record sequence number fetched from a Bluetooth device (undefined: none yet). */
  recordCursor(id: string): number | undefined;
  setRecordCursor(id: string, lastSequence: number, atMs: number): void;
}
