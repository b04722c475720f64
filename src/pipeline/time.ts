import { err, IssueCode, issue, ok, zonedToUtc, type Issue, type Result } from '../domain/index.js';

/** ISO 8601 date-time, offset optional: groups y, m, d, h, min, s, fraction, offset. */
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses a device timestamp to epoch ms. Strings must be ISO 8601 with a UTC offset, unless the
 * profile declares the device's IANA time zone, in which case a local wall time is read in it.
 * Numbers are epoch ms (vendor mappings convert seconds before this stage).
 */
export function parseTimestamp(raw: string | number | undefined, path: string, timeZone?: string): Result<number, Issue> {
  if (typeof raw === 'number') {
    return Number.isFinite(raw) ? ok(Math.round(raw)) : err(issue(IssueCode.TimestampInvalid, path, 'not a finite epoch time'));
  }
  if (raw === undefined) return err(issue(IssueCode.TimestampInvalid, path, 'timestamp is missing'));
  const m = ISO.exec(raw);
  if (m === null) return err(issue(IssueCode.TimestampInvalid, path, `"${raw.slice(0, 40)}" is not an ISO 8601 date-time`));
  const [, y = '', mo = '', d = '', h = '', mi = '', s, frac, offset] = m; // the first five groups always match
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  // Seconds up to 60: a leap second [ISO 8601] is read as the next minute's first.
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 60) {
    return err(issue(IssueCode.TimestampInvalid, path, `"${raw.slice(0, 40)}" is not a real date-time`));
  }
  const ms = frac === undefined ? 0 : Math.round(Number(frac) * 1000);
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (offset !== undefined) return ok(wall - offsetMs(offset));
  if (timeZone === undefined) {
    return err(issue(IssueCode.TimestampMissingOffset, path, 'timestamp has no UTC offset and the profile declares no time zone'));
  }
  return ok(zonedToUtc(wall, timeZone));
}

/** Days in a month of the proleptic Gregorian calendar. */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function offsetMs(offset: string): number {
  if (offset === 'Z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
}

export interface TimePolicy {
  /** How far ahead of the gateway's clock a (corrected) reading may be. */
  readonly maxFutureSkewMs: number;
  /** A device clock off by more than this is flagged as drifting and its times corrected. */
  readonly clockDriftToleranceMs: number;
  /** Oldest acceptable reading. */
  readonly maxReadingAgeMs: number;
}

export interface ReadingTime {
  /** The device's own time for the measurement. */
  readonly deviceTakenAtMs: number;
  /** Corrected time (equal to the device's when no correction applies). */
  readonly takenAtMs: number;
  /** Gateway clock − device clock, known when the device sent its current time. */
  readonly clockOffsetMs: number | undefined;
  readonly clockDrift: boolean;
}

/**
 * Resolves a reading's time. When the device sends its current clock (`deviceTime`) alongside the
 * measurement, offset = receive time − device time; beyond the drift tolerance the measurement time
 * is shifted by that offset [HL7 PHD IG, coincident timestamp: the gateway corrects device time
 * stamps by the difference between the device's and the gateway's clocks]. The corrected time must
 * then be neither in the future (beyond the skew) nor older than the profile allows.
 */
export function resolveTime(
  takenAt: number,
  deviceTime: number | undefined,
  receivedAtMs: number,
  policy: TimePolicy,
  path: string,
): Result<ReadingTime, Issue> {
  const clockOffsetMs = deviceTime === undefined ? undefined : receivedAtMs - deviceTime;
  const clockDrift = clockOffsetMs !== undefined && Math.abs(clockOffsetMs) > policy.clockDriftToleranceMs;
  const takenAtMs = clockDrift ? takenAt + (clockOffsetMs as number) : takenAt;
  if (takenAtMs > receivedAtMs + policy.maxFutureSkewMs) {
    return err(
      issue(IssueCode.TimestampInFuture, path, `reading is ${Math.round((takenAtMs - receivedAtMs) / 1000)} s in the future`),
    );
  }
  if (receivedAtMs - takenAtMs > policy.maxReadingAgeMs) {
    const days = Math.floor((receivedAtMs - takenAtMs) / 86_400_000);
    return err(issue(IssueCode.TimestampTooOld, path, `reading is ${days} days old, more than the profile allows`));
  }
  return ok({ deviceTakenAtMs: takenAt, takenAtMs, clockOffsetMs, clockDrift });
}
