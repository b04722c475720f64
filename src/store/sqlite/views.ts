import type { SqliteConnection, SqliteStatement } from './database.js';

/** One bucket of a downsampled series: its extremes and when they were taken. */
export interface SeriesBucket {
  readonly fromMs: number;
  readonly toMs: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly count: number;
}

/** A device as the app lists it, with its health. */
export interface DeviceRow {
  readonly deviceId: string;
  readonly profileId: string;
  readonly patientNhs: string;
  readonly status: 'active' | 'revoked';
  readonly createdAtMs: number;
  readonly lastSeenAtMs: number | undefined;
  readonly lastReadingAtMs: number | undefined;
  readonly batteryPct: number | undefined;
  readonly clockOffsetMs: number | undefined;
  readonly clockDrift: boolean;
}

/** A stored value as a chart or list shows it. */
export interface PointValue {
  readonly id: number;
  readonly deviceId: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly takenAtMs: number;
  readonly status: string;
}

/**
 * What the web app reads: a patient's latest values and their series, downsampled in SQL so a
 * chart of 90 days of per-second heart rate moves at most a few thousand rows out of SQLite.
 * Retracted values (`entered-in-error`) are never shown as values.
 */
export class SqliteCareViews {
  private readonly latestStmt: SqliteStatement;
  private readonly bucketsStmt: SqliteStatement;
  private readonly pointsStmt: SqliteStatement;
  private readonly countStmt: SqliteStatement;
  private readonly rollupBucketsStmt: SqliteStatement;
  private readonly recentStmt: SqliteStatement;
  private readonly devicesStmt: SqliteStatement;
  private readonly sparkStmt: SqliteStatement;

  constructor(db: SqliteConnection) {
    this.latestStmt = db.prepare(
      `SELECT patient_nhs AS patientNhs, reading_id AS id, device_id AS deviceId, metric, value, unit, taken_at AS takenAtMs, 'final' AS status FROM latest_values WHERE patient_nhs IN (SELECT value FROM json_each(?))`,
    );
    this.devicesStmt = db.prepare(
      `SELECT d.id AS deviceId, d.profile_id AS profileId, d.patient_nhs AS patientNhs, d.status, d.created_at AS createdAtMs, h.last_seen_at AS lastSeenAtMs,
         h.last_reading_at AS lastReadingAtMs, h.battery_pct AS batteryPct, h.clock_offset_ms AS clockOffsetMs, COALESCE(h.clock_drift, 0) AS clockDrift
       FROM devices d LEFT JOIN device_health h ON h.device_id = d.id WHERE d.patient_nhs IN (SELECT value FROM json_each(?)) ORDER BY d.created_at, d.id`,
    );
    this.sparkStmt = db.prepare(
      `SELECT patient_nhs AS patient, metric, CAST(MAX(0, minute * 60000 - @from) / @width AS INTEGER) AS b, SUM(sum) / SUM(count) AS mean, MAX(minute) * 60000 AS atMs
       FROM reading_rollups WHERE patient_nhs IN (SELECT value FROM json_each(@patients)) AND metric IN (SELECT value FROM json_each(@metrics)) AND minute >= @fromMinute
       GROUP BY patient_nhs, metric, b ORDER BY patient_nhs, metric, b`,
    );
    this.countStmt = db.prepare(`SELECT COALESCE(SUM(count), 0) AS n FROM reading_rollups WHERE patient_nhs = ? AND metric = ? AND minute >= ? AND minute < ?`);
    this.rollupBucketsStmt = db.prepare(
      `SELECT CAST(MAX(0, minute * 60000 - @from) / @width AS INTEGER) AS b, MIN(min) AS min, MAX(max) AS max, SUM(sum) / SUM(count) AS mean, SUM(count) AS count,
         MAX(@from, MIN(minute) * 60000) AS first, MIN(@to - 1, MAX(minute) * 60000 + 59999) AS last
       FROM reading_rollups WHERE patient_nhs = @patient AND metric = @metric AND minute >= @fromMinute AND minute < @toMinute
       GROUP BY b ORDER BY b`,
    );
    this.bucketsStmt = db.prepare(
      `SELECT CAST((taken_at - @from) / @width AS INTEGER) AS b, MIN(value) AS min, MAX(value) AS max, AVG(value) AS mean, COUNT(*) AS count, MIN(taken_at) AS first, MAX(taken_at) AS last
       FROM readings WHERE patient_nhs = @patient AND metric = @metric AND taken_at >= @from AND taken_at < @to AND status != 'entered-in-error'
       GROUP BY b ORDER BY b`,
    );
    this.recentStmt = db.prepare(
      `SELECT id, device_id AS deviceId, metric, value, unit, taken_at AS takenAtMs, status FROM readings
       WHERE patient_nhs = ? ORDER BY taken_at DESC, id LIMIT ?`,
    );
    this.pointsStmt = db.prepare(
      `SELECT id, device_id AS deviceId, metric, value, unit, taken_at AS takenAtMs, status FROM readings
       WHERE patient_nhs = @patient AND metric = @metric AND taken_at >= @from AND taken_at < @to AND status != 'entered-in-error' ORDER BY taken_at, id`,
    );
  }

