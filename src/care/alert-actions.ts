import { err, ok, type Result } from '../domain/index.js';
import type { AlertChange, AlertRecord } from '../store/reading-store.js';

/** What a person can do to an alert. */
export type AlertAction =
  | { readonly kind: 'acknowledge'; readonly note: string }
  | { readonly kind: 'resolve'; readonly note: string }
  | { readonly kind: 'snooze'; readonly minutes: number; readonly note: string }
  | { readonly kind: 'assign'; readonly to: string; readonly note: string };

export const AlertActionError = {
  /** Already resolved, or acknowledged twice. */
  Conflict: 'conflict',
} as const;
export type AlertActionError = (typeof AlertActionError)[keyof typeof AlertActionError];

/**
 * The change an action makes, kept with who and the note (the alert's audit trail): acknowledge an
 * open alert (stops escalation), resolve an unresolved one, snooze escalation for a while, or assign
 * it to a colleague. A resolved alert changes no more.
 */
export function planAlertAction(alert: AlertRecord, action: AlertAction, by: string, nowMs: number): Result<AlertChange, AlertActionError> {
  if (alert.state === 'resolved') return err(AlertActionError.Conflict);
  switch (action.kind) {
    case 'acknowledge':
      if (alert.state !== 'open') return err(AlertActionError.Conflict);
      return ok({ alert: { ...alert, state: 'acknowledged', updatedAtMs: nowMs }, by, note: action.note });
    case 'resolve':
      return ok({ alert: { ...alert, state: 'resolved', updatedAtMs: nowMs }, by, note: action.note });
    case 'snooze': {
      const snoozedUntilMs = nowMs + action.minutes * 60_000;
      return ok({ alert: { ...alert, snoozedUntilMs, updatedAtMs: nowMs }, by, note: `snoozed until ${new Date(snoozedUntilMs).toISOString()}: ${action.note}` });
    }
    case 'assign':
      return ok({ alert: { ...alert, assignedTo: action.to, updatedAtMs: nowMs }, by, note: `assigned to ${action.to}: ${action.note}` });
  }
}
