import type { AsyncPort } from '../async-port.js';
import type { PatientOverride, PatientSettings, PatientStore } from '../patient-store.js';
import { overrideFromRow, settingsFromRow } from '../rows.js';
import { columns } from './columns.js';
import type { PgQueryable } from './database.js';

/** Per-patient overrides and settings on PostgreSQL, each kept with who set it and when. */
export class PgPatients implements AsyncPort<PatientStore> {
  constructor(private readonly db: PgQueryable) {}

  async setOverride(o: PatientOverride): Promise<void> {
    await this.db.execute(
      `INSERT INTO patient_overrides (patient_nhs, rule_id, above, below, clear_at, set_by, set_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (patient_nhs, rule_id) DO UPDATE SET above = excluded.above, below = excluded.below, clear_at = excluded.clear_at,
         set_by = excluded.set_by, set_at = excluded.set_at`,
      [o.patientNhs, o.ruleId, o.above ?? null, o.below ?? null, o.clearAt ?? null, o.setBy, o.setAtMs],
    );
  }

  async removeOverride(patientNhs: string, ruleId: string): Promise<boolean> {
    return (await this.db.execute('DELETE FROM patient_overrides WHERE patient_nhs = $1 AND rule_id = $2', [patientNhs, ruleId])) === 1;
  }

  async overrides(patientNhs?: string): Promise<PatientOverride[]> {
    return (await this.db.query(`SELECT ${columns('patient_overrides')} FROM patient_overrides WHERE ($1::text IS NULL OR patient_nhs = $1) ORDER BY patient_nhs, rule_id`, [patientNhs ?? null])).map(overrideFromRow);
  }

  async setSettings(s: PatientSettings): Promise<void> {
    await this.db.execute(
      `INSERT INTO patient_settings (patient_nhs, spo2_scale, set_by, set_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (patient_nhs) DO UPDATE SET spo2_scale = excluded.spo2_scale, set_by = excluded.set_by, set_at = excluded.set_at`,
      [s.patientNhs, s.spo2Scale, s.setBy, s.setAtMs],
    );
  }

  async allSettings(): Promise<PatientSettings[]> {
    return (await this.db.query(`SELECT ${columns('patient_settings')} FROM patient_settings ORDER BY patient_nhs`)).map(settingsFromRow);
  }

  async settings(patientNhs: string): Promise<PatientSettings | undefined> {
    const [r] = await this.db.query(`SELECT ${columns('patient_settings')} FROM patient_settings WHERE patient_nhs = $1`, [patientNhs]);
    return r === undefined ? undefined : settingsFromRow(r);
  }
}
