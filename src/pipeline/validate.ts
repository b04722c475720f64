import {
  convert,
  err,
  idempotencyKey,
  IssueCode,
  issue,
  ok,
  toUcum,
  type CanonicalReading,
  type Issue,
  type ReadingRow,
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
  /** SHA-256 of the message, for readings whose Observations state it (kept on each reading's first row). */
  readonly payloadSha256?: string | undefined;
}

export interface ValidReading {
  readonly rows: ReadingRow[];
  readonly time: ReadingTime;
}

/**
 * Checks one canonical reading against its device's profile and turns it into stored rows (one per
 * value, converted to the canonical unit). Every problem is reported, not just the first.
 */
export function validateReading(
  profile: DeviceProfile,
  reading: CanonicalReading,
  ctx: ValidationContext,
): Result<ValidReading, Issue[]> {
  const issues: Issue[] = [];
  const converted = new Map<string, { value: number; sourceUnit: string | undefined }>();

  for (const [metric, raw] of Object.entries(reading.values)) {
    const path = `values.${metric}`;
    const spec = profile.metrics[metric];
    if (spec === undefined) {
      issues.push(issue(IssueCode.MetricUnknown, path, `"${metric}" is not a metric of profile ${profile.id}`));
      continue;
    }
    if (typeof raw !== 'number' || !Number.isFinite(raw)) {
      issues.push(issue(IssueCode.ValueNotNumber, path, 'value must be a finite number'));
      continue;
    }
    const sent = reading.units[metric];
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
        issue(IssueCode.ValueOutOfRange, path, `${value} ${spec.unit} is outside ${spec.limits.min}–${spec.limits.max} ${spec.unit}`),
      );
      continue;
    }
    converted.set(metric, { value, sourceUnit: unit === spec.unit ? undefined : unit });
  }
  for (const metric of Object.keys(reading.units)) {
    if (!(metric in reading.values)) issues.push(issue(IssueCode.PayloadInvalid, `units.${metric}`, 'unit given for a value that is absent'));
  }
  for (const [metric, spec] of Object.entries(profile.metrics)) {
    if (spec.required && !(metric in reading.values)) {
      issues.push(issue(IssueCode.MetricMissing, `values.${metric}`, `profile ${profile.id} requires "${metric}"`));
    }
  }
  for (const rule of profile.rules) {
    const a = converted.get(rule.metric);
    const b = converted.get(rule.than);
    if (a !== undefined && b !== undefined && !(a.value > b.value)) {
      issues.push(issue(IssueCode.RuleViolated, `values.${rule.metric}`, rule.message ?? `${rule.metric} must be greater than ${rule.than}`));
    }
  }

  const time = readingTime(profile, reading, ctx);
  if (!time.ok) issues.push(time.error);
  if (issues.length > 0 || !time.ok) return err(issues);

  const t = time.value;
  const rows = [...converted].map(([metric, { value, sourceUnit }], i): ReadingRow => ({
    idempotencyKey: idempotencyKey({ deviceId: ctx.deviceId, metric, messageId: reading.messageId, deviceTakenAtMs: t.deviceTakenAtMs, value }),
    deviceId: ctx.deviceId,
    patientNhs: ctx.patientNhs,
    profileId: profile.id,
    metric,
    value,
    unit: (profile.metrics[metric] as { unit: string }).unit,
    sourceUnit,
    deviceTakenAtMs: t.deviceTakenAtMs,
    takenAtMs: t.takenAtMs,
    receivedAtMs: ctx.receivedAtMs,
    clockOffsetMs: t.clockOffsetMs,
    messageId: reading.messageId,
    // Provenance of the whole reading, kept once: on its first row.
    payloadSha256: i === 0 ? ctx.payloadSha256 : undefined,
  }));
  return ok({ rows, time: t });
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
