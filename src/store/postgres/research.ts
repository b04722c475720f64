import type { AsyncPort } from '../async-port.js';
import type { OptOutState, OptOutStore, ResearchValue } from '../care-views.js';
import type { PgQueryable, PgRow } from './database.js';

const optOut = (r: PgRow): OptOutState => ({ patientNhs: String(r['patient_nhs']), optedOut: r['opted_out'] === true, setAtMs: Number(r['set_at']), source: String(r['source']) });

/** Values handed over at a time by `valueChunks`: readings read per page (a few values each). */
const READINGS_PER_PAGE = 2_000;

/**
 * Patients' research opt-outs on PostgreSQL, and what research extracts and summaries read: the
 * patients with values in a period, and each one's values, a page at a time in (time, id) order,
 * so memory stays bounded however long the period.
 */
export class PgResearch implements AsyncPort<OptOutStore> {
  constructor(private readonly db: PgQueryable) {}

  async isOptedOut(patientNhs: string): Promise<boolean> {
    return (await this.optOut(patientNhs))?.optedOut === true;
  }

  /** Patients with a value taken in [fromMs, toMs), by NHS number: each checked through the (patient, profile, time) index. */
  async patientsWithReadings(fromMs: number, toMs: number): Promise<string[]> {
    const rows = await this.db.query(
      `SELECT p.patient_nhs FROM (SELECT DISTINCT patient_nhs FROM devices) p
       WHERE EXISTS (SELECT 1 FROM readings r WHERE r.patient_nhs = p.patient_nhs AND r.profile_id IN (SELECT profile_id FROM devices d WHERE d.patient_nhs = p.patient_nhs)
         AND r.taken_at >= $1 AND r.taken_at < $2)
       ORDER BY p.patient_nhs`,
      [fromMs, toMs],
    );
    return rows.map((r) => String(r['patient_nhs']));
  }

  /** A patient's values in [fromMs, toMs), oldest first, retracted ones left out; `corrected`: this value was amended to another. */
  async *valueChunks(patientNhs: string, fromMs: number, toMs: number): AsyncGenerator<ResearchValue[]> {
    let after: [takenAt: number, id: number] = [fromMs - 1, 0];
    for (;;) {
      const rows = await this.db.query(
        `SELECT r.id, r.taken_at, r.profile_id, v.key AS metric, (v.value ->> 0)::double precision AS value, v.value ->> 1 AS unit,
           (r.status = 'amended' AND (r.first_values_json ->> v.key)::double precision IS DISTINCT FROM (v.value ->> 0)::double precision) AS corrected
         FROM (SELECT id, taken_at, profile_id, status, values_json, first_values_json FROM readings
               WHERE patient_nhs = $1 AND taken_at >= $2 AND taken_at < $3 AND status != 'entered-in-error' AND (taken_at, id) > ($4, $5)
               ORDER BY taken_at, id LIMIT $6) r
         CROSS JOIN LATERAL json_each(r.values_json) WITH ORDINALITY AS v (key, value, position)
         ORDER BY r.taken_at, r.id, v.key`,
        [patientNhs, fromMs, toMs, after[0], after[1], READINGS_PER_PAGE],
      );
      if (rows.length === 0) return;
      yield rows.map((r): ResearchValue => [String(r['metric']), Number(r['value']), String(r['unit']), Number(r['taken_at']), String(r['profile_id']), r['corrected'] === true ? 1 : 0]);
      const last = rows.at(-1) as PgRow;
      after = [Number(last['taken_at']), Number(last['id'])];
      if (new Set(rows.map((r) => r['id'])).size < READINGS_PER_PAGE) return;
    }
  }

  async optOut(patientNhs: string): Promise<OptOutState | undefined> {
    const [r] = await this.db.query('SELECT patient_nhs, opted_out, set_at, source FROM research_opt_outs WHERE patient_nhs = $1', [patientNhs]);
    return r === undefined ? undefined : optOut(r);
  }

  async setOptOut(s: OptOutState): Promise<boolean> {
    // Unchanged state leaves the earlier time and source as they were.
    const changed = await this.db.execute(
      `INSERT INTO research_opt_outs (patient_nhs, opted_out, set_at, source) VALUES ($1, $2, $3, $4)
       ON CONFLICT (patient_nhs) DO UPDATE SET opted_out = excluded.opted_out, set_at = excluded.set_at, source = excluded.source
       WHERE research_opt_outs.opted_out != excluded.opted_out`,
      [s.patientNhs, s.optedOut, s.setAtMs, s.source],
    );
    return changed === 1;
  }

  async setOptOuts(states: readonly OptOutState[]): Promise<number> {
    if (states.length === 0) return 0;
    const last = [...new Map(states.map((x) => [x.patientNhs, x])).values()];
    // One statement: all or none.
    return this.db.execute(
      `INSERT INTO research_opt_outs (patient_nhs, opted_out, set_at, source) SELECT * FROM unnest($1::text[], $2::boolean[], $3::bigint[], $4::text[])
       ON CONFLICT (patient_nhs) DO UPDATE SET opted_out = excluded.opted_out, set_at = excluded.set_at, source = excluded.source
       WHERE research_opt_outs.opted_out != excluded.opted_out`,
      [last.map((x) => x.patientNhs), last.map((x) => x.optedOut), last.map((x) => x.setAtMs), last.map((x) => x.source)],
    );
  }

  async knownPatients(): Promise<string[]> {
    return (await this.db.query('SELECT DISTINCT patient_nhs FROM devices ORDER BY patient_nhs', [])).map((r) => String(r['patient_nhs']));
  }

  async optOuts(): Promise<OptOutState[]> {
    return (await this.db.query('SELECT patient_nhs, opted_out, set_at, source FROM research_opt_outs ORDER BY patient_nhs')).map(optOut);
  }
}
