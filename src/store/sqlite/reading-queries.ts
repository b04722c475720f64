/**
 * The queries that read readings by patient, metric and time, named so that a test shows (and
 * checks) each one's plan: every step a SEARCH through a key or an index, never a SCAN of a table
 * that grows with the readings (docs/store.md lists the plans).
 *
 * A reading is one row of `readings`; `reading_values` shows its values one per row. A patient's
 * readings are found through `reading_index` (patient, profile, time, id), filled once a second
 * (src/store/sqlite/reading-index.ts), and the readings after it, a range of the table's key.
 * `profile_metrics` names the profiles whose readings carry a metric, so a metric's values are one
 * range of the index per profile carrying it, whatever else the patient measures.
 */

/** The profiles whose readings carry `@metric`. */
export const PROFILES_OF_METRIC = '(SELECT profile_id FROM profile_metrics WHERE metric = @metric)';

/** The id of the last reading in `reading_index`: the readings after it are not in it yet. */
const INDEXED_THROUGH = '(SELECT reading_id FROM index_through WHERE id = 1)';

/** Which of a patient's readings: of these profiles (an SQL set), taken at or after `from`, before `to` (SQL expressions). */
export interface Among {
  readonly profiles?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

/**
 * The ids of a patient's readings `among` these: one range of `reading_index` per profile, and the
 * readings not in it yet (after `index_through`: a range of the table's key, matched row by row;
 * `+` keeps the planner from any other index).
 */
export const INDEXED = (patient: string, among: Among = {}): string => {
  const where = (c: string): string =>
    [
      `${c}patient_nhs = ${patient}`,
      ...(among.profiles === undefined ? [] : [`${c}profile_id IN ${among.profiles}`]),
      ...(among.from === undefined ? [] : [`${c}taken_at >= ${among.from}`]),
      ...(among.to === undefined ? [] : [`${c}taken_at < ${among.to}`]),
    ].join(' AND ');
  return `SELECT id FROM reading_index WHERE ${where('')} UNION ALL SELECT id FROM readings WHERE id > ${INDEXED_THROUGH} AND ${where('+')}`;
};

/** The readings not in `reading_index` yet, not retracted, read once by a query over many patients (`tail`). */
const TAIL = `WITH tail AS MATERIALIZED (SELECT id, patient_nhs, profile_id, taken_at, values_json FROM readings
     WHERE id > ${INDEXED_THROUGH} AND status != 'entered-in-error')`;

/** What a newest reading must also meet: taken at or after `since`, holding `metric` (SQL expressions). */
interface Also {
  readonly since?: string;
  readonly metric?: string;
}

/**
 * The id of a patient's newest reading of one profile that is not retracted and meets `also`: a
 * backward walk of `reading_index` that stops at the first such reading (usually the first it
 * meets), and the newest such reading not in the index yet. These are read from the table's key
 * (`readings`: one patient's query) or from `tail` (a query over many patients: see {@link TAIL},
 * searched through an index SQLite builds for the query). A later reading wins a tie.
 */
const NEWEST_OF_PROFILE = (patient: string, profile: string, also: Also, tail: 'readings' | 'tail'): string => {
  const since = (t: string): string => (also.since === undefined ? '' : `AND ${t}taken_at >= ${also.since}`);
  const holds = (r: string): string => (also.metric === undefined ? '' : `AND ${r}values_json -> ${also.metric} IS NOT NULL`);
  const rest =
    tail === 'readings'
      ? `SELECT id, taken_at FROM readings t WHERE t.id > ${INDEXED_THROUGH} AND +t.patient_nhs = ${patient} AND +t.profile_id = ${profile}
           AND t.status != 'entered-in-error' ${since('+t.')} ${holds('t.')}`
      : `SELECT id, taken_at FROM tail t WHERE t.patient_nhs = ${patient} AND t.profile_id = ${profile} ${since('t.')} ${holds('t.')}`;
  return `SELECT id FROM (
       SELECT * FROM (SELECT i.id, i.taken_at FROM reading_index i CROSS JOIN readings x ON x.id = i.id
         WHERE i.patient_nhs = ${patient} AND i.profile_id = ${profile} ${since('i.')} AND x.status != 'entered-in-error' ${holds('x.')}
         ORDER BY i.taken_at DESC, i.id DESC LIMIT 1)
       UNION ALL SELECT * FROM (${rest} ORDER BY t.taken_at DESC, t.id DESC LIMIT 1))
     ORDER BY taken_at DESC, id DESC LIMIT 1`;
};

/** `@metric`'s value in reading `r`, as a rollup holds it (REAL: a mean of whole numbers is not truncated). */
const UNROLLED_VALUE = 'CAST(r.values_json -> @metric ->> 0 AS REAL)';

/**
 * The readings not yet in the per-minute rollups, not retracted, that hold `@metric`, for one
 * patient (`patients`: a condition on `r.patient_nhs`): those after `rollups_through`, one range of
 * the table's key (the last second's readings at most while readings keep coming; see
 * src/store/sqlite/rollups.ts). Patient and time are matched without their index (`+`), so that
 * range is the one searched.
 */
const UNROLLED = (patients: string, fromMinute: string, toMinute?: string): string =>
  `FROM readings r WHERE r.id > (SELECT reading_id FROM rollups_through WHERE id = 1) AND ${patients}
     AND +r.taken_at >= ${fromMinute} * 60000 ${toMinute === undefined ? '' : `AND +r.taken_at < ${toMinute} * 60000`}
     AND r.values_json -> @metric IS NOT NULL AND r.status != 'entered-in-error'`;

/** A value as the web app shows it. */
const POINT = 'id, device_id AS deviceId, metric, value, unit, taken_at AS takenAtMs, status';

/** A value as a derivation reads it. */
export const DERIVATION_INPUT = 'id, device_id AS deviceId, patient_nhs AS patientNhs, profile_id AS profileId, metric, value, taken_at AS takenAtMs, status';

export const READING_QUERIES = {
  /**
   * The latest value of a metric for one patient taken at or after `@since`, not retracted (NEWS2
   * inputs): per profile carrying the metric, one backward step down the index to the newest
   * reading holding it; the newest of those (a later reading wins a tie).
   */
  latestValue: `SELECT r.values_json -> @metric ->> 0 AS value, r.taken_at AS takenAtMs FROM profile_metrics pm
     CROSS JOIN readings r ON r.id = (${NEWEST_OF_PROFILE('@patient', 'pm.profile_id', { since: '@since', metric: '@metric' }, 'readings')})
     WHERE pm.metric = @metric ORDER BY r.taken_at DESC, r.id DESC LIMIT 1`,

  /**
   * Each patient's newest reading (not retracted) of each profile carrying any of `@metrics` (the
   * triage list): one backward step per patient and profile, its values read by the caller. A
   * metric its profile carries but that reading lacks is looked for with {@link latestValues}.
   */
  latestOfPatients: `${TAIL} SELECT p.value, r.id, r.device_id, r.profile_id, r.values_json, r.taken_at
     FROM json_each(@patients) p CROSS JOIN (SELECT DISTINCT profile_id FROM profile_metrics WHERE metric IN (SELECT value FROM json_each(@metrics))) pp
     CROSS JOIN readings r ON r.id = (${NEWEST_OF_PROFILE('p.value', 'pp.profile_id', {}, 'tail')})`,

  /** Each patient's latest value of each of `@metrics`: the step of `latestValue` per patient, metric and profile carrying it. */
  latestValues: `${TAIL} SELECT p.value, r.id, r.device_id, pm.metric, r.values_json -> pm.metric ->> 0, r.values_json -> pm.metric ->> 1, r.taken_at
     FROM json_each(@patients) p CROSS JOIN json_each(@metrics) m CROSS JOIN profile_metrics pm ON pm.metric = m.value
     CROSS JOIN readings r ON r.id = (${NEWEST_OF_PROFILE('p.value', 'pm.profile_id', { metric: 'pm.metric' }, 'tail')})`,

  /** One metric's values over a time range (charts with few points, lists): one index range per profile carrying it. */
  series: `SELECT ${POINT} FROM reading_values
     WHERE id IN (${INDEXED('@patient', { profiles: PROFILES_OF_METRIC, from: '@from', to: '@to' })})
       AND metric = @metric AND status != 'entered-in-error' ORDER BY taken_at, id, position`,

  /** The same, downsampled into buckets of `@width` ms. */
  seriesBuckets: `SELECT CAST((taken_at - @from) / @width AS INTEGER) AS b, MIN(value) AS min, MAX(value) AS max, AVG(value) AS mean, COUNT(*) AS count,
       MIN(taken_at) AS first, MAX(taken_at) AS last
     FROM reading_values WHERE id IN (${INDEXED('@patient', { profiles: PROFILES_OF_METRIC, from: '@from', to: '@to' })})
       AND metric = @metric AND status != 'entered-in-error'
     GROUP BY b ORDER BY b`,

  /** A long series (months of per-second values) from its per-minute rollups (one key range) and the readings not yet in them. */
  seriesRollups: `SELECT CAST(MAX(0, minute * 60000 - @from) / @width AS INTEGER) AS b, MIN(min) AS min, MAX(max) AS max, SUM(sum) / SUM(count) AS mean, SUM(count) AS count,
       MAX(@from, MIN(minute) * 60000) AS first, MIN(@to - 1, MAX(minute) * 60000 + 59999) AS last
     FROM (SELECT minute, min, max, sum, count FROM reading_rollups WHERE patient_nhs = @patient AND metric = @metric AND minute >= @fromMinute AND minute < @toMinute
       UNION ALL SELECT r.taken_at / 60000, ${UNROLLED_VALUE}, ${UNROLLED_VALUE}, ${UNROLLED_VALUE}, 1
       ${UNROLLED('+r.patient_nhs = @patient', '@fromMinute', '@toMinute')})
     GROUP BY b ORDER BY b`,

  /** How many values a series holds (which of the above to use). */
  rollupCount: `SELECT (SELECT COALESCE(SUM(count), 0) FROM reading_rollups WHERE patient_nhs = @patient AND metric = @metric AND minute >= @fromMinute AND minute < @toMinute)
       + (SELECT COUNT(*) ${UNROLLED('+r.patient_nhs = @patient', '@fromMinute', '@toMinute')}) AS n`,

  /** Each patient's recent trend of one metric (the triage list's sparklines), from the rollups and the readings not yet in them. */
  sparklines: `SELECT patient_nhs, CAST(MAX(0, minute * 60000 - @from) / @width AS INTEGER) AS b, SUM(sum) / SUM(count), MAX(minute) * 60000
     FROM (SELECT r.patient_nhs, r.minute, r.sum, r.count FROM json_each(@patients) p CROSS JOIN reading_rollups r ON r.patient_nhs = p.value AND r.metric = @metric AND r.minute >= @fromMinute
       UNION ALL SELECT r.patient_nhs, r.taken_at / 60000, ${UNROLLED_VALUE}, 1
       ${UNROLLED('+r.patient_nhs IN (SELECT value FROM json_each(@patients))', '@fromMinute')})
     GROUP BY patient_nhs, b ORDER BY patient_nhs, b`,

  /** A patient's values of one metric in a period, any status (window summaries, home BP averages). */
  period: `SELECT ${DERIVATION_INPUT} FROM reading_values
     WHERE id IN (${INDEXED('@patient', { profiles: PROFILES_OF_METRIC, from: '@from', to: '@to' })})
       AND metric = @metric ORDER BY taken_at, id, position`,

  /** The newest readings of one of a patient's profiles (an index range read backwards, and the readings not in it yet), with their values. */
  recent: `SELECT ${POINT} FROM reading_values
     WHERE id IN (SELECT id FROM (
       SELECT * FROM (SELECT id, taken_at FROM reading_index WHERE patient_nhs = @patient AND profile_id = @profile ORDER BY taken_at DESC, id DESC LIMIT @limit)
       UNION ALL SELECT * FROM (SELECT id, taken_at FROM readings WHERE id > ${INDEXED_THROUGH} AND +patient_nhs = @patient AND +profile_id = @profile
         ORDER BY taken_at DESC, id DESC LIMIT @limit))
       ORDER BY taken_at DESC, id DESC LIMIT @limit)
     ORDER BY taken_at DESC, id, position`,

  /** A reading by id (corrections, the reading page): its row. */
  readingById: 'SELECT * FROM reading_values WHERE id = @id ORDER BY position',

  /**
   * A device's readings taken at one time on its clock (corrections sent by the device): a range of
   * the key index (a range over the view itself would walk every reading in id order).
   */
  readingsAt: 'SELECT * FROM reading_values WHERE id IN (SELECT id FROM readings WHERE reading_key >= @from AND reading_key < @to) ORDER BY id, position',
} as const;

export type ReadingQueryName = keyof typeof READING_QUERIES;