  /** A patient's latest values, retracted ones included (with their status), newest first. */
  recent(patientNhs: string, limit: number): PointValue[] {
    return this.recentStmt.all(patientNhs, limit) as PointValue[];
  }

  /** The latest (not retracted) value of each metric, where there is one. */
  latest(patientNhs: string, metrics: readonly string[]): PointValue[] {
    return this.latestOf([patientNhs], metrics).get(patientNhs) ?? [];
  }

  /** Each patient's latest value of each of `metrics`, in one query (the triage list). */
  latestOf(patients: readonly string[], metrics: readonly string[]): Map<string, PointValue[]> {
    const byKey = new Map<string, PointValue>();
    for (const { patientNhs, ...r } of this.latestStmt.all(JSON.stringify(patients)) as (PointValue & { patientNhs: string })[]) byKey.set(`${patientNhs}|${r.metric}`, r);
    return new Map(patients.map((p) => [p, metrics.flatMap((m) => byKey.get(`${p}|${m}`) ?? [])]));
  }

  /** Every device of these patients with its health, in one query. */
  devicesOf(patients: readonly string[]): DeviceRow[] {
    return (this.devicesStmt.all(JSON.stringify(patients)) as (Omit<DeviceRow, 'clockDrift'> & { clockDrift: number })[]).map((d) => ({
      ...d,
      clockDrift: d.clockDrift === 1,
      lastSeenAtMs: d.lastSeenAtMs ?? undefined,
      lastReadingAtMs: d.lastReadingAtMs ?? undefined,
      batteryPct: d.batteryPct ?? undefined,
      clockOffsetMs: d.clockOffsetMs ?? undefined,
    }));
  }

  /** Sparklines: each patient's mean of each of `metrics` per bucket of `widthMs` since `fromMs`, from the rollups. */
  sparks(patients: readonly string[], metrics: readonly string[], fromMs: number, widthMs: number): Map<string, { atMs: number; value: number }[]> {
    const rows = this.sparkStmt.all({ patients: JSON.stringify(patients), metrics: JSON.stringify(metrics), from: fromMs, width: widthMs, fromMinute: Math.floor(fromMs / 60_000) }) as {
      patient: string;
      metric: string;
      mean: number;
      atMs: number;
    }[];
    const out = new Map<string, { atMs: number; value: number }[]>();
    for (const r of rows) {
      const key = `${r.patient}|${r.metric}`;
      const list = out.get(key) ?? [];
      list.push({ atMs: r.atMs, value: r.mean });
      out.set(key, list);
    }
    return out;
  }

  /**
   * A metric's values in [fromMs, toMs): every value when there are at most `maxPoints`, else
   * `maxPoints / 2` buckets of equal width, each with its min and max (a chart keeps every spike).
   * How many there are, and buckets a minute wide or wider, come from the per-minute rollups (so
   * whole minutes at the range's ends count in); narrower buckets from the rows themselves.
   */
  series(patientNhs: string, metric: string, fromMs: number, toMs: number, maxPoints: number): { points: PointValue[] } | { buckets: SeriesBucket[] } {
    const fromMinute = Math.floor(fromMs / 60_000);
    const toMinute = Math.ceil(toMs / 60_000);
    const n = (this.countStmt.get(patientNhs, metric, fromMinute, toMinute) as { n: number }).n;
    if (n <= maxPoints) return { points: this.pointsStmt.all({ patient: patientNhs, metric, from: fromMs, to: toMs }) as PointValue[] };
    const width = Math.max(1, Math.ceil((toMs - fromMs) / Math.max(1, Math.floor(maxPoints / 2))));
    const rows = (
      width >= 60_000
        ? this.rollupBucketsStmt.all({ patient: patientNhs, metric, from: fromMs, to: toMs, width, fromMinute, toMinute })
        : this.bucketsStmt.all({ patient: patientNhs, metric, from: fromMs, to: toMs, width })
    ) as { min: number; max: number; mean: number; count: number; first: number; last: number }[];
    return { buckets: rows.map((r) => ({ fromMs: r.first, toMs: r.last, min: r.min, max: r.max, mean: r.mean, count: r.count })) };
  }
}
