import { readingKeyPrefix } from '../../domain/index.js';
import type { AsyncPort } from '../async-port.js';
import { completeLines } from '../line-protocol.js';
import { amendedValues, toReadings, type ReadingTuple } from '../reading-encoding.js';
import { CommitRollups } from '../rollups.js';
import type { CommitBatch, CommitReceipt, Correction, HealthUpdate, ReadingQuery, ReadingStore, StoredReading } from '../reading-store.js';
import { storedReadingFromRow } from '../rows.js';
import { PgAlerts } from './alerts.js';
import { columns } from './columns.js';
import type { PgDatabase, PgQueryable } from './database.js';
import { PgDeadLetters } from './dead-letters.js';
import { PgOutbox } from './outbox.js';

/**
 * ReadingStore on PostgreSQL: one row per reading, a commit in one transaction, its readings in one
 * batched INSERT (`unnest`), duplicates refused by the reading key (`ON CONFLICT DO NOTHING`), so
 * gateways on several machines sharing the database store a reading once whichever receives it.
 */
export class PgReadingStore implements AsyncPort<ReadingStore> {
  private announcer: { channel: string; payloads: (batch: CommitBatch) => readonly string[] } | undefined;

  constructor(private readonly db: PgDatabase) {}

  /**
   * Each commit also sends `payloads(batch)` on `channel` (PostgreSQL `NOTIFY`, inside the commit's
   * transaction: sent when it commits, never for one rolled back), for every listening worker.
   */
  announce(channel: string, payloads: (batch: CommitBatch) => readonly string[]): void {
    this.announcer = { channel, payloads };
  }

