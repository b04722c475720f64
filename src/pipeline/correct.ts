import { err, IssueCode, issue, ok, readingFromRows, type Issue, type Reading, type ReadingRow, type Result } from '../domain/index.js';
import type { DeviceProfile } from '../profiles/index.js';
import type { Correction, StoredReading } from '../store/reading-store.js';
import { validateReading } from './validate.js';

/** What a correction asks for. */
export interface CorrectionRequest {
  readonly action: 'retract' | 'amend';
  /** amend: metric → value as sent, with optional units. */
  readonly values?: Readonly<Record<string, unknown>> | undefined;
  readonly units?: Readonly<Record<string, string>> | undefined;
  readonly reason?: string | undefined;
  readonly requestedBy: string;
}

/** A correction ready to commit: the record, and the reading as it becomes (its values as first stored beside it). */
export interface PlannedCorrection {
  readonly correction: Correction;
  readonly original: readonly ReadingRow[];
  readonly corrected: Reading;
  readonly status: 'amended' | 'entered-in-error';
  /** The reading already stands as asked (a repeated correction): nothing to write or send. */
  readonly unchanged: boolean;
}

/**
 * Plans the correction of one stored reading (all its rows). An amendment is validated like the
 * reading itself — units, limits and the profile's rules over the values as they will stand — and
 * may change only values the reading has; its identity (key, times) never changes. A retracted
 * reading stays retracted.
 */
export function planCorrection(profile: DeviceProfile, rows: readonly StoredReading[], request: CorrectionRequest, atMs: number): Result<PlannedCorrection, Issue[]> {
  const first = rows[0];
  if (first === undefined) return err([issue(IssueCode.ReadingUnknown, '', 'no stored reading matches')]);
  // One reading's rows share its key; readings taken at one time are told apart by their message ids.
  if (rows.some((r) => r.idempotencyKey !== first.idempotencyKey)) return err([issue(IssueCode.ReadingUnknown, 'messageId', 'several readings were taken at this time: give the messageId')]);
  const retracted = rows.some((r) => r.status === 'entered-in-error');
  const before = Object.fromEntries(rows.map((r) => [r.metric, r.value]));
  // The reading as first stored: its identity in outputs (e.g. FHIR identifiers) is computed from it.
  const original = rows.map((r) => (r.firstValue === undefined ? r : { ...r, value: r.firstValue }));
  const base = { deviceId: first.deviceId, readingKey: first.idempotencyKey, before, reason: request.reason, requestedBy: request.requestedBy, atMs };
  if (request.action === 'retract') {
    return ok({ correction: { ...base, action: 'retract', after: undefined }, original, corrected: readingFromRows(rows), status: 'entered-in-error', unchanged: retracted });
  }
  if (retracted) return err([issue(IssueCode.ReadingRetracted, '', 'the reading was retracted; send a new reading instead')]);
  const sent = request.values ?? {};
  const unknown = Object.keys(sent).filter((m) => !(m in before));
  if (unknown.length > 0) return err(unknown.map((m) => issue(IssueCode.MetricUnknown, `values.${m}`, `the reading has no "${m}" to amend`)));
  // Validate the reading as it will stand: its other values unchanged, its own time and receipt.
  const merged = { ...before, ...sent };
  // Stored values are in canonical units, as are sent ones without a unit.
  const reading = { messageId: first.messageId, takenAt: new Date(first.deviceTakenAtMs).toISOString(), deviceTime: undefined, values: merged, units: request.units ?? {} };
  const ctx = { deviceId: first.deviceId, patientNhs: first.patientNhs, receivedAtMs: first.receivedAtMs, maxFutureSkewMs: Number.MAX_SAFE_INTEGER, clockDriftToleranceMs: Number.MAX_SAFE_INTEGER };
  const valid = validateReading(profile, reading, ctx);
  if (!valid.ok) return err(valid.error);
  const value = new Map(valid.value.reading.values.map((v) => [v.metric, v.value]));
  const corrected = rows.map((r) => ({ ...r, value: value.get(r.metric) ?? r.value }));
  const after = Object.fromEntries(corrected.map((r) => [r.metric, r.value]));
  const unchanged = rows.every((r) => r.status === 'amended' && r.value === after[r.metric]);
  return ok({ correction: { ...base, action: 'amend', after }, original, corrected: readingFromRows(corrected), status: 'amended', unchanged });
}
