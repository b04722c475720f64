import {
  convert,
  err,
  IssueCode,
  issue,
  ok,
  toUcum,
  type CanonicalReading,
  type Issue,
  type Reading,
  readingKey,
  type ReadingValue,
  type Result,
} from '../domain/index.js';
import type { DeviceProfile } from '../profiles/index.js';
import { parseTimestamp, resolveTime, type ReadingTime } from './time.js';

export interface ValidationContext {
  readonly deviceId: string;
  readonly patientNhs: string;
  readonly receivedAtMs: number;
  readonly maxFutureSkewMs: number;
  readonly clockDriftToleranceMs: number;
  /** SHA-256 of the message, for readings whose Observations state it. */
  readonly payloadSha256?: string | undefined;
}

export interface ValidReading {
  readonly reading: Reading;
  readonly time: ReadingTime;
}

/**
 * Checks one canonical reading against its device's profile and turns it into the reading stored
 * (its values converted to their canonical units). Every problem is reported, not just the first.
 */
export function validateReading(
  profile: DeviceProfile,
  reading: CanonicalReading,
  ctx: ValidationContext,
): Result<ValidReading, Issue[]> {
  // This runs for every value received: no work (paths, messages) is done for values that pass.
  const issues: Issue[] = [];
  const converted: ReadingValue[] = [];

  for (const metric in reading.values) {
    // Own properties only: a value named "constructor" is an unknown metric, not Object's.
    const spec = Object.hasOwn(profile.metrics, metric) ? profile.metrics[metric] : undefined;
    if (spec === undefined) {
      issues.push(issue(IssueCode.MetricUnknown, `values.${metric}`, `"${metric}" is not a metric of profile ${profile.id}`));
      continue;
    }
    const raw = reading.values[metric];
    if (typeof raw !== 'number' || !Number.isFinite(raw)) {
      issues.push(issue(IssueCode.ValueNotNumber, `values.${metric}`, 'value must be a finite number'));
      continue;
    }
    const sent = Object.hasOwn(reading.units, metric) ? reading.units[metric] : undefined;
    const unit = sent === undefined ? spec.unit : toUcum(sent);
    if (unit !== spec.unit && !spec.alternativeUnits.includes(unit)) {
      const accepted = [spec.unit, ...spec.alternativeUnits].join(', ');
      issues.push(issue(IssueCode.UnitNotAccepted, `units.${metric}`, `unit "${sent}" is not accepted; use one of ${accepted}`));
      continue;
    }
    const factor = 10 ** spec.decimals;
    const value = Math.round((convert(raw, unit, spec.unit) as number) * factor) / factor;
    // [profile metrics.*.limits] hard plausibility limits, in the canonical unit
    if (value < spec.limits.min || value > spec.limits.max) {
      issues.push(
        issue(IssueCode.ValueOutOfRange, `values.${metric}`, `${value} ${spec.unit} is outside ${spec.limits.min}–${spec.limits.max} ${spec.unit}`),
      );
      continue;
    }
    converted.push({ metric, unit: spec.unit, value, sourceUnit: unit === spec.unit ? undefined : unit });
  }
  for (const metric in reading.units) {
    if (!Object.hasOwn(reading.values, metric)) issues.push(issue(IssueCode.PayloadInvalid, `units.${metric}`, 'unit given for a value that is absent'));
  }
  for (const metric in profile.metrics) {
    if (profile.metrics[metric]?.required === true && !Object.hasOwn(reading.values, metric)) {
      issues.push(issue(IssueCode.MetricMissing, `values.${metric}`, `profile ${profile.id} requires "${metric}"`));
    }
  }
  for (const rule of profile.rules) {
    const a = valueOf(converted, rule.metric);
    const b = valueOf(converted, rule.than);
    if (a !== undefined && b !== undefined && !(a > b)) {
      issues.push(issue(IssueCode.RuleViolated, `values.${rule.metric}`, rule.message ?? `${rule.metric} must be greater than ${rule.than}`));
    }
  }

  const time = readingTime(profile, reading, ctx);
  if (!time.ok) issues.push(time.error);
  if (issues.length > 0 || !time.ok) return err(issues);
  const t = time.value;
  // The values name the reading only when it has no message id.
  const values = reading.messageId === undefined ? valuesOf(converted) : NO_VALUES;
  const key = readingKey({ deviceId: ctx.deviceId, deviceTakenAtMs: t.deviceTakenAtMs, messageId: reading.messageId, values });
  const accepted: Reading = {
    idempotencyKey: key,
    deviceId: ctx.deviceId,
    patientNhs: ctx.patientNhs,
    profileId: profile.id,
    deviceTakenAtMs: t.deviceTakenAtMs,
    takenAtMs: t.takenAtMs,
    receivedAtMs: ctx.receivedAtMs,
    clockOffsetMs: t.clockOffsetMs,
    messageId: reading.messageId,
    payloadSha256: ctx.payloadSha256,
    // An exact copy: the list grown by push keeps room for 16, for as long as the reading waits for its commit.
    values: converted.slice(),
  };
  return ok({ reading: accepted, time: t });
}

const NO_VALUES: Readonly<Record<string, number>> = Object.freeze({});

function valuesOf(converted: readonly ReadingValue[]): Record<string, number> {
  const values: Record<string, number> = {};
  for (const c of converted) values[c.metric] = c.value;
  return values;
}

/** The value of `metric` among a reading's values (a handful: a scan beats a map). */
function valueOf(values: readonly ReadingValue[], metric: string): number | undefined {
  for (const v of values) if (v.metric === metric) return v.value;
  return undefined;
}

function readingTime(profile: DeviceProfile, reading: CanonicalReading, ctx: ValidationContext): Result<ReadingTime, Issue> {
  const takenAt = parseTimestamp(reading.takenAt, 'takenAt', profile.timeZone);
  if (!takenAt.ok) return takenAt;
  let deviceTime: number | undefined;
  if (reading.deviceTime !== undefined) {
    const parsed = parseTimestamp(reading.deviceTime, 'deviceTime', profile.timeZone);
    if (!parsed.ok) return parsed;
    deviceTime = parsed.value;
  }
  return resolveTime(
    takenAt.value,
    deviceTime,
    ctx.receivedAtMs,
    {
      maxFutureSkewMs: ctx.maxFutureSkewMs,
      clockDriftToleranceMs: ctx.clockDriftToleranceMs,
      maxReadingAgeMs: profile.maxReadingAgeDays * 86_400_000,
    },
    'takenAt',
  );
}
