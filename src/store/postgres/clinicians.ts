import type { AsyncPort } from '../async-port.js';
import type { ClinicianRecord, ClinicianStore } from '../clinician-store.js';
import { clinicianFromRow } from '../rows.js';
import { columns } from './columns.js';
import type { PgQueryable } from './database.js';

/** Accounts and the patients assigned to each, on PostgreSQL. */
export class PgClinicians implements AsyncPort<ClinicianStore> {
  constructor(private readonly db: PgQueryable) {}

  async insert(c: ClinicianRecord): Promise<void> {
    await this.db.execute('INSERT INTO clinicians (id, name, secret_hash, status, role, webhook_url, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      c.id,
      c.name,
      c.secretHash,
      c.status,
      c.role,
      c.webhookUrl ?? null,
      c.createdAtMs,
    ]);
  }

  async get(id: string): Promise<ClinicianRecord | undefined> {
    const [r] = await this.db.query(`SELECT ${columns('clinicians')} FROM clinicians WHERE id = $1`, [id]);
    return r === undefined ? undefined : clinicianFromRow(r);
  }

  async list(): Promise<ClinicianRecord[]> {
    return (await this.db.query(`SELECT ${columns('clinicians')} FROM clinicians ORDER BY id`)).map(clinicianFromRow);
  }

  async revoke(id: string, atMs: number): Promise<boolean> {
    return (await this.db.execute(`UPDATE clinicians SET status = 'revoked', revoked_at = $1 WHERE id = $2 AND status = 'active'`, [atMs, id])) === 1;
  }

  async revokedSince(sinceMs: number): Promise<string[]> {
    return (await this.db.query(`SELECT id FROM clinicians WHERE status = 'revoked' AND revoked_at >= $1 ORDER BY id`, [sinceMs])).map((r) => r['id'] as string);
  }

  async assign(clinicianId: string, patientNhs: string, atMs: number): Promise<void> {
    await this.db.execute('INSERT INTO clinician_patients (clinician_id, patient_nhs, assigned_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [clinicianId, patientNhs, atMs]);
  }

  async unassign(clinicianId: string, patientNhs: string): Promise<boolean> {
    return (await this.db.execute('DELETE FROM clinician_patients WHERE clinician_id = $1 AND patient_nhs = $2', [clinicianId, patientNhs])) === 1;
  }

  async patientsOf(clinicianId: string): Promise<string[]> {
    return (await this.db.query('SELECT patient_nhs FROM clinician_patients WHERE clinician_id = $1 ORDER BY patient_nhs', [clinicianId])).map((r) => r['patient_nhs'] as string);
  }

  async cliniciansOf(patientNhs: string): Promise<ClinicianRecord[]> {
    const rows = await this.db.query(
      `SELECT ${columns('clinicians', 'c')} FROM clinician_patients a JOIN clinicians c ON c.id = a.clinician_id WHERE a.patient_nhs = $1 AND c.status = 'active' ORDER BY c.id`,
      [patientNhs],
    );
    return rows.map(clinicianFromRow);
  }
}
