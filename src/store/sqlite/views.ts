import type { SqliteConnection, SqliteStatement } from './database.js';
import type { CareViews, DeviceRow, PointValue, SeriesBucket } from '../care-views.js';
import { READING_QUERIES } from './reading-queries.js';

export type { DeviceRow, PointValue, SeriesBucket } from '../care-views.js';

/**
 * What the web app reads: a patient's latest values and their series, downsampled in SQL so a
 * chart of 90 days of per-second heart rate moves at most a few thousand rows out of SQLite.
 * Retracted values (`entered-in-error`) are never shown as values.
 */
export class SqliteCareViews implements CareViews {
  private readonly latestStmt: SqliteStatement;
  private readonly latestValuesStmt: SqliteStatement;
  private readonly profileMetricsStmt: SqliteStatement;
  private readonly bucketsStmt: SqliteStatement;
  private readonly pointsStmt: SqliteStatement;
  private readonly countStmt: SqliteStatement;
  private readonly rollupBucketsStmt: SqliteStatement;
  private readonly recentStmt: SqliteStatement;
  private readonly profilesStmt: SqliteStatement;
  private readonly devicesStmt: SqliteStatement;
  private readonly sparkStmt: SqliteStatement;

  constructor(db: SqliteConnection) {
    this.latestStmt = db.prepare(READING_QUERIES.latestOfPatients).raw(true);
    this.latestValuesStmt = db.prepare(READING_QUERIES.latestValues).raw(true);
    this.profileMetricsStmt = db.prepare('SELECT metric, profile_id FROM profile_metrics').raw(true);
    this.devicesStmt = db.prepare(
      `SELECT d.id, d.profile_id, d.patient_nhs, d.status, d.created_at, h.last_seen_at, h.last_reading_at, h.battery_pct, h.clock_offset_ms, COALESCE(h.clock_drift, 0)
       FROM json_each(?) p CROSS JOIN devices d ON d.patient_nhs = p.value LEFT JOIN device_health h ON h.device_id = d.id ORDER BY d.created_at, d.id`,
    ).raw(true);
    this.sparkStmt = db.prepare(READING_QUERIES.sparklines).raw(true);
    this.countStmt = db.prepare(READING_QUERIES.rollupCount);
    this.rollupBucketsStmt = db.prepare(READING_QUERIES.seriesRollups);
    this.bucketsStmt = db.prepare(READING_QUERIES.seriesBuckets);
    this.recentStmt = db.prepare(READING_QUERIES.recent);
    this.profilesStmt = db.prepare('SELECT DISTINCT profile_id FROM devices WHERE patient_nhs = ?').pluck();
    this.pointsStmt = db.prepare(READING_QUERIES.series);
  }

  /** A patient's latest values, retracted ones included (with their status), newest first. */
  recent(patientNhs: string, limit: number): PointValue[] {
    // Each profile's newest readings (each holds at least one value), merged: no scan of a long series.
    const values = (this.profilesStmt.all(patientNhs) as string[]).flatMap((profile) => this.recentStmt.all({ patient: patientNhs, profile, limit }) as PointValue[]);
    return values.sort((a, b) => b.takenAtMs - a.takenAtMs || a.id - b.id).slice(0, limit);
  }

  /** The latest (not retracted) value of each metric, where there is one. */
  latest(patientNhs: string, metrics: readonly string[]): PointValue[] {
    return this.latestOf([patientNhs], metrics).get(patientNhs) ?? [];
  }

