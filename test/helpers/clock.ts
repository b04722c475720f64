import type { Clock } from '../../src/domain/index.js';

/**
 * A clock that reads `iso` now and runs at the machine's pace from there. Tests whose meaning needs
 * a calendar date (a time zone's summer time, NICE NG136 days, a 15-minute period) give this clock
 * to the gateway with that date, so they pass on whatever day they run: a fixed date only ever
 * appears together with a fixed clock. Time still moves, so timers, back-off and timeouts behave
 * as in production.
 */
export function clockFrom(iso: string): Clock {
  const startMs = Date.parse(iso);
  if (Number.isNaN(startMs)) throw new Error(`clockFrom: not a date: ${iso}`);
  const realStartMs = Date.now();
  return { now: () => startMs + (Date.now() - realStartMs) };
}

/** A clock `offsetMs` ahead of this process's (behind when negative): another machine's clock. */
export function offsetClock(offsetMs: number): Clock {
  return { now: () => Date.now() + offsetMs };
}

/** The ISO 8601 form (UTC) of `ms` milliseconds before now (by `clock`, the machine's by default). */
export function isoAgo(ms: number, clock: Clock = { now: () => Date.now() }): string {
  return new Date(clock.now() - ms).toISOString();
}
