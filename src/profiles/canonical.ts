import { z } from 'zod';
import { err, IssueCode, issue, ok, type CanonicalReading, type Issue, type Result } from '../domain/index.js';

/**
 * A reading's values: an object holding at least one, each checked by the validation stage. Checked
 * whole, not as a record key by key (measured: a third of the schema check's cost per message).
 */
const ValuesSchema = z.custom<Record<string, unknown>>(
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0,
  'expected an object holding at least one value',
);

/** The gateway's own reading payload (README "Readings"). Values stay `unknown` here: validation gives the precise reason. */
const CanonicalReadingSchema = z
  .object({
    messageId: z.string().min(1).max(128).optional(),
    takenAt: z.string().min(1).max(64),
    deviceTime: z.string().min(1).max(64).optional(),
    values: ValuesSchema,
    units: z.record(z.string(), z.string().max(32)).optional(),
  })
  .strict();

/** The keys a reading without units may hold (the schema's, `units` aside). */
const PLAIN_KEYS: ReadonlySet<string> = new Set(['messageId', 'takenAt', 'deviceTime', 'values']);

const isString = (v: unknown, max: number): boolean => typeof v === 'string' && v.length >= 1 && v.length <= max;

/**
 * The common payload, one reading without units, checked by hand as {@link CanonicalReadingPayload}
 * checks it (this runs for every message; the schema costs several times more): the reading, or
 * undefined for anything else (a batch, units, any doubt), which goes to the schema, the only one
 * that words errors.
 */
export function plainReading(json: unknown): CanonicalReading | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  for (const key in json) if (!PLAIN_KEYS.has(key)) return undefined;
  const { messageId, takenAt, deviceTime, values } = json as Record<string, unknown>;
  if (!isString(takenAt, 64) || (messageId !== undefined && !isString(messageId, 128)) || (deviceTime !== undefined && !isString(deviceTime, 64))) return undefined;
  if (typeof values !== 'object' || values === null || Array.isArray(values)) return undefined;
  for (const key in values) {
    if (Object.hasOwn(values, key)) return { messageId: messageId as string | undefined, takenAt: takenAt as string, deviceTime: deviceTime as string | undefined, values: values as Record<string, unknown>, units: {} };
  }
  return undefined;
}

/** One reading, or a batch of them. (Two schemas rather than a union, so errors point at the bad field.) */
export const CanonicalReadingPayload = CanonicalReadingSchema;
export const CanonicalBatchPayload = z.array(CanonicalReadingSchema).min(1, 'a batch holds at least one reading');

/**
 * A device's correction of a reading it sent (`devices/<id>/corrections`): the reading is named by
 * its time exactly as first sent (and its messageId when several share it); `retract` marks it
 * entered in error, `amend` replaces values (in the units given, or canonical).
 */
export const CorrectionPayloadSchema = z
  .object({
    takenAt: z.string().min(1).max(64),
    messageId: z.string().min(1).max(128).optional(),
    action: z.enum(['retract', 'amend']),
    values: z.record(z.string(), z.unknown()).optional(),
    units: z.record(z.string(), z.string().max(32)).optional(),
    reason: z.string().min(1).max(500).optional(),
  })
  .strict()
  .refine((c) => c.action !== 'amend' || (c.values !== undefined && Object.keys(c.values).length > 0), { message: 'an amendment gives the new values', path: ['values'] })
  .refine((c) => c.action !== 'retract' || c.values === undefined, { message: 'a retraction takes no values', path: ['values'] });
export type CorrectionPayload = z.infer<typeof CorrectionPayloadSchema>;

/** Device status (`devices/<id>/status`): every field optional. */
export const StatusPayloadSchema = z
  .object({
    batteryPct: z.number().min(0).max(100).optional(),
    signalDbm: z.number().min(-150).max(20).optional(),
    firmware: z.string().min(1).max(64).optional(),
    deviceTime: z.string().min(1).max(64).optional(),
  })
  .strict();
export type StatusPayload = z.infer<typeof StatusPayloadSchema>;

/** Zod issues → gateway issues (`payload-invalid`, with a JSON-path-like `path`). */
export function toIssues(error: z.ZodError): Issue[] {
  return error.issues.map((i) =>
    issue(
      IssueCode.PayloadInvalid,
      i.path.map((p, n) => (typeof p === 'number' ? `[${p}]` : n === 0 ? String(p) : `.${String(p)}`)).join(''),
      i.message,
    ),
  );
}

/** A payload schema of this module (status, correction). */
export type PayloadSchema<T> = z.ZodType<T>;

/** A decoded payload checked against its schema: the typed payload, or why not, as gateway issues. */
export function parsePayload<T>(schema: PayloadSchema<T>, value: unknown): Result<T, Issue[]> {
  const parsed = schema.safeParse(value);
  return parsed.success ? ok(parsed.data) : err(toIssues(parsed.error));
}
