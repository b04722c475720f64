import type { ClinicianRecord, ClinicianStore } from '../clinician-store.js';
import type { SqliteConnection } from './database.js';

export type { AccountRole, ClinicianRecord } from '../clinician-store.js';

const COLUMNS = 'id, name, secret_hash AS secretHash, status, role, webhook_url AS webhookUrl, created_at AS createdAtMs';
const toRecord = (r: unknown): ClinicianRecord => {
  const c = r as ClinicianRecord & { webhookUrl: string | null };
  return { ...c, webhookUrl: c.webhookUrl ?? undefined };
};

/** Clinician accounts and the patients assigned to each. */
export class SqliteClinicians implements ClinicianStore {
  constructor(private readonly db: SqliteConnection) {}

  insert(c: ClinicianRecord): void {
    this.db
      .prepare('INSERT INTO clinicians (id, name, secret_hash, status, role, webhook_url, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(c.id, c.name, c.secretHash, c.status, c.role, c.webhookUrl ?? null, c.createdAtMs);
  }

  get(id: string): ClinicianRecord | undefined {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM clinicians WHERE id = ?`).get(id);
    return r === undefined ? undefined : toRecord(r);
  }

  list(): ClinicianRecord[] {
    return this.db.prepare(`SELECT ${COLUMNS} FROM clinicians ORDER BY id`).all().map(toRecord);
  }

  /** An account that can no longer sign in (its sessions end at their next request; its broker connection is closed). */
  revoke(id: string, atMs: number): boolean {
    return this.db.prepare(`UPDATE clinicians SET status = 'revoked', revoked_at = ? WHERE id = ? AND status = 'active'`).run(atMs, id).changes === 1;
  }

  /** Accounts revoked at or after `sinceMs`. */
  revokedSince(sinceMs: number): string[] {
    return (this.db.prepare(`SELECT id FROM clinicians WHERE status = 'revoked' AND revoked_at >= ?`).all(sinceMs) as { id: string }[]).map((r) => r.id);
  }

  /** Idempotent. */
  assign(clinicianId: string, patientNhs: string, atMs: number): void {
    this.db.prepare('INSERT OR IGNORE INTO clinician_patients (clinician_id, patient_nhs, assigned_at) VALUES (?, ?, ?)').run(clinicianId, patientNhs, atMs);
  }

  unassign(clinicianId: string, patientNhs: string): boolean {
    return this.db.prepare('DELETE FROM clinician_patients WHERE clinician_id = ? AND patient_nhs = ?').run(clinicianId, patientNhs).changes === 1;
  }

  patientsOf(clinicianId: string): string[] {
    return (this.db.prepare('SELECT patient_nhs AS p FROM clinician_patients WHERE clinician_id = ? ORDER BY patient_nhs').all(clinicianId) as { p: string }[]).map((r) => r.p);
  }

  /** Active clinicians looking after a patient. */
  cliniciansOf(patientNhs: string): ClinicianRecord[] {
    const rows = this.db
      .prepare(`SELECT ${COLUMNS.replace(/(^|, )/g, '$1c.')} FROM clinician_patients a JOIN clinicians c ON c.id = a.clinician_id WHERE a.patient_nhs = ? AND c.status = 'active' ORDER BY c.id`)
      .all(patientNhs);
    return rows.map(toRecord);
  }
}
