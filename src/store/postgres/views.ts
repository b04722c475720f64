import type { AsyncPort } from '../async-port.js';
import type { CareViews, DeviceRow, PointValue, Series } from '../care-views.js';
import type { PgQueryable, PgRow } from './database.js';

const point = (r: PgRow): PointValue => ({
  id: Number(r['id']),
  deviceId: String(r['device_id']),
  metric: String(r['metric']),
  value: Number(r['value']),
  unit: String(r['unit']),
  takenAtMs: Number(r['taken_at']),
  status: String(r['status']),
});

/** The readings of `$1` (patient) carrying `$2` (metric), not retracted, taken in [`$3`, `$4`): one index range per profile carrying it. */
const IN_RANGE = `FROM readings r WHERE r.patient_nhs = $1 AND r.profile_id IN (SELECT profile_id FROM profile_metrics WHERE metric = $2)
  AND r.taken_at >= $3 AND r.taken_at < $4 AND r.status != 'entered-in-error' AND (r.values_json -> $2) IS NOT NULL`;
const VALUE = `(r.values_json -> $2 ->> 0)::double precision`;

/**
 * What the web app reads on PostgreSQL, as the SQLite store does: latest values and recent
 * readings through the `(patient_nhs, profile_id, taken_at)` index, long series and sparklines from
 * the per-minute rollups (`reading_rollups`, kept in each commit), so a chart's cost grows with the
 * minutes it covers, not the readings.
 */
export class PgCareViews implements AsyncPort<CareViews> {
  constructor(private readonly db: PgQueryable) {}

  async recent(patientNhs: string, limit: number): Promise<PointValue[]> {
    // Each of the patient's profiles' newest readings (a backward index range each), their values in the order they came.
    const rows = await this.db.query(
      `SELECT r.id, r.device_id, v.key AS metric, (v.value ->> 0)::double precision AS value, v.value ->> 1 AS unit, r.taken_at, r.status
       FROM (SELECT DISTINCT profile_id FROM devices WHERE patient_nhs = $1) p
       CROSS JOIN LATERAL (SELECT id, device_id, values_json, taken_at, status FROM readings WHERE patient_nhs = $1 AND profile_id = p.profile_id ORDER BY taken_at DESC LIMIT $2) r
       CROSS JOIN LATERAL json_each(r.values_json) WITH ORDINALITY AS v (key, value, position)
       ORDER BY r.taken_at DESC, r.id, v.position LIMIT $2`,
      [patientNhs, limit],
    );
    return rows.map(point);
  }

  async latestOf(patients: readonly string[], metrics: readonly string[]): Promise<Map<string, PointValue[]>> {
    const out = new Map<string, PointValue[]>(patients.map((p) => [p, []]));
    if (patients.length === 0 || metrics.length === 0) return out;
    // For each patient, metric and profile carrying it, one backward step down the index to the newest reading holding it.
    const rows = await this.db.query(
      `SELECT p.nhs, m.metric, best.id, best.device_id, best.value, best.unit, best.taken_at, 'final' AS status
       FROM unnest($1::text[]) AS p (nhs) CROSS JOIN unnest($2::text[]) AS m (metric)
       CROSS JOIN LATERAL (
         SELECT newest.* FROM profile_metrics pm
         CROSS JOIN LATERAL (
           SELECT r.id, r.device_id, (r.values_json -> m.metric ->> 0)::double precision AS value, r.values_json -> m.metric ->> 1 AS unit, r.taken_at FROM readings r
           WHERE r.patient_nhs = p.nhs AND r.profile_id = pm.profile_id AND r.status != 'entered-in-error' AND (r.values_json -> m.metric) IS NOT NULL
           ORDER BY r.taken_at DESC LIMIT 1
         ) newest
         WHERE pm.metric = m.metric ORDER BY newest.taken_at DESC, newest.id DESC LIMIT 1
       ) best
       ORDER BY p.nhs, m.metric`,
      [patients, metrics],
    );
    for (const r of rows) out.get(String(r['nhs']))?.push(point(r));
    const order = new Map(metrics.map((m, i) => [m, i]));
    for (const list of out.values()) list.sort((x, y) => (order.get(x.metric) ?? 0) - (order.get(y.metric) ?? 0));
    return out;
  }

