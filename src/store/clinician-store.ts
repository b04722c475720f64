export type AccountRole = 'clinician' | 'operator' | 'admin';

export interface ClinicianRecord {
  readonly id: string;
  readonly name: string;
  readonly secretHash: string;
  readonly status: 'active' | 'revoked';
  /** clinician: their patients' data and alerts; operator: devices and outputs, no clinical values; admin: accounts and assignments. */
  readonly role: AccountRole;
  /** Where alert changes are also POSTed, signed (optional). */
  readonly webhookUrl: string | undefined;
  readonly createdAtMs: number;
}

/** Accounts (clinicians, operators, admins) and the patients each clinician looks after. */
export interface ClinicianStore {
  /** Refused if the id is taken. */
  insert(c: ClinicianRecord): void;
  get(id: string): ClinicianRecord | undefined;
  /** By id. */
  list(): ClinicianRecord[];
  /** False if it already was (or there is no such account). */
  revoke(id: string, atMs: number): boolean;
  /** Accounts revoked at or after `sinceMs`. */
  revokedSince(sinceMs: number): string[];
  /** Idempotent. */
  assign(clinicianId: string, patientNhs: string, atMs: number): void;
  /** False if the patient was not theirs. */
  unassign(clinicianId: string, patientNhs: string): boolean;
  /** By NHS number. */
  patientsOf(clinicianId: string): string[];
  /** Active accounts looking after the patient, by id. */
  cliniciansOf(patientNhs: string): ClinicianRecord[];
}
