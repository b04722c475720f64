import type { DeviceHealth } from '../device-store.js';
import type { HealthUpdate } from '../reading-store.js';
import { healthFromRow } from '../rows.js';
import type { SqliteConnection, SqliteStatement } from './database.js';

/** Per-device last-seen and health record, upserted inside the commit transaction. */
export class SqliteDeviceHealth {
  private readonly upsertStmt: SqliteStatement;
  private readonly getStmt: SqliteStatement;

  constructor(db: SqliteConnection) {
    // COALESCE keeps earlier facts when an update does not carry them.
    this.upsertStmt = db.prepare(
      `INSERT INTO device_health (device_id, last_seen_at, last_reading_at, battery_pct, signal_dbm, firmware,
                                  clock_offset_ms, clock_drift, status_at)
       VALUES (@deviceId, @seenAt, @readingAt, @battery, @signal, @firmware, @offset, COALESCE(@drift, 0), @statusAt)
       ON CONFLICT (device_id) DO UPDATE SET
         last_seen_at = MAX(COALESCE(last_seen_at, 0), excluded.last_seen_at),
         last_reading_at = COALESCE(MAX(last_reading_at, excluded.last_reading_at), last_reading_at, excluded.last_reading_at),
         battery_pct = COALESCE(excluded.battery_pct, battery_pct),
         signal_dbm = COALESCE(excluded.signal_dbm, signal_dbm),
         firmware = COALESCE(excluded.firmware, firmware),
         clock_offset_ms = COALESCE(excluded.clock_offset_ms, clock_offset_ms),
         clock_drift = COALESCE(@drift, clock_drift),
         status_at = COALESCE(excluded.status_at, status_at)`,
    );
    this.getStmt = db.prepare(`SELECT * FROM device_health WHERE device_id = ?`);
  }

  upsert(u: HealthUpdate): void {
    this.upsertStmt.run({
      deviceId: u.deviceId,
      seenAt: u.seenAtMs,
      readingAt: u.readingAtMs ?? null,
      battery: u.status?.batteryPct ?? null,
      signal: u.status?.signalDbm ?? null,
      firmware: u.status?.firmware ?? null,
      offset: u.clockOffsetMs ?? null,
      drift: u.clockDrift === undefined ? null : Number(u.clockDrift),
      statusAt: u.status === undefined ? null : u.seenAtMs,
    });
  }

  get(deviceId: string): DeviceHealth | undefined {
    const r = this.getStmt.get(deviceId) as Record<string, number | string | null> | undefined;
    return r === undefined ? undefined : healthFromRow(deviceId, r, r['clock_drift'] === 1);
  }
}
