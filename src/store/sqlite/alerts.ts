import type { AlertChange, AlertEvent, AlertRecord, AlertState, AlertStore, BreachStart } from '../reading-store.js';

export type { AlertEvent } from '../reading-store.js';
import { alertFromRow } from '../rows.js';
import type { SqliteConnection, SqliteStatement } from './database.js';

/** Alerts and their audit trail, written inside the commit transaction. */
export class SqliteAlerts implements AlertStore {
  private readonly upsertStmt: SqliteStatement;
  private readonly eventStmt: SqliteStatement;
  private readonly unresolvedStmt: SqliteStatement;
  private readonly getStmt: SqliteStatement;
  private readonly listStmt: SqliteStatement;
  private readonly eventsStmt: SqliteStatement;
  private readonly breachStmt: SqliteStatement;
  private readonly breachEndStmt: SqliteStatement;
  private readonly breachesStmt: SqliteStatement;

  constructor(db: SqliteConnection) {
    this.upsertStmt = db.prepare(
      `INSERT INTO alerts (id, key, patient_nhs, device_id, rule_id, severity, state, message, value, opened_at, updated_at, escalation_level, snoozed_until, observation_id, assigned_to, sample_at)
       VALUES (@id, @key, @patientNhs, @deviceId, @ruleId, @severity, @state, @message, @value, @openedAtMs, @updatedAtMs, @escalationLevel, @snoozedUntilMs, @observationId, @assignedTo, @sampleAtMs)
       ON CONFLICT (id) DO UPDATE SET state = excluded.state, severity = excluded.severity, message = excluded.message, value = excluded.value, updated_at = excluded.updated_at,
         escalation_level = MAX(escalation_level, excluded.escalation_level), snoozed_until = COALESCE(excluded.snoozed_until, snoozed_until),
         assigned_to = COALESCE(excluded.assigned_to, assigned_to), sample_at = COALESCE(excluded.sample_at, sample_at)`,
    );
    this.eventStmt = db.prepare('INSERT INTO alert_events (alert_id, at, state, by, note) VALUES (?, ?, ?, ?, ?)');
    this.unresolvedStmt = db.prepare(`SELECT * FROM alerts WHERE state != 'resolved' ORDER BY opened_at`);
    this.getStmt = db.prepare('SELECT * FROM alerts WHERE id = ?');
    this.listStmt = db.prepare(
      `SELECT * FROM alerts WHERE (@patient IS NULL OR patient_nhs = @patient) AND (@open = 0 OR state != 'resolved') ORDER BY opened_at DESC, id LIMIT @limit`,
    );
    this.eventsStmt = db.prepare('SELECT at, state, by, note FROM alert_events WHERE alert_id = ? ORDER BY id');
    this.breachStmt = db.prepare('INSERT INTO alert_breaches (key, since_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET since_at = excluded.since_at');
    this.breachEndStmt = db.prepare('DELETE FROM alert_breaches WHERE key = ?');
    this.breachesStmt = db.prepare('SELECT key, since_at AS sinceMs FROM alert_breaches ORDER BY key');
  }

  /** Call inside the commit transaction. */
  apply(changes: readonly AlertChange[]): void {
    for (const { alert, by, note } of changes) {
      this.upsertStmt.run({ ...alert, deviceId: alert.deviceId ?? null, value: alert.value ?? null, escalationLevel: alert.escalationLevel ?? 0, snoozedUntilMs: alert.snoozedUntilMs ?? null, observationId: alert.observationId ?? null, assignedTo: alert.assignedTo ?? null, sampleAtMs: alert.sampleAtMs ?? null });
      this.eventStmt.run(alert.id, alert.updatedAtMs, alert.state, by, note ?? null);
    }
  }

  /** Call inside the commit transaction: breaches begun and ended, in order. */
  applyBreaches(breaches: readonly BreachStart[]): void {
    for (const b of breaches) {
      if (b.sinceMs === undefined) this.breachEndStmt.run(b.key);
      else this.breachStmt.run(b.key, b.sinceMs);
    }
  }

  /** Running breaches of duration rules (the rules engine's state after a restart). */
  breaches(): BreachStart[] {
    return this.breachesStmt.all() as BreachStart[];
  }

  /** Every alert not yet resolved (the rules engine's state after a restart). */
  unresolved(): AlertRecord[] {
    return (this.unresolvedStmt.all() as Record<string, unknown>[]).map(alertFromRow);
  }

  get(id: string): AlertRecord | undefined {
    const r = this.getStmt.get(id) as Record<string, unknown> | undefined;
    return r === undefined ? undefined : alertFromRow(r);
  }

  list(filter: { patientNhs?: string | undefined; open?: boolean | undefined; limit?: number | undefined } = {}): AlertRecord[] {
    const rows = this.listStmt.all({ patient: filter.patientNhs ?? null, open: filter.open === true ? 1 : 0, limit: filter.limit ?? -1 }) as Record<string, unknown>[];
    return rows.map(alertFromRow);
  }

  /** An alert's changes, oldest first. */
  events(id: string): AlertEvent[] {
    return (this.eventsStmt.all(id) as { at: number; state: AlertState; by: string; note: string | null }[]).map((e) => ({ ...e, note: e.note ?? undefined }));
  }
}
