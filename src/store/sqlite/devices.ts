import type { DeviceActivity, DeviceHealth, DeviceRecord, DeviceStore } from '../device-store.js';
import type { SqliteConnection } from './database.js';
import type { SqliteDeviceHealth } from './health.js';

/** DeviceStore on SQLite. */
export class SqliteDeviceStore implements DeviceStore {
  constructor(
    private readonly db: SqliteConnection,
    private readonly healthStore: SqliteDeviceHealth,
  ) {}

  insert(d: DeviceRecord): void {
    this.db
      .prepare(
        `INSERT INTO devices (id, profile_id, patient_nhs, serial, secret_hash, status, created_at, ble_address)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(d.id, d.profileId, d.patientNhs, d.serial ?? null, d.secretHash, d.status, d.createdAtMs, d.bleAddress ?? null);
  }

  get(id: string): DeviceRecord | undefined {
    const r = this.db.prepare('SELECT * FROM devices WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    return r === undefined ? undefined : toRecord(r);
  }

  list(filter: { patientNhs?: string } = {}): DeviceRecord[] {
    // A patient's devices through the patient index (the web app asks once per patient listed).
    const rows = (
      filter.patientNhs === undefined
        ? this.db.prepare('SELECT * FROM devices ORDER BY created_at, id').all()
        : (this.ofPatient ??= this.db.prepare('SELECT * FROM devices WHERE patient_nhs = ? ORDER BY created_at, id')).all(filter.patientNhs)
    ) as Record<string, unknown>[];
    return rows.map(toRecord);
  }

  private ofPatient: ReturnType<SqliteConnection['prepare']> | undefined;

  setSecretHash(id: string, secretHash: string, atMs: number): boolean {
    return (
      this.db
        .prepare(`UPDATE devices SET secret_hash = ?, secret_rotated_at = ? WHERE id = ? AND status = 'active'`)
        .run(secretHash, atMs, id).changes === 1
    );
  }

  revoke(id: string, atMs: number): boolean {
    return (
      this.db.prepare(`UPDATE devices SET status = 'revoked', revoked_at = ? WHERE id = ? AND status = 'active'`).run(atMs, id)
        .changes === 1
    );
  }

  revokedSince(sinceMs: number): string[] {
    const rows = this.db.prepare(`SELECT id FROM devices WHERE status = 'revoked' AND revoked_at >= ?`).all(sinceMs) as { id: string }[];
    return rows.map((r) => r.id);
  }

  recordCursor(id: string): number | undefined {
    const r = this.db.prepare('SELECT last_sequence FROM ble_record_cursors WHERE device_id = ?').get(id) as { last_sequence: number } | undefined;
    return r?.last_sequence;
  }

  /** Only ever moves forward: a late answer from an older download cannot rewind it. */
  setRecordCursor(id: string, lastSequence: number, atMs: number): void {
    this.db
      .prepare(
        `INSERT INTO ble_record_cursors (device_id, last_sequence, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET last_sequence = MAX(last_sequence, excluded.last_sequence), updated_at = excluded.updated_at`,
      )
      .run(id, lastSequence, atMs);
  }

  /** Active devices with the time of their latest reading (undefined: none yet). */
  activity(): DeviceActivity[] {
    const rows = this.db
      .prepare(
        `SELECT d.id AS deviceId, d.profile_id AS profileId, d.patient_nhs AS patientNhs, d.created_at AS createdAtMs, h.last_reading_at AS lastReadingAtMs
         FROM devices d LEFT JOIN device_health h ON h.device_id = d.id WHERE d.status = 'active' ORDER BY d.id`,
      )
      .all() as (Omit<DeviceActivity, 'lastReadingAtMs'> & { lastReadingAtMs: number | null })[];
    return rows.map((r) => ({ ...r, lastReadingAtMs: r.lastReadingAtMs ?? undefined }));
  }

  health(id: string): DeviceHealth | undefined {
    return this.healthStore.get(id);
  }
}

function toRecord(r: Record<string, unknown>): DeviceRecord {
  return {
    id: r['id'] as string,
    profileId: r['profile_id'] as string,
    patientNhs: r['patient_nhs'] as string,
    serial: (r['serial'] as string | null) ?? undefined,
    secretHash: r['secret_hash'] as string,
    status: r['status'] as 'active' | 'revoked',
    createdAtMs: r['created_at'] as number,
    revokedAtMs: (r['revoked_at'] as number | null) ?? undefined,
    secretRotatedAtMs: (r['secret_rotated_at'] as number | null) ?? undefined,
    bleAddress: (r['ble_address'] as string | null) ?? undefined,
  };
}
