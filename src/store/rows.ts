import type { Issue } from '../domain/index.js';
import type { DeviceHealth } from './device-store.js';
import type { StoredDeadLetter } from './reading-store.js';

/**
 * Rows of the tables both SQL adapters share (the same columns in SQLite and PostgreSQL) turned into
 * records. What differs by engine comes in already decoded: JSON issues, a boolean flag.
 */
type Row = Record<string, unknown>;

const opt = <T>(v: unknown): T | undefined => (v === null || v === undefined ? undefined : (v as T));

export function deadLetterFromRow(r: Row, issues: Issue[]): StoredDeadLetter {
  return {
    id: r['id'] as number,
    deviceId: opt(r['device_id']),
    topic: r['topic'] as string,
    receivedAtMs: r['received_at'] as number,
    payload: r['payload'] as Buffer,
    payloadBytes: r['payload_bytes'] as number,
    payloadSha256: r['payload_sha256'] as string,
    issues,
  };
}

export function healthFromRow(deviceId: string, r: Row, clockDrift: boolean): DeviceHealth {
  return {
    deviceId,
    lastSeenAtMs: opt(r['last_seen_at']),
    lastReadingAtMs: opt(r['last_reading_at']),
    batteryPct: opt(r['battery_pct']),
    signalDbm: opt(r['signal_dbm']),
    firmware: opt(r['firmware']),
    clockOffsetMs: opt(r['clock_offset_ms']),
    clockDrift,
  };
}