  async commit(batch: CommitBatch): Promise<CommitReceipt> {
    const readings = toReadings(batch.readings);
    return this.db.transaction(async (tx) => {
      const inserted = await insertReadings(tx, readings);
      await noteProfileMetrics(tx, readings.filter((_, i) => inserted[i] === true));
      for (const c of batch.corrections ?? []) await correct(tx, c);
      const deadLetters = new PgDeadLetters(tx);
      for (const d of batch.deadLetters) await deadLetters.insert(d);
      const outbox = await new PgOutbox(tx).apply(completeLines(batch.outbox ?? [], readings), batch.outboxResults ?? [], inserted, Date.now());
      for (const r of batch.derived ?? []) {
        await tx.execute(
          `INSERT INTO derived_observations (key, patient_nhs, period_start, period_end, status, content, observation, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (key) DO UPDATE SET period_end = excluded.period_end, status = excluded.status, content = excluded.content, observation = excluded.observation, updated_at = excluded.updated_at`,
          [r.key, r.patientNhs, r.periodStartMs, r.periodEndMs, r.status, r.content, r.observation ?? null, r.updatedAtMs],
        );
      }
      for (const s of batch.derivationState ?? []) {
        await tx.execute(
          `INSERT INTO derivation_state (name, last_reading_id, last_correction_id) VALUES ($1, $2, $3)
           ON CONFLICT (name) DO UPDATE SET last_reading_id = excluded.last_reading_id, last_correction_id = excluded.last_correction_id`,
          [s.name, s.lastReadingId, s.lastCorrectionId],
        );
      }
      const alerts = new PgAlerts(tx);
      if (batch.alerts !== undefined) await alerts.apply(batch.alerts);
      if (batch.breaches !== undefined) await alerts.applyBreaches(batch.breaches);
      for (const a of batch.audit ?? []) {
        await tx.execute('INSERT INTO audit (at, actor, role, action, patient_nhs, target, address, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
          a.atMs,
          a.actor,
          a.role,
          a.action,
          a.patientNhs ?? null,
          a.target ?? null,
          a.address ?? null,
          a.outcome,
        ]);
      }
      for (const r of batch.reviews ?? []) {
        await tx.execute('INSERT INTO patient_reviews (patient_nhs, by, at) VALUES ($1, $2, $3) ON CONFLICT (patient_nhs) DO UPDATE SET by = excluded.by, at = excluded.at', [r.patientNhs, r.by, r.atMs]);
      }
      await rollUp(tx, readings.filter((_, i) => inserted[i] === true));
      const announcer = this.announcer;
      for (const payload of announcer?.payloads(batch) ?? []) await tx.query('SELECT pg_notify($1, $2)', [announcer?.channel, payload]);
      // Last: the devices' health rows are the ones commits from several workers share, so their locks are held only until the commit.
      await upsertHealth(tx, batch.health);
      return { inserted, outbox };
    });
  }

  async query(q: ReadingQuery): Promise<StoredReading[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (v: unknown): string => `$${params.push(v)}`;
    if (q.patientNhs !== undefined) where.push(`patient_nhs = ${param(q.patientNhs)}`);
    if (q.deviceId !== undefined) {
      const device = param(q.deviceId);
      where.push(`patient_nhs = (SELECT patient_nhs FROM devices WHERE id = ${device}) AND device_id = ${device}`);
    }
    if (q.metric !== undefined) {
      const metric = param(q.metric);
      where.push(`profile_id IN (SELECT profile_id FROM profile_metrics WHERE metric = ${metric}) AND metric = ${metric}`);
    }
    if (q.sinceMs !== undefined) where.push(`taken_at >= ${param(q.sinceMs)}`);
    const limit = q.limit === undefined ? '' : ` LIMIT ${param(q.limit)}`;
    const rows = await this.db.query(`SELECT ${columns('reading_values')} FROM reading_values ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY taken_at, id, position${limit}`, params);
    return rows.map(storedReadingFromRow);
  }

  async readingOf(readingId: number): Promise<StoredReading[]> {
    return (await this.db.query(`SELECT ${columns('reading_values')} FROM reading_values WHERE id = $1 ORDER BY position`, [readingId])).map(storedReadingFromRow);
  }

  async readingsAt(deviceId: string, deviceTakenAtMs: number): Promise<StoredReading[]> {
    const prefix = readingKeyPrefix(deviceId, deviceTakenAtMs);
    const rows = await this.db.query(
      `SELECT ${columns('reading_values')} FROM reading_values WHERE id IN (SELECT id FROM readings WHERE reading_key >= $1 AND reading_key < $2) ORDER BY id, position`,
      [prefix, `${prefix.slice(0, -1)}}`],
    );
    return rows.map(storedReadingFromRow);
  }

  /**
   * Each patient's latest value of each of `metrics` taken at or after `sinceMs`, not retracted (the
   * NEWS2 inputs of patients whose readings several gateways store). For each patient, metric and
   * profile carrying the metric, one backward step down the `(patient_nhs, profile_id, taken_at)`
   * index to the newest reading holding it: the cost does not grow with the readings in the window
   * (measured: expanding every reading of the window cost a worker half its throughput in a backlog).
   */
  async latestValues(patients: readonly string[], metrics: readonly string[], sinceMs: number): Promise<{ patientNhs: string; metric: string; value: number; takenAtMs: number }[]> {
    if (patients.length === 0 || metrics.length === 0) return [];
    const rows = await this.db.query(
      `SELECT p.nhs AS patient_nhs, m.metric, best.value, best.taken_at
       FROM unnest($1::text[]) AS p (nhs) CROSS JOIN unnest($2::text[]) AS m (metric)
       CROSS JOIN LATERAL (
         SELECT newest.value, newest.taken_at FROM profile_metrics pm
         CROSS JOIN LATERAL (
           SELECT (r.values_json -> m.metric ->> 0)::double precision AS value, r.taken_at, r.id FROM readings r
           WHERE r.patient_nhs = p.nhs AND r.profile_id = pm.profile_id AND r.taken_at >= $3
             AND r.status != 'entered-in-error' AND (r.values_json -> m.metric) IS NOT NULL
           ORDER BY r.taken_at DESC LIMIT 1
         ) newest
         WHERE pm.metric = m.metric ORDER BY newest.taken_at DESC, newest.id DESC LIMIT 1
       ) best`,
      [patients, metrics, sinceMs],
    );
    return rows.map((r) => ({ patientNhs: r['patient_nhs'] as string, metric: r['metric'] as string, value: r['value'] as number, takenAtMs: Number(r['taken_at']) }));
  }

  async existingKeys(keys: readonly string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    // One index look-up per key (LATERAL, LIMIT 1: never flattened into a join), whatever the plan: the prepared statement's generic plan
    // cannot see the array's size, and for `= ANY($1)` or a join it scanned the whole table.
    const rows = await this.db.query('SELECT r.reading_key FROM unnest($1::text[]) AS k (key) CROSS JOIN LATERAL (SELECT reading_key FROM readings WHERE reading_key = k.key LIMIT 1) r', [keys]);
    return new Set(rows.map((r) => r['reading_key'] as string));
  }

  async correctionsSince(afterId: number): Promise<{ id: number; patientNhs: string }[]> {
    const rows = await this.db.query('SELECT c.id, d.patient_nhs FROM corrections c JOIN devices d ON d.id = c.device_id WHERE c.id > $1 ORDER BY c.id', [afterId]);
    return rows.map((r) => ({ id: r['id'] as number, patientNhs: r['patient_nhs'] as string }));
  }

  async latestCorrectionId(): Promise<number> {
    const [r] = await this.db.query('SELECT COALESCE(MAX(id), 0) AS id FROM corrections');
    return Number(r?.['id'] ?? 0);
  }
}

