import { err, IssueCode, issue, ok, zonedToUtc, type Issue, type Result } from '../domain/index.js';

/**
 * Parses a device timestamp to epoch ms. Strings must be ISO 8601 with a UTC offset, unless the
 * profile declares the device's IANA time zone, in which case a local wall time is read in it.
 * Numbers are epoch ms (vendor mappings convert seconds before this stage).
 *
 * The form read: `YYYY-MM-DD[T ]hh:mm[:ss[.f…]][Z|±hh[:]mm]`, fractions of 1 to 9 digits. It runs
 * for every reading, so it is scanned by character rather than by a regular expression (which
 * made a string for each part).
 */
export function parseTimestamp(raw: string | number | undefined, path: string, timeZone?: string): Result<number, Issue> {
  if (typeof raw === 'number') {
    return Number.isFinite(raw) ? ok(Math.round(raw)) : err(issue(IssueCode.TimestampInvalid, path, 'not a finite epoch time'));
  }
  if (raw === undefined) return err(issue(IssueCode.TimestampInvalid, path, 'timestamp is missing'));
  const year = digits(raw, 0, 4);
  const month = digits(raw, 5, 2);
  const day = digits(raw, 8, 2);
  const hour = digits(raw, 11, 2);
  const minute = digits(raw, 14, 2);
  const sep = raw.charCodeAt(10);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || raw.charCodeAt(4) !== DASH || raw.charCodeAt(7) !== DASH || (sep !== T && sep !== SPACE) || raw.charCodeAt(13) !== COLON) {
    return notIso(raw, path);
  }
  let i = 16;
  let second = 0;
  let ms = 0;
  if (raw.charCodeAt(i) === COLON) {
    second = digits(raw, i + 1, 2);
    if (second < 0) return notIso(raw, path);
    i += 3;
    if (raw.charCodeAt(i) === DOT) {
      let end = i + 1;
      while (end - i <= 9 && isDigit(raw.charCodeAt(end))) end += 1;
      if (end === i + 1) return notIso(raw, path);
      ms = Math.round(Number(raw.slice(i, end)) * 1000);
      i = end;
    }
  }
  const offset = offsetAt(raw, i);
  if (offset === INVALID) return notIso(raw, path);
  // Seconds up to 60: a leap second [ISO 8601] is read as the next minute's first.
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 60) {
    return err(issue(IssueCode.TimestampInvalid, path, `"${raw.slice(0, 40)}" is not a real date-time`));
  }
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (offset !== undefined) return ok(wall - offset);
  if (timeZone === undefined) {
    return err(issue(IssueCode.TimestampMissingOffset, path, 'timestamp has no UTC offset and the profile declares no time zone'));
  }
  return ok(zonedToUtc(wall, timeZone));
}

const notIso = (raw: string, path: string): Result<never, Issue> => err(issue(IssueCode.TimestampInvalid, path, `"${raw.slice(0, 40)}" is not an ISO 8601 date-time`));

const DASH = 0x2d;
const COLON = 0x3a;
const DOT = 0x2e;
const T = 0x54;
const SPACE = 0x20;
const Z = 0x5a;
const PLUS = 0x2b;
const INVALID = -Infinity;

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** The number written by the `n` ASCII digits at `at`, or −1 if any is not one. */
function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let k = at; k < at + n; k++) {
    const c = s.charCodeAt(k);
    if (!isDigit(c)) return -1;
    v = v * 10 + c - 0x30;
  }
  return v;
}

/** The UTC offset ending the string at `at`, in ms: `Z`, `±hh:mm`, `±hhmm`, none (undefined), or `INVALID`. */
function offsetAt(s: string, at: number): number | undefined {
  if (at === s.length) return undefined;
  const c = s.charCodeAt(at);
  if (c === Z) return at + 1 === s.length ? 0 : INVALID;
  if (c !== PLUS && c !== DASH) return INVALID;
  const colon = s.charCodeAt(at + 3) === COLON ? 1 : 0;
  const hh = digits(s, at + 1, 2);
  const mm = digits(s, at + 3 + colon, 2);
  if (hh < 0 || mm < 0 || at + 5 + colon !== s.length) return INVALID;
  return (c === DASH ? -1 : 1) * (hh * 60 + mm) * 60_000;
}

/** Days in a month of the proleptic Gregorian calendar. */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
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
