import type { Issue } from '../domain/index.js';
import type { ClinicianRecord } from './clinician-store.js';
import type { DeviceHealth } from './device-store.js';
import type { PatientOverride, PatientSettings } from './patient-store.js';
import type { AlertRecord, AlertState, ReadingStatus, StoredDeadLetter, StoredReading } from './reading-store.js';

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

export function alertFromRow(r: Row): AlertRecord {
  return {
    id: r['id'] as string,
    key: r['key'] as string,
    patientNhs: r['patient_nhs'] as string,
    deviceId: opt(r['device_id']),
    ruleId: r['rule_id'] as string,
    severity: r['severity'] as AlertRecord['severity'],
    state: r['state'] as AlertState,
    message: r['message'] as string,
    value: opt(r['value']),
    openedAtMs: r['opened_at'] as number,
    updatedAtMs: r['updated_at'] as number,
    escalationLevel: r['escalation_level'] as number,
    snoozedUntilMs: opt(r['snoozed_until']),
    observationId: opt(r['observation_id']),
    assignedTo: opt(r['assigned_to']),
    sampleAtMs: opt(r['sample_at']),
  };
}

export function overrideFromRow(r: Row): PatientOverride {
  return {
    patientNhs: r['patient_nhs'] as string,
    ruleId: r['rule_id'] as string,
    above: opt(r['above']),
    below: opt(r['below']),
    clearAt: opt(r['clear_at']),
    setBy: r['set_by'] as string,
    setAtMs: r['set_at'] as number,
  };
}

export function settingsFromRow(r: Row): PatientSettings {
  return { patientNhs: r['patient_nhs'] as string, spo2Scale: Number(r['spo2_scale']) as 1 | 2, setBy: r['set_by'] as string, setAtMs: r['set_at'] as number };
}

export function clinicianFromRow(r: Row): ClinicianRecord {
  return {
    id: r['id'] as string,
    name: r['name'] as string,
    secretHash: r['secret_hash'] as string,
    status: r['status'] as ClinicianRecord['status'],
    role: r['role'] as ClinicianRecord['role'],
    webhookUrl: opt(r['webhook_url']),
    createdAtMs: r['created_at'] as number,
  };
}

export function storedReadingFromRow(r: Row): StoredReading {
  return {
    id: r['id'] as number,
    idempotencyKey: r['reading_key'] as string,
    deviceId: r['device_id'] as string,
    patientNhs: r['patient_nhs'] as string,
    profileId: r['profile_id'] as string,
    metric: r['metric'] as string,
    value: r['value'] as number,
    unit: r['unit'] as string,
    sourceUnit: opt(r['source_unit']),
    takenAtMs: r['taken_at'] as number,
    deviceTakenAtMs: r['device_taken_at'] as number,
    receivedAtMs: r['received_at'] as number,
    clockOffsetMs: opt(r['clock_offset_ms']),
    messageId: opt(r['message_id']),
    ...(r['payload_sha256'] !== null && r['payload_sha256'] !== undefined ? { payloadSha256: r['payload_sha256'] as string } : {}),
    status: r['status'] as ReadingStatus,
    ...(r['first_value'] !== null && r['first_value'] !== undefined ? { firstValue: r['first_value'] as number } : {}),
  };
}