/**
 * The readings of a commit in one statement, in key order (the same on every worker: two workers
 * given the same readings again wait for each other, never deadlock); for each, whether it was
 * stored now. A key seen earlier (stored before, or earlier in this batch) is not stored again.
 */
async function insertReadings(tx: PgQueryable, readings: readonly ReadingTuple[]): Promise<boolean[]> {
  if (readings.length === 0) return [];
  const column = (i: number) => readings.map((t) => t[i]);
  const rows = await tx.query(
    `INSERT INTO readings (reading_key, device_id, patient_nhs, profile_id, values_json, taken_at, device_taken_at, received_at, clock_offset_ms, message_id, payload_sha256)
     SELECT k, d, p, pr, v::json, t, dt, rt, o, m, s FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::text[], $11::text[])
       WITH ORDINALITY AS u (k, d, p, pr, v, t, dt, rt, o, m, s, n) ORDER BY k, n
     ON CONFLICT (reading_key) DO NOTHING RETURNING reading_key`,
    [column(0), column(1), column(2), column(3), column(4), column(5), column(6), column(7), column(8), column(9), column(10)],
  );
  const fresh = new Set(rows.map((r) => r['reading_key'] as string));
  // The first of the batch's readings with a new key is the one stored.
  return readings.map((t) => fresh.delete(t[0]));
}

/** Profiles seen carrying a metric, for per-metric queries through (patient, profile, time). */
async function noteProfileMetrics(tx: PgQueryable, readings: readonly ReadingTuple[]): Promise<void> {
  const pairs = new Map<string, [string, string]>();
  for (const t of readings) for (const m of t[11]) pairs.set(`${t[3]}|${m}`, [m, t[3]]);
  if (pairs.size === 0) return;
  const [metrics, profiles] = [[...pairs.values()].map((p) => p[0]), [...pairs.values()].map((p) => p[1])];
  await tx.execute('INSERT INTO profile_metrics (metric, profile_id) SELECT * FROM unnest($1::text[], $2::text[]) AS u (m, p) ORDER BY m, p ON CONFLICT DO NOTHING', [metrics, profiles]);
}

/**
 * Adds the readings stored now to their minutes' rollups: one upsert for the commit, its rows in
 * key order, the same on every worker, so two commits adding to the same minutes wait for each
 * other rather than deadlock.
 */
async function rollUp(tx: PgQueryable, readings: readonly ReadingTuple[]): Promise<void> {
  const rollups = new CommitRollups();
  for (const t of readings) rollups.add(t);
  const rows = rollups.minutes();
  if (rows.length === 0) return;
  const column = (i: number) => rows.map((r) => r[i]);
  await tx.execute(
    `INSERT INTO reading_rollups (patient_nhs, metric, minute, min, max, sum, count)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[], $5::float8[], $6::float8[], $7::bigint[]) AS u (p, m, mi, lo, hi, su, n) ORDER BY p, m, mi
     ON CONFLICT (patient_nhs, metric, minute) DO UPDATE SET min = LEAST(reading_rollups.min, excluded.min), max = GREATEST(reading_rollups.max, excluded.max),
       sum = reading_rollups.sum + excluded.sum, count = reading_rollups.count + excluded.count`,
    [column(0), column(1), column(2), column(3), column(4), column(5), column(6)],
  );
}

