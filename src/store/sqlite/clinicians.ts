import type { SqliteConnection } from './database.js';

export interface ClinicianRecord {
  readonly id: string;
  readonly name: string;
  readonly secretHash: string;
  readonly status: 'active' | 'revoked';
  readonly createdAtMs: number;
}

/** Clinician accounts and the patients assigned to each. */
export class SqliteClinicians {
  constructor(private readonly db: SqliteConnection) {}

  insert(c: ClinicianRecord): void {
    this.db.prepare('INSERT INTO clinicians (id, name, secret_hash, status, created_at) VALUES (?, ?, ?, ?, ?)').run(c.id, c.name, c.secretHash, c.status, c.createdAtMs);
  }

  get(id: string): ClinicianRecord | undefined {
    const r = this.db.prepare('SELECT id, name, secret_hash AS secretHash, status, created_at AS createdAtMs FROM clinicians WHERE id = ?').get(id);
    return r as ClinicianRecord | undefined;
  }

  list(): ClinicianRecord[] {
    return this.db.prepare('SELECT id, name, secret_hash AS secretHash, status, created_at AS createdAtMs FROM clinicians ORDER BY id').all() as ClinicianRecord[];
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
  cliniciansOf(patientNhs: string): string[] {
    const rows = this.db
      .prepare(`SELECT c.id FROM clinician_patients a JOIN clinicians c ON c.id = a.clinician_id WHERE a.patient_nhs = ? AND c.status = 'active' ORDER BY c.id`)
      .all(patientNhs) as { id: string }[];
    return rows.map((r) => r.id);
  }
}