  /**
   * Each patient's latest value of each of `metrics` (the triage list: thousands of rows). Each
   * profile's newest reading gives the metrics it holds; a metric it lacks is looked for further
   * back, per metric. The newest wins, a later reading a tie.
   */
  latestOf(patients: readonly string[], metrics: readonly string[]): Map<string, PointValue[]> {
    const order = new Map(metrics.map((m, i) => [m, i]));
    const out = new Map<string, PointValue[]>(patients.map((p) => [p, []]));
    if (patients.length === 0 || metrics.length === 0) return out;
    const keep = (patient: string, v: PointValue): void => {
      const list = out.get(patient) as PointValue[]; // rows come only for the patients asked
      const i = list.findIndex((w) => w.metric === v.metric);
      const held = list[i];
      if (held === undefined) list.push(v);
      else if (v.takenAtMs > held.takenAtMs || (v.takenAtMs === held.takenAtMs && v.id > held.id)) list[i] = v;
    };
    const carried = new Map<string, string[]>();
    for (const [metric, profile] of this.profileMetricsStmt.all() as [string, string][]) {
      if (order.has(metric)) carried.set(profile, [...(carried.get(profile) ?? []), metric]);
    }
    const lacking = { patients: new Set<string>(), metrics: new Set<string>() };
    const params = { patients: JSON.stringify(patients), metrics: JSON.stringify(metrics) };
    for (const [patient, id, deviceId, profile, valuesJson, takenAtMs] of this.latestStmt.all(params) as [string, number, string, string, string, number][]) {
      const values = JSON.parse(valuesJson) as Record<string, [number, string] | undefined>;
      for (const metric of carried.get(profile) ?? []) {
        const v = values[metric];
        if (v !== undefined) keep(patient, { id, deviceId, metric, value: v[0], unit: v[1], takenAtMs, status: 'final' });
        else {
          lacking.patients.add(patient);
          lacking.metrics.add(metric);
        }
      }
    }
    if (lacking.patients.size > 0) {
      const more = { patients: JSON.stringify([...lacking.patients]), metrics: JSON.stringify([...lacking.metrics]) };
      for (const [patient, id, deviceId, metric, value, unit, takenAtMs] of this.latestValuesStmt.all(more) as [string, number, string, string, number, string, number][]) {
        keep(patient, { id, deviceId, metric, value, unit, takenAtMs, status: 'final' });
      }
    }
    for (const list of out.values()) if (list.length > 1) list.sort((a, b) => (order.get(a.metric) ?? 0) - (order.get(b.metric) ?? 0));
    return out;
  }

  /** Every device of these patients with its health, in one query. */
  devicesOf(patients: readonly string[]): DeviceRow[] {
    const rows = this.devicesStmt.all(JSON.stringify(patients)) as [string, string, string, DeviceRow['status'], number, number | null, number | null, number | null, number | null, number][];
    return rows.map(([deviceId, profileId, patientNhs, status, createdAtMs, lastSeen, lastReading, battery, clockOffset, drift]) => ({
      deviceId,
      profileId,
      patientNhs,
      status,
      createdAtMs,
      lastSeenAtMs: lastSeen ?? undefined,
      lastReadingAtMs: lastReading ?? undefined,
      batteryPct: battery ?? undefined,
      clockOffsetMs: clockOffset ?? undefined,
      clockDrift: drift === 1,
    }));
  }

  /** Sparklines: for each [patient, metric], its mean per bucket of `widthMs` since `fromMs`, from the rollups (keyed by patient). */
  sparks(series: readonly (readonly [patient: string, metric: string])[], fromMs: number, widthMs: number): Map<string, { atMs: number; value: number }[]> {
    // One query per metric (a handful), each walking the rollups' key (patient, metric, minute).
    const byMetric = new Map<string, string[]>();
    for (const [patient, metric] of series) {
      const list = byMetric.get(metric);
      if (list === undefined) byMetric.set(metric, [patient]);
      else list.push(patient);
    }
    const rows = [...byMetric].flatMap(
      ([metric, patients]) => this.sparkStmt.all({ patients: JSON.stringify(patients), metric, from: fromMs, width: widthMs, fromMinute: Math.floor(fromMs / 60_000) }) as [string, number, number, number][],
    );
    const out = new Map<string, { atMs: number; value: number }[]>();
    for (const [patient, , mean, atMs] of rows) {
      const point = { atMs, value: Math.round(mean * 10) / 10 }; // a sparkline's resolution
      const list = out.get(patient);
      if (list === undefined) out.set(patient, [point]);
      else list.push(point);
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
    const n = (this.countStmt.get({ patient: patientNhs, metric, fromMinute, toMinute }) as { n: number }).n;
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
