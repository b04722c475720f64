/** A reading as the pipeline sees it once a device's payload is mapped to canonical form. */
export interface CanonicalReading {
  /** The device's own message id, if it sent one (the basis of the idempotency key). */
  readonly messageId: string | undefined;
  /** The device's timestamp exactly as sent (ISO 8601 string, or epoch milliseconds from a vendor shape). */
  readonly takenAt: string | number | undefined;
  /** The device's own clock at the moment it sent the message (HL7 PHD coincident timestamp), if sent. */
  readonly deviceTime: string | number | undefined;
  /** metric → value as sent. */
  readonly values: Readonly<Record<string, unknown>>;
  /** metric → unit as sent (absent: the profile's canonical unit). */
  readonly units: Readonly<Record<string, string>>;
}

/** One value of an accepted reading, converted to its profile's unit. */
export interface ReadingValue {
  readonly metric: string;
  readonly value: number;
  /** UCUM code of the profile's canonical unit (values are converted before storage). */
  readonly unit: string;
  /** The unit the device sent, when it was converted. */
  readonly sourceUnit: string | undefined;
}

/**
 * A reading as the pipeline hands it on once accepted: one measurement, its values together (as
 * the store keeps it: one row), with its key (domain/idempotency.ts).
 */
export interface Reading {
  readonly idempotencyKey: string;
  readonly deviceId: string;
  readonly patientNhs: string;
  readonly profileId: string;
  /** When the measurement was taken, in the device's own clock (ms since epoch). */
  readonly deviceTakenAtMs: number;
  /** When it was taken, corrected for the device's known clock offset (ms since epoch). */
  readonly takenAtMs: number;
  /** When the gateway received it (ms since epoch). */
  readonly receivedAtMs: number;
  /** Gateway clock minus device clock, when the device sent its current time; else undefined. */
  readonly clockOffsetMs: number | undefined;
  readonly messageId: string | undefined;
  /**
   * SHA-256 (hex) of the raw message that carried the reading: provenance that traces a value to its
   * bytes. Kept for readings forwarded as Observations (FHIR output on).
   */
  readonly payloadSha256: string | undefined;
  /** One per metric, in the order the device sent them. */
  readonly values: readonly ReadingValue[];
}

/**
 * One value of a reading with its reading's fields: how the outputs, corrections and queries see
 * values (one per metric; the values of one reading share its key).
 */
export interface ReadingRow {
  /** The reading's key: the same on each of its values. */
  readonly idempotencyKey: string;
  readonly deviceId: string;
  readonly patientNhs: string;
  readonly profileId: string;
  readonly metric: string;
  readonly value: number;
  /** UCUM code of the profile's canonical unit (values are converted before storage). */
  readonly unit: string;
  /** The unit the device sent, when it was converted. */
  readonly sourceUnit: string | undefined;
  /** When the measurement was taken, in the device's own clock (ms since epoch). */
  readonly deviceTakenAtMs: number;
  /** When it was taken, corrected for the device's known clock offset (ms since epoch). */
  readonly takenAtMs: number;
  /** When the gateway received it (ms since epoch). */
  readonly receivedAtMs: number;
  /** Gateway clock minus device clock, when the device sent its current time; else undefined. */
  readonly clockOffsetMs: number | undefined;
  readonly messageId: string | undefined;
  /**
   * SHA-256 (hex) of the raw message that carried the reading: provenance that traces a value to its
   * bytes. Kept on the first row of each reading forwarded as Observations (FHIR output on).
   */
  readonly payloadSha256?: string | undefined;
}

/** A reading's values as rows (its payload hash on the first). */
export function rowsOf(r: Reading): ReadingRow[] {
  return r.values.map((v, i) => ({
    idempotencyKey: r.idempotencyKey,
    deviceId: r.deviceId,
    patientNhs: r.patientNhs,
    profileId: r.profileId,
    metric: v.metric,
    value: v.value,
    unit: v.unit,
    sourceUnit: v.sourceUnit,
    deviceTakenAtMs: r.deviceTakenAtMs,
    takenAtMs: r.takenAtMs,
    receivedAtMs: r.receivedAtMs,
    clockOffsetMs: r.clockOffsetMs,
    messageId: r.messageId,
    payloadSha256: i === 0 ? r.payloadSha256 : undefined,
  }));
}

/**
 * Rows grouped back into readings ({@link readingEnd}): each reading's fields from its first row,
 * its payload hash from whichever row kept it.
 */
export function readingsOf(rows: readonly ReadingRow[]): Reading[] {
  const out: Reading[] = [];
  for (let from = 0; from < rows.length; ) {
    const to = readingEnd(rows, from);
    const first = rows[from] as ReadingRow;
    const values: ReadingValue[] = [];
    let sha: string | undefined;
    for (let i = from; i < to; i++) {
      const r = rows[i] as ReadingRow;
      values.push({ metric: r.metric, value: r.value, unit: r.unit, sourceUnit: r.sourceUnit });
      sha ??= r.payloadSha256;
    }
    const { idempotencyKey, deviceId, patientNhs, profileId, deviceTakenAtMs, takenAtMs, receivedAtMs, clockOffsetMs, messageId } = first;
    out.push({ idempotencyKey, deviceId, patientNhs, profileId, deviceTakenAtMs, takenAtMs, receivedAtMs, clockOffsetMs, messageId, payloadSha256: sha, values });
    from = to;
  }
  return out;
}

/** The one reading these rows hold (rows of one stored reading, as the store reads them back). */
export function readingFromRows(rows: readonly ReadingRow[]): Reading {
  const [reading, ...more] = readingsOf(rows);
  if (reading === undefined || more.length > 0) throw new Error(`expected the rows of one reading, got ${rows.length === 0 ? 'none' : `${more.length + 1} readings`}`);
  return reading;
}

/**
 * Where the reading that starts at `rows[from]` ends (exclusive). A reading's values come together
 * and share its key; a metric seen again under the same key starts another reading, which its key
 * then makes a duplicate ({@link readingsOf}: rows read back, or written by hand, as readings).
 */
export function readingEnd(rows: readonly ReadingRow[], from: number): number {
  const key = (rows[from] as ReadingRow).idempotencyKey;
  let to = from + 1;
  while (to < rows.length) {
    const r = rows[to] as ReadingRow;
    if (r.idempotencyKey !== key || metricAmong(rows, from, to, r.metric)) break;
    to += 1;
  }
  return to;
}

/** Whether `metric` is among `rows[from … to - 1]` (a reading's few values: a scan). */
function metricAmong(rows: readonly ReadingRow[], from: number, to: number, metric: string): boolean {
  for (let j = from; j < to; j++) if ((rows[j] as ReadingRow).metric === metric) return true;
  return false;
}
