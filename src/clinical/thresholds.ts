/** A threshold condition on one metric (a profile's alert rule, or a clinician's override of it). */
export interface Threshold {
  readonly above?: number | undefined;
  readonly below?: number | undefined;
  /** Clears only at or past this value (hysteresis); default the threshold itself. */
  readonly clearAt?: number | undefined;
  /** The breach must last this long before the alert opens. */
  readonly durationMinutes?: number | undefined;
}

/** Where one condition stands for one device. */
export interface ThresholdState {
  readonly open: boolean;
  /** When the current run of breaching samples began (a duration not yet reached). */
  readonly breachSinceMs?: number | undefined;
}

export type ThresholdTransition = 'open' | 'resolve' | undefined;

const breaches = (t: Threshold, value: number): boolean => (t.above !== undefined ? value > t.above : t.below !== undefined && value < t.below);

/** Back to normal: at or past `clearAt` (or no longer breaching, without one). */
const cleared = (t: Threshold, value: number): boolean => {
  if (t.above !== undefined) return value <= (t.clearAt ?? t.above);
  if (t.below !== undefined) return value >= (t.clearAt ?? t.below);
  return true;
};

/**
 * One sample through one threshold. Closed: a breach opens it — at once, or once breaching samples
 * have lasted `durationMinutes` without a normal one between. Open: it stays open (no repeat) until a
 * sample is back past `clearAt`, then resolves. Samples must come in time order.
 */
export function evaluateThreshold(t: Threshold, state: ThresholdState, value: number, atMs: number): { state: ThresholdState; transition: ThresholdTransition } {
  if (state.open) return cleared(t, value) ? { state: { open: false }, transition: 'resolve' } : { state, transition: undefined };
  if (!breaches(t, value)) return { state: { open: false }, transition: undefined };
  const since = state.breachSinceMs ?? atMs;
  if (t.durationMinutes === undefined || atMs - since >= t.durationMinutes * 60_000) return { state: { open: true }, transition: 'open' };
  return { state: { open: false, breachSinceMs: since }, transition: undefined };
}
