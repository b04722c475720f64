import type { PatientOverride, PatientSettings, PatientStore } from '../patient-store.js';
import { overrideFromRow, settingsFromRow } from '../rows.js';
import type { SqliteConnection } from './database.js';


/** Per-patient overrides and settings, each kept with who set it and when. */
export class SqlitePatients implements PatientStore {
  constructor(private readonly db: SqliteConnection) {}

  setOverride(o: PatientOverride): void {
    this.db
      .prepare(
        `INSERT INTO patient_overrides (patient_nhs, rule_id, above, below, clear_at, set_by, set_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (patient_nhs, rule_id) DO UPDATE SET above = excluded.above, below = excluded.below, clear_at = excluded.clear_at,
           set_by = excluded.set_by, set_at = excluded.set_at`,
      )
      .run(o.patientNhs, o.ruleId, o.above ?? null, o.below ?? null, o.clearAt ?? null, o.setBy, o.setAtMs);
  }

  removeOverride(patientNhs: string, ruleId: string): boolean {
    return this.db.prepare('DELETE FROM patient_overrides WHERE patient_nhs = ? AND rule_id = ?').run(patientNhs, ruleId).changes === 1;
  }

  /** Every override, for the rules engine's cache. */
  overrides(patientNhs?: string): PatientOverride[] {
    const rows = this.db.prepare('SELECT * FROM patient_overrides WHERE (@p IS NULL OR patient_nhs = @p) ORDER BY patient_nhs, rule_id').all({ p: patientNhs ?? null }) as Record<string, unknown>[];
    return rows.map(overrideFromRow);
  }

  setSettings(s: PatientSettings): void {
    this.db
      .prepare(
        `INSERT INTO patient_settings (patient_nhs, spo2_scale, set_by, set_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (patient_nhs) DO UPDATE SET spo2_scale = excluded.spo2_scale, set_by = excluded.set_by, set_at = excluded.set_at`,
      )
      .run(s.patientNhs, s.spo2Scale, s.setBy, s.setAtMs);
  }

  /** Every patient's settings (for caches). */
  allSettings(): PatientSettings[] {
    return (this.db.prepare('SELECT patient_nhs, spo2_scale, set_by, set_at FROM patient_settings').all() as Record<string, unknown>[]).map(settingsFromRow);
  }

  settings(patientNhs: string): PatientSettings | undefined {
    const r = this.db.prepare('SELECT * FROM patient_settings WHERE patient_nhs = ?').get(patientNhs) as Record<string, unknown> | undefined;
    return r === undefined ? undefined : settingsFromRow(r);
  }
}