  async devicesOf(patients: readonly string[]): Promise<DeviceRow[]> {
    const rows = await this.db.query(
      `SELECT d.id, d.profile_id, d.patient_nhs, d.status, d.created_at, h.last_seen_at, h.last_reading_at, h.battery_pct, h.clock_offset_ms, COALESCE(h.clock_drift, false) AS clock_drift
       FROM unnest($1::text[]) AS p (nhs) JOIN devices d ON d.patient_nhs = p.nhs LEFT JOIN device_health h ON h.device_id = d.id ORDER BY d.created_at, d.id`,
      [patients],
    );
    const opt = (v: unknown) => (v === null || v === undefined ? undefined : Number(v));
    return rows.map((r) => ({
      deviceId: String(r['id']),
      profileId: String(r['profile_id']),
      patientNhs: String(r['patient_nhs']),
      status: r['status'] as DeviceRow['status'],
      createdAtMs: Number(r['created_at']),
      lastSeenAtMs: opt(r['last_seen_at']),
      lastReadingAtMs: opt(r['last_reading_at']),
      batteryPct: opt(r['battery_pct']),
      clockOffsetMs: opt(r['clock_offset_ms']),
      clockDrift: r['clock_drift'] === true,
    }));
  }

  async sparks(series: readonly (readonly [patient: string, metric: string])[], fromMs: number, widthMs: number): Promise<Map<string, { atMs: number; value: number }[]>> {
    const byMetric = new Map<string, string[]>();
    for (const [patient, metric] of series) byMetric.set(metric, [...(byMetric.get(metric) ?? []), patient]);
    const out = new Map<string, { atMs: number; value: number }[]>();
    for (const [metric, patients] of byMetric) {
      // From the rollups, one key range per patient; each bucket timed by the minute of its newest value.
      const rows = await this.db.query(
        `SELECT r.patient_nhs, greatest(0::bigint, r.minute * 60000 - $3::bigint) / $4::bigint AS b, sum(r.sum) / sum(r.count) AS mean, max(r.minute) * 60000 AS at
         FROM unnest($1::text[]) AS p (nhs) JOIN reading_rollups r ON r.patient_nhs = p.nhs AND r.metric = $2 AND r.minute >= $3::bigint / 60000
         GROUP BY r.patient_nhs, b ORDER BY r.patient_nhs, b`,
        [patients, metric, fromMs, widthMs],
      );
      for (const r of rows) {
        const patient = String(r['patient_nhs']);
        out.set(patient, [...(out.get(patient) ?? []), { atMs: Number(r['at']), value: Math.round(Number(r['mean']) * 10) / 10 }]);
      }
    }
    return out;
  }

  /**
   * How many there are, and buckets a minute wide or wider, come from the per-minute rollups (so
   * whole minutes at the range's ends count in); every value, and narrower buckets, from the readings.
   */
  async series(patientNhs: string, metric: string, fromMs: number, toMs: number, maxPoints: number): Promise<Series> {
    const fromMinute = Math.floor(fromMs / 60_000);
    const toMinute = Math.ceil(toMs / 60_000);
    const [counted] = await this.db.query('SELECT COALESCE(sum(count), 0) AS n FROM reading_rollups WHERE patient_nhs = $1 AND metric = $2 AND minute >= $3 AND minute < $4', [
      patientNhs,
      metric,
      fromMinute,
      toMinute,
    ]);
    if (Number(counted?.['n'] ?? 0) <= maxPoints) {
      const rows = await this.db.query(
        `SELECT r.id, r.device_id, $2::text AS metric, ${VALUE} AS value, r.values_json -> $2 ->> 1 AS unit, r.taken_at, r.status ${IN_RANGE} ORDER BY r.taken_at, r.id`,
        [patientNhs, metric, fromMs, toMs],
      );
      return { points: rows.map(point) };
    }
    const width = Math.max(1, Math.ceil((toMs - fromMs) / Math.max(1, Math.floor(maxPoints / 2))));
    const rows =
      width >= 60_000
        ? await this.db.query(
            `SELECT greatest(0::bigint, minute * 60000 - $5::bigint) / $6::bigint AS b, min(min) AS min, max(max) AS max, sum(sum) / sum(count) AS mean, sum(count) AS count,
               greatest($5::bigint, min(minute) * 60000) AS first, least($7::bigint - 1, max(minute) * 60000 + 59999) AS last
             FROM reading_rollups WHERE patient_nhs = $1 AND metric = $2 AND minute >= $3 AND minute < $4 GROUP BY b ORDER BY b`,
            [patientNhs, metric, fromMinute, toMinute, fromMs, width, toMs],
          )
        : await this.db.query(
            `SELECT (r.taken_at - $3) / $5 AS b, min(${VALUE}) AS min, max(${VALUE}) AS max, avg(${VALUE}) AS mean, count(*) AS count, min(r.taken_at) AS first, max(r.taken_at) AS last
             ${IN_RANGE} GROUP BY b ORDER BY b`,
            [patientNhs, metric, fromMs, toMs, width],
          );
    return { buckets: rows.map((r) => ({ fromMs: Number(r['first']), toMs: Number(r['last']), min: Number(r['min']), max: Number(r['max']), mean: Number(r['mean']), count: Number(r['count']) })) };
  }
}
