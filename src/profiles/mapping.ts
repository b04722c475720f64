import { err, IssueCode, issue, ok, type CanonicalReading, type Issue, type Result } from '../domain/index.js';
import { CanonicalBatchPayload, CanonicalReadingPayload, plainReading, toIssues } from './canonical.js';
import type { DeviceProfile, TimeFieldSpec, VendorPayload } from './schema.js';

/**
 * Maps a parsed payload to canonical readings using the device's profile: the canonical shape is
 * checked by schema; a vendor shape is read through the profile's field paths, so a device that
 * publishes its own JSON is accepted by adding a profile, not code.
 */
export function mapPayload(profile: DeviceProfile, json: unknown): Result<CanonicalReading[], Issue[]> {
  if (profile.payload.format === 'vendor') return mapVendor(profile.payload, json);
  const plain = plainReading(json);
  if (plain !== undefined) return ok([plain]);
  const parsed = Array.isArray(json) ? CanonicalBatchPayload.safeParse(json) : CanonicalReadingPayload.safeParse(json);
  if (!parsed.success) return err(toIssues(parsed.error));
  const list = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
  return ok(
    list.map((r) => ({
      messageId: r.messageId,
      takenAt: r.takenAt,
      deviceTime: r.deviceTime,
      values: r.values,
      units: r.units ?? {},
    })),
  );
}

function mapVendor(spec: VendorPayload, json: unknown): Result<CanonicalReading[], Issue[]> {
  let items: unknown[];
  let prefix: (i: number) => string;
  if (spec.batchPath !== undefined) {
    const batch = readPath(json, spec.batchPath);
    if (!Array.isArray(batch) || batch.length === 0) {
      return err([issue(IssueCode.PayloadInvalid, spec.batchPath, 'expected a non-empty array of readings')]);
    }
    items = batch;
    prefix = (i) => `${spec.batchPath}[${i}].`;
  } else {
    items = Array.isArray(json) ? json : [json];
    prefix = (i) => (Array.isArray(json) ? `[${i}].` : '');
  }
  const readings: CanonicalReading[] = [];
  const issues: Issue[] = [];
  items.forEach((item, i) => {
    const at = prefix(i);
    if (typeof item !== 'object' || item === null) {
      issues.push(issue(IssueCode.PayloadInvalid, at.replace(/\.$/, ''), 'expected an object'));
      return;
    }
    const values: Record<string, unknown> = {};
    const units: Record<string, string> = {};
    for (const [metric, field] of Object.entries(spec.values)) {
      const value = readPath(item, field.path);
      if (value === undefined) continue;
      values[metric] = value;
      const unit = field.unit ?? (field.unitPath !== undefined ? readPath(item, field.unitPath) : undefined);
      if (typeof unit === 'string') units[metric] = unit;
    }
    const messageId = spec.messageId !== undefined ? readPath(item, spec.messageId) : undefined;
    readings.push({
      messageId: typeof messageId === 'string' || typeof messageId === 'number' ? String(messageId) : undefined,
      takenAt: readTime(item, spec.takenAt),
      deviceTime: spec.deviceTime !== undefined ? readTime(item, spec.deviceTime) : undefined,
      values,
      units,
    });
    if (Object.keys(values).length === 0) {
      issues.push(issue(IssueCode.PayloadInvalid, at.replace(/\.$/, ''), 'no field of the profile\'s value mapping is present'));
    }
  });
  return issues.length > 0 ? err(issues) : ok(readings);
}

/** A timestamp with its declared format, tagged so the time stage knows how to read it. */
function readTime(item: unknown, field: TimeFieldSpec): string | number | undefined {
  const raw = readPath(item, field.path);
  if (field.format === 'iso-8601') return typeof raw === 'string' ? raw : undefined;
  if (typeof raw !== 'number') return undefined;
  return field.format === 'epoch-s' ? raw * 1000 : raw;
}

/** Follows a dot-separated path through objects and arrays; undefined when any step is missing. */
export function readPath(value: unknown, path: string): unknown {
  let here: unknown = value;
  for (const key of path.split('.')) {
    if (typeof here !== 'object' || here === null) return undefined;
    here = Object.hasOwn(here, key) ? (here as Record<string, unknown>)[key] : undefined;
  }
  return here;
}
