import type { DeviceRecord } from '../../src/store/device-store.js';

/** An active device as a store keeps it, written straight into a store under test (its secret's hash a placeholder). */
export const deviceRecord = (id: string, profileId: string, patientNhs: string, createdAtMs = 0): DeviceRecord => ({
  id,
  profileId,
  patientNhs,
  serial: undefined,
  secretHash: 'x',
  status: 'active',
  createdAtMs,
  revokedAtMs: undefined,
  secretRotatedAtMs: undefined,
});
