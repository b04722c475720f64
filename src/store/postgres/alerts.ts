import { GatewayError } from '../../domain/index.js';
import type { AsyncPort } from '../async-port.js';
import type { AlertChange, AlertEvent, AlertRecord, AlertState, AlertStore, BreachStart } from '../reading-store.js';
import { alertFromRow } from '../rows.js';
import { columns } from './columns.js';
import type { PgQueryable } from './database.js';

/** PostgreSQL's unique_violation. */
const UNIQUE_VIOLATION = '23505';

/**
 * In key order (a stable sort: one condition's changes keep theirs), the same on every gateway, so
 * two commits touching the same conditions wait for each other and never deadlock: unordered, a
 * commit opening alerts for two patients and another opening them in the other order each waited
 * on the other's insert until PostgreSQL's deadlock check failed one of them.
 */
const byKey = <T>(items: readonly T[], key: (item: T) => string): T[] => [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

/**
 * Alerts and their trail on PostgreSQL, serialised per condition among gateways sharing the store:
 * the partial unique index on unresolved alerts' keys refuses a second open alert for one condition
 * whichever gateway plans it, and a change planned on an alert as it stood (`ifUpdatedAtMs`) is
 * refused once another gateway changed it. Either refusal fails the whole commit with
 * `GW_ALERT_CONFLICT`, and the commit queue plans it afresh on what the store now holds.
 */
export class PgAlerts implements AsyncPort<AlertStore> {
  constructor(private readonly db: PgQueryable) {}

  async apply(changes: readonly AlertChange[]): Promise<void> {
    for (const { alert, by, note, ifUpdatedAtMs } of byKey(changes, (c) => c.alert.key)) {
      const written = await this.db.execute(
        `INSERT INTO alerts (id, key, patient_nhs, device_id, rule_id, severity, state, message, value, opened_at, updated_at, escalation_level, snoozed_until, observation_id, assigned_to, sample_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $17)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, severity = excluded.severity, message = excluded.message, value = excluded.value, updated_at = excluded.updated_at,
           escalation_level = GREATEST(alerts.escalation_level, excluded.escalation_level), snoozed_until = COALESCE(excluded.snoozed_until, alerts.snoozed_until),
           assigned_to = COALESCE(excluded.assigned_to, alerts.assigned_to), sample_at = COALESCE(excluded.sample_at, alerts.sample_at)
         WHERE $16::bigint IS NULL OR alerts.updated_at = $16`,
        [
          alert.id,
          alert.key,
          alert.patientNhs,
          alert.deviceId ?? null,
          alert.ruleId,
          alert.severity,
          alert.state,
          alert.message,
          alert.value ?? null,
          alert.openedAtMs,
          alert.updatedAtMs,
          alert.escalationLevel ?? 0,
          alert.snoozedUntilMs ?? null,
          alert.observationId ?? null,
          alert.assignedTo ?? null,
          ifUpdatedAtMs ?? null,
          alert.sampleAtMs ?? null,
        ],
      ).catch((error: unknown) => {
        if ((error as { code?: string }).code === UNIQUE_VIOLATION && (error as { constraint?: string }).constraint === 'alerts_unresolved') {
          throw new GatewayError('GW_ALERT_CONFLICT', `another gateway opened an alert on ${alert.ruleId} for this patient first`, { cause: error });
        }
        throw error;
      });
      if (written === 0) throw new GatewayError('GW_ALERT_CONFLICT', `another gateway changed alert ${alert.id} after this change was planned`);
      await this.db.execute('INSERT INTO alert_events (alert_id, at, state, by, note) VALUES ($1, $2, $3, $4, $5)', [alert.id, alert.updatedAtMs, alert.state, by, note ?? null]);
    }
  }

  async applyBreaches(breaches: readonly BreachStart[]): Promise<void> {
    for (const b of byKey(breaches, (x) => x.key)) {
      if (b.sinceMs === undefined) await this.db.execute('DELETE FROM alert_breaches WHERE key = $1', [b.key]);
      else await this.db.execute('INSERT INTO alert_breaches (key, since_at) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET since_at = excluded.since_at', [b.key, b.sinceMs]);
    }
  }

  async breaches(): Promise<BreachStart[]> {
    return (await this.db.query('SELECT key, since_at FROM alert_breaches ORDER BY key')).map((r) => ({ key: r['key'] as string, sinceMs: r['since_at'] as number }));
  }

  /** These patients' unresolved alerts and running breaches (every patient's: undefined), as they stand. */
  async conditionsOf(patients: readonly string[] | undefined, options: { breaches: boolean } = { breaches: true }): Promise<{ alerts: AlertRecord[]; breaches: BreachStart[] }> {
    if (patients === undefined) return { alerts: await this.unresolved(), breaches: options.breaches ? await this.breaches() : [] };
    if (patients.length === 0) return { alerts: [], breaches: [] };
    const [alerts, breaches] = await Promise.all([
      // Joined on the patients (not `= ANY`), so the prepared statement's plan uses the patient index.
      this.db.query(`SELECT ${columns('alerts', 'a')} FROM unnest($1::text[]) AS p (nhs) JOIN alerts a ON a.patient_nhs = p.nhs WHERE a.state != 'resolved' ORDER BY a.opened_at, a.id`, [patients]),
      // A breach's key starts with its patient's NHS number: `<patient>|<device>|<rule>`.
      options.breaches ? this.db.query(`SELECT key, since_at FROM alert_breaches WHERE split_part(key, '|', 1) = ANY($1::text[]) ORDER BY key`, [patients]) : [],
    ]);
    return { alerts: alerts.map(alertFromRow), breaches: breaches.map((r) => ({ key: r['key'] as string, sinceMs: r['since_at'] as number })) };
  }

  async unresolved(): Promise<AlertRecord[]> {
    return (await this.db.query(`SELECT ${columns('alerts')} FROM alerts WHERE state != 'resolved' ORDER BY opened_at, id`)).map(alertFromRow);
  }

  async get(id: string): Promise<AlertRecord | undefined> {
    const [r] = await this.db.query(`SELECT ${columns('alerts')} FROM alerts WHERE id = $1`, [id]);
    return r === undefined ? undefined : alertFromRow(r);
  }

  async list(filter: { patientNhs?: string | undefined; open?: boolean | undefined; limit?: number | undefined } = {}): Promise<AlertRecord[]> {
    const rows = await this.db.query(
      `SELECT ${columns('alerts')} FROM alerts WHERE ($1::text IS NULL OR patient_nhs = $1) AND (NOT $2 OR state != 'resolved') ORDER BY opened_at DESC, id LIMIT $3`,
      [filter.patientNhs ?? null, filter.open === true, filter.limit ?? null],
    );
    return rows.map(alertFromRow);
  }

  async events(id: string): Promise<AlertEvent[]> {
    const rows = await this.db.query('SELECT at, state, by, note FROM alert_events WHERE alert_id = $1 ORDER BY id', [id]);
    return rows.map((r) => ({ at: r['at'] as number, state: r['state'] as AlertState, by: r['by'] as string, note: (r['note'] as string | null) ?? undefined }));
  }
}
