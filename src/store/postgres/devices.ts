import type { AsyncPort } from '../async-port.js';
import type { DeviceActivity, DeviceHealth, DeviceRecord, DeviceStore } from '../device-store.js';
import { healthFromRow } from '../rows.js';
import { columns } from './columns.js';
import type { PgQueryable, PgRow } from './database.js';

/** DeviceStore on PostgreSQL. */
export class PgDeviceStore implements AsyncPort<DeviceStore> {
  constructor(private readonly db: PgQueryable) {}

  async insert(d: DeviceRecord): Promise<void> {
    await this.db.execute(
      `INSERT INTO devices (id, profile_id, patient_nhs, serial, secret_hash, status, created_at, ble_address) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [d.id, d.profileId, d.patientNhs, d.serial ?? null, d.secretHash, d.status, d.createdAtMs, d.bleAddress ?? null],
    );
  }

  async get(id: string): Promise<DeviceRecord | undefined> {
    const [r] = await this.db.query(`SELECT ${columns('devices')} FROM devices WHERE id = $1`, [id]);
    return r === undefined ? undefined : toRecord(r);
  }

  /** Active devices with the time of their latest reading (undefined: none yet). */
  async activity(): Promise<DeviceActivity[]> {
    const rows = await this.db.query(
      `SELECT d.id, d.profile_id, d.patient_nhs, d.created_at, h.last_reading_at
       FROM devices d LEFT JOIN device_health h ON h.device_id = d.id WHERE d.status = 'active' ORDER BY d.id`,
    );
    return rows.map((r) => ({
      deviceId: r['id'] as string,
      profileId: r['profile_id'] as string,
      patientNhs: r['patient_nhs'] as string,
      createdAtMs: r['created_at'] as number,
      lastReadingAtMs: (r['last_reading_at'] as number | null) ?? undefined,
    }));
  }

  async list(filter: { patientNhs?: string } = {}): Promise<DeviceRecord[]> {
    const rows =
      filter.patientNhs === undefined
        ? await this.db.query(`SELECT ${columns('devices')} FROM devices ORDER BY created_at, id`)
        : await this.db.query(`SELECT ${columns('devices')} FROM devices WHERE patient_nhs = $1 ORDER BY created_at, id`, [filter.patientNhs]);
    return rows.map(toRecord);
  }

  async setSecretHash(id: string, secretHash: string, atMs: number): Promise<boolean> {
    return (await this.db.execute(`UPDATE devices SET secret_hash = $1, secret_rotated_at = $2 WHERE id = $3 AND status = 'active'`, [secretHash, atMs, id])) === 1;
  }

  async revoke(id: string, atMs: number): Promise<boolean> {
    return (await this.db.execute(`UPDATE devices SET status = 'revoked', revoked_at = $1 WHERE id = $2 AND status = 'active'`, [atMs, id])) === 1;
  }

  async revokedSince(sinceMs: number): Promise<string[]> {
    return (await this.db.query(`SELECT id FROM devices WHERE status = 'revoked' AND revoked_at >= $1 ORDER BY id`, [sinceMs])).map((r) => r['id'] as string);
  }

  async health(id: string): Promise<DeviceHealth | undefined> {
    const [r] = await this.db.query(`SELECT ${columns('device_health')} FROM device_health WHERE device_id = $1`, [id]);
    return r === undefined ? undefined : healthFromRow(id, r, r['clock_drift'] === true);
  }

  async recordCursor(id: string): Promise<number | undefined> {
    const [r] = await this.db.query('SELECT last_sequence FROM ble_record_cursors WHERE device_id = $1', [id]);
    return opt(r?.['last_sequence']);
  }

  /** Only ever moves forward: a late answer from an older download cannot rewind it. */
  async setRecordCursor(id: string, lastSequence: number, atMs: number): Promise<void> {
    await this.db.execute(
      `INSERT INTO ble_record_cursors (device_id, last_sequence, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (device_id) DO UPDATE SET last_sequence = GREATEST(ble_record_cursors.last_sequence, excluded.last_sequence), updated_at = excluded.updated_at`,
      [id, lastSequence, atMs],
    );
  }
}

const opt = <T>(v: unknown): T | undefined => (v === null || v === undefined ? undefined : (v as T));

function toRecord(r: PgRow): DeviceRecord {
  return {
    id: r['id'] as string,
    profileId: r['profile_id'] as string,
    patientNhs: r['patient_nhs'] as string,
    serial: opt(r['serial']),
    secretHash: r['secret_hash'] as string,
    status: r['status'] as 'active' | 'revoked',
    createdAtMs: r['created_at'] as number,
    revokedAtMs: opt(r['revoked_at']),
    secretRotatedAtMs: opt(r['secret_rotated_at']),
    bleAddress: opt(r['ble_address']),
  };
}
