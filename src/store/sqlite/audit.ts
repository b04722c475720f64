import type { AuditFilter, AuditTrail, StoredAuditEntry } from '../care-views.js';
import type { AuditEntry, PatientReview } from '../reading-store.js';
import type { SqliteConnection, SqliteStatement } from './database.js';

export type { AuditFilter, StoredAuditEntry } from '../care-views.js';

/** The audit trail and patients' "reviewed" marks, written inside the commit transaction. */
export class SqliteAudit implements AuditTrail {
  private readonly insertStmt: SqliteStatement;
  private readonly reviewStmt: SqliteStatement;
  private readonly listStmt: SqliteStatement;
  private readonly reviewOfStmt: SqliteStatement;

  constructor(private readonly db: SqliteConnection) {
    this.insertStmt = db.prepare('INSERT INTO audit (at, actor, role, action, patient_nhs, target, address, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.reviewStmt = db.prepare('INSERT INTO patient_reviews (patient_nhs, by, at) VALUES (?, ?, ?) ON CONFLICT (patient_nhs) DO UPDATE SET by = excluded.by, at = excluded.at');
    this.listStmt = db.prepare(
      `SELECT id, at AS atMs, actor, role, action, patient_nhs AS patientNhs, target, address, outcome FROM audit
       WHERE (@patient IS NULL OR patient_nhs = @patient) AND (@actor IS NULL OR actor = @actor) AND (@since IS NULL OR at >= @since) AND (@before IS NULL OR id < @before)
       ORDER BY id DESC LIMIT @limit`,
    );
    this.reviewOfStmt = db.prepare('SELECT patient_nhs AS patientNhs, by, at AS atMs FROM patient_reviews WHERE patient_nhs = ?');
  }

  /** Call inside the commit transaction. */
  apply(audit: readonly AuditEntry[], reviews: readonly PatientReview[]): void {
    for (const a of audit) this.insertStmt.run(a.atMs, a.actor, a.role, a.action, a.patientNhs ?? null, a.target ?? null, a.address ?? null, a.outcome);
    for (const r of reviews) this.reviewStmt.run(r.patientNhs, r.by, r.atMs);
  }

  /** Newest first. */
  list(f: AuditFilter = {}): StoredAuditEntry[] {
    const rows = this.listStmt.all({ patient: f.patientNhs ?? null, actor: f.actor ?? null, since: f.sinceMs ?? null, before: f.beforeId ?? null, limit: f.limit ?? 100 }) as (StoredAuditEntry & {
      patientNhs: string | null;
      target: string | null;
      address: string | null;
    })[];
    return rows.map((r) => ({ ...r, patientNhs: r.patientNhs ?? undefined, target: r.target ?? undefined, address: r.address ?? undefined }));
  }

  lastReview(patientNhs: string): PatientReview | undefined {
    return this.reviewOfStmt.get(patientNhs) as PatientReview | undefined;
  }

  /** Every patient's latest review (for the triage list). */
  reviews(): Map<string, PatientReview> {
    const rows = this.db.prepare('SELECT patient_nhs AS patientNhs, by, at AS atMs FROM patient_reviews').all() as PatientReview[];
    return new Map(rows.map((r) => [r.patientNhs, r]));
  }
}