/** Amends or retracts the reading's row; its key, times and identity stay as they were; its minute's rollups are summed again. */
async function correct(tx: PgQueryable, c: Correction): Promise<void> {
  const [reading] = await tx.query('SELECT id, patient_nhs, taken_at, values_json::text AS values_json FROM readings WHERE reading_key = $1 FOR UPDATE', [c.readingKey]);
  if (reading !== undefined) {
    const { values, valuesJson, firstJson } = amendedValues(reading['values_json'] as string, c.after);
    await tx.execute('UPDATE readings SET status = $1, values_json = $2::json, first_values_json = COALESCE(first_values_json, $3::json) WHERE id = $4', [
      c.action === 'retract' ? 'entered-in-error' : 'amended',
      valuesJson,
      c.action === 'amend' ? firstJson : null,
      reading['id'],
    ]);
    const minute = Math.floor(Number(reading['taken_at']) / 60_000);
    for (const metric of Object.keys(values).sort()) {
      const at = [reading['patient_nhs'], metric, minute];
      await tx.execute('DELETE FROM reading_rollups WHERE patient_nhs = $1 AND metric = $2 AND minute = $3', at);
      await tx.execute(
        `INSERT INTO reading_rollups (patient_nhs, metric, minute, min, max, sum, count)
         SELECT $1, $2, $3::bigint, min(x.value), max(x.value), sum(x.value), count(*) FROM readings r CROSS JOIN LATERAL (SELECT (r.values_json -> $2 ->> 0)::double precision AS value) x
         WHERE r.patient_nhs = $1 AND r.profile_id IN (SELECT profile_id FROM profile_metrics WHERE metric = $2) AND r.taken_at >= $3::bigint * 60000 AND r.taken_at < ($3::bigint + 1) * 60000
           AND r.status != 'entered-in-error' AND x.value IS NOT NULL
         HAVING count(*) > 0`,
        at,
      );
    }
  }
  await tx.execute('INSERT INTO corrections (device_id, reading_key, action, before, after, reason, requested_by, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
    c.deviceId,
    c.readingKey,
    c.action,
    JSON.stringify(c.before),
    c.after === undefined ? null : JSON.stringify(c.after),
    c.reason ?? null,
    c.requestedBy,
    c.atMs,
  ]);
}

/**
 * Device health learned from traffic, one statement per commit (one update per device: the commit
 * queue merges them): later facts win, earlier ones are kept when an update lacks them. Rows are
 * written in device order, the same on every worker, so two commits touching the same devices wait
 * for each other and never deadlock (measured: unordered, two workers spent most of their time in
 * deadlocks and retries).
 */
async function upsertHealth(tx: PgQueryable, all: readonly HealthUpdate[]): Promise<void> {
  // One statement may touch a row once: a device's second update (a batch not from the commit queue) goes in the next.
  const rounds: HealthUpdate[][] = [];
  const seen = new Map<string, number>();
  for (const u of all) {
    const k = seen.get(u.deviceId) ?? 0;
    seen.set(u.deviceId, k + 1);
    (rounds[k] ??= []).push(u);
  }
  for (const updates of rounds) await upsertHealthOnce(tx, updates);
}

async function upsertHealthOnce(tx: PgQueryable, updates: readonly HealthUpdate[]): Promise<void> {
  const column = <T>(f: (u: HealthUpdate) => T | undefined) => updates.map((u) => f(u) ?? null);
  await tx.execute(
    `INSERT INTO device_health (device_id, last_seen_at, last_reading_at, battery_pct, signal_dbm, firmware, clock_offset_ms, clock_drift, status_at)
     SELECT d, s, r, b, sg, f, o, COALESCE(dr, false), sa
       FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::float8[], $5::float8[], $6::text[], $7::bigint[], $8::boolean[], $9::bigint[]) AS u (d, s, r, b, sg, f, o, dr, sa)
       ORDER BY d
     ON CONFLICT (device_id) DO UPDATE SET
       last_seen_at = GREATEST(device_health.last_seen_at, excluded.last_seen_at),
       last_reading_at = GREATEST(device_health.last_reading_at, excluded.last_reading_at),
       battery_pct = COALESCE(excluded.battery_pct, device_health.battery_pct),
       signal_dbm = COALESCE(excluded.signal_dbm, device_health.signal_dbm),
       firmware = COALESCE(excluded.firmware, device_health.firmware),
       clock_offset_ms = COALESCE(excluded.clock_offset_ms, device_health.clock_offset_ms),
       -- The pipeline states a clock's drift with its offset, never alone: no offset, drift as it was.
       clock_drift = CASE WHEN excluded.clock_offset_ms IS NULL THEN device_health.clock_drift ELSE excluded.clock_drift END,
       status_at = COALESCE(excluded.status_at, device_health.status_at)`,
    [
      column((u) => u.deviceId),
      column((u) => u.seenAtMs),
      column((u) => u.readingAtMs),
      column((u) => u.status?.batteryPct),
      column((u) => u.status?.signalDbm),
      column((u) => u.status?.firmware),
      column((u) => u.clockOffsetMs),
      column((u) => u.clockDrift),
      column((u) => (u.status === undefined ? undefined : u.seenAtMs)),
    ],
  );
}
