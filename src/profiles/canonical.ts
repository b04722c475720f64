import { z } from 'zod';
import { IssueCode, issue, type Issue } from '../domain/index.js';

/** The gateway's own reading payload (README "Readings"). Values stay `unknown` here: validation gives the precise reason. */
const CanonicalReadingSchema = z
  .object({
    messageId: z.string().min(1).max(128).optional(),
    takenAt: z.string().min(1).max(64),
    deviceTime: z.string().min(1).max(64).optional(),
    values: z.record(z.string(), z.unknown()).refine((v) => Object.keys(v).length > 0, 'at least one value'),
    units: z.record(z.string(), z.string().max(32)).optional(),
  })
  .strict();

/** One reading, or a batch of them. (Two schemas rather than a union, so errors point at the bad field.) */
export const CanonicalReadingPayload = CanonicalReadingSchema;
export const CanonicalBatchPayload = z.array(CanonicalReadingSchema).min(1, 'a batch holds at least one reading');

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
