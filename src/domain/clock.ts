/** The one source of "now", injected so durations, staleness and back-off are tested without sleeping. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private ms: number) {}
  now(): number {
    return this.ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/**
 * A value re-read at most every `ttlMs` of `clock` time (and again if the clock goes back): for
 * tables other processes change, such as clinicians' per-patient settings set on the command line.
 */
export function refreshed<T>(read: () => T, clock: Clock, ttlMs: number): () => T {
  let value: T | undefined;
  let readAtMs = -Infinity;
  return () => {
    const now = clock.now();
    if (value === undefined || now - readAtMs > ttlMs || now < readAtMs) {
      value = read();
      readAtMs = now;
    }
    return value;
  };
}
