import type { OptOutState, OptOutStore, ResearchValue } from '../care-views.js';
import type { SqliteConnection, SqliteStatement } from './database.js';
import { INDEXED } from './reading-queries.js';

export type { OptOutState, ResearchValue } from '../care-views.js';


/**
 * Research opt-outs, and the reads a research extract streams: which patients have readings in a
 * period, and each one's values in time order (one patient at a time, so memory stays bounded).
 */
export class SqliteResearch implements OptOutStore {
  private readonly getStmt: SqliteStatement;
  private readonly setStmt: SqliteStatement;
  private readonly patientsStmt: SqliteStatement;
  private readonly valuesStmt: SqliteStatement;
  private readonly listStmt: SqliteStatement;
  private readonly knownStmt: SqliteStatement;
  private readonly setMany: (states: readonly OptOutState[]) => number;

  constructor(db: SqliteConnection) {
    this.listStmt = db.prepare('SELECT patient_nhs AS patientNhs, opted_out AS optedOut, set_at AS setAtMs, source FROM research_opt_outs ORDER BY patient_nhs');
    this.knownStmt = db.prepare('SELECT DISTINCT patient_nhs FROM devices ORDER BY patient_nhs').pluck();
    this.setMany = db.transaction((states: readonly OptOutState[]) => {
      let changed = 0;
      for (const s of states) if (this.setOptOut(s)) changed++;
      return changed;
    });
    this.getStmt = db.prepare('SELECT patient_nhs AS patientNhs, opted_out AS optedOut, set_at AS setAtMs, source FROM research_opt_outs WHERE patient_nhs = ?');
    // Upsert that reports whether anything changed: unchanged state (and source) is left as it was.
    this.setStmt = db.prepare(
      `INSERT INTO research_opt_outs (patient_nhs, opted_out, set_at, source) VALUES (?, ?, ?, ?)
       ON CONFLICT (patient_nhs) DO UPDATE SET opted_out = excluded.opted_out, set_at = excluded.set_at, source = excluded.source
       WHERE opted_out != excluded.opted_out`,
    );
    // Patients come from the devices table (a handful of rows each), then each is checked for a reading in the period through the per-patient index.
    this.patientsStmt = db.prepare(
      `SELECT p.patient_nhs FROM (SELECT DISTINCT patient_nhs FROM devices) p
       WHERE EXISTS (${INDEXED('p.patient_nhs', { profiles: '(SELECT profile_id FROM devices d WHERE d.patient_nhs = p.patient_nhs)', from: '@from', to: '@to' })})
       ORDER BY p.patient_nhs`,
    ).pluck();
    this.valuesStmt = db.prepare(
      // Corrected: this value was amended to another (a reading's other values keep theirs).
      `SELECT metric, value, unit, taken_at, profile_id, status = 'amended' AND first_value IS NOT value FROM reading_values
       WHERE id IN (${INDEXED('@patient', { from: '@from', to: '@to' })})
         AND status != 'entered-in-error' ORDER BY taken_at, metric`,
    ).raw(true);
  }

  optOut(patientNhs: string): OptOutState | undefined {
    const r = this.getStmt.get(patientNhs) as (Omit<OptOutState, 'optedOut'> & { optedOut: number }) | undefined;
    return r === undefined ? undefined : { ...r, optedOut: r.optedOut === 1 };
  }

  /** Whether the patient is opted out now (read at the moment of asking, never from a list kept elsewhere). */
  isOptedOut(patientNhs: string): boolean {
    return this.optOut(patientNhs)?.optedOut === true;
  }

  /** Sets the state; false if it already was that (the time and source of the earlier setting are kept). */
  setOptOut(s: OptOutState): boolean {
    return this.setStmt.run(s.patientNhs, s.optedOut ? 1 : 0, s.setAtMs, s.source).changes === 1;
  }

  /** Many at once, in one transaction; returns how many changed (a patient listed twice: the last stands). */
  setOptOuts(states: readonly OptOutState[]): number {
    return this.setMany([...new Map(states.map((x) => [x.patientNhs, x])).values()]);
  }

  /** Every patient whose state is recorded. */
  optOuts(): OptOutState[] {
    return (this.listStmt.all() as (Omit<OptOutState, 'optedOut'> & { optedOut: number })[]).map((r) => ({ ...r, optedOut: r.optedOut === 1 }));
  }

  /** Every patient the gateway knows (one with a device). */
  knownPatients(): string[] {
    return this.knownStmt.all() as string[];
  }

  /** Patients with a value taken in [fromMs, toMs), by NHS number. */
  patientsWithReadings(fromMs: number, toMs: number): string[] {
    return this.patientsStmt.all({ from: fromMs, to: toMs }) as string[];
  }

  /**
   * A patient's values in [fromMs, toMs), oldest first, retracted ones left out: one chunk, the
   * statement's rows as SQLite steps through them (nothing gathered first, so memory stays flat).
   */
  valueChunks(patientNhs: string, fromMs: number, toMs: number): [Iterable<ResearchValue>] {
    return [this.valuesStmt.iterate({ patient: patientNhs, from: fromMs, to: toMs }) as IterableIterator<ResearchValue>];
  }
}
