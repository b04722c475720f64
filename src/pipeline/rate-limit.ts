import type { Clock } from '../domain/index.js';

interface Bucket {
  tokens: number;
  updatedAtMs: number;
  /** When the next message beyond the per-minute allowance may go. */
  nextPacedAtMs: number;
}

/** What becomes of one message: go now, go after a wait (slowed), or refused. */
export type Admission = { readonly ok: true; readonly delayMs: number; readonly paced: boolean } | { readonly ok: false };

/**
 * Per-device admission: a token bucket holding one minute's allowance plus the device's backlog
 * allowance, refilled at the per-minute rate. Messages within the minute's allowance go at once;
 * messages beyond it (a device catching up on what it stored while offline) are slowed — paced
 * `pacingMs` apart, their PUBACKs held until then — and not refused; only a message finding the
 * bucket empty (a flood far past both allowances) is refused. Buckets outlive connections:
 * reconnecting does not refill them. A bucket exists only for devices that published.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly clock: Clock,
    /** Spacing of messages beyond the per-minute allowance (1000 / `ingest.backlogPerSecond`). */
    private readonly pacingMs = 50,
  ) {}

  admit(key: string, perMinute: number, backlog = 0): Admission {
    const now = this.clock.now();
    const capacity = perMinute + backlog;
    const b = this.buckets.get(key) ?? { tokens: capacity, updatedAtMs: now, nextPacedAtMs: now };
    b.tokens = Math.min(capacity, b.tokens + ((now - b.updatedAtMs) * perMinute) / 60_000);
    b.updatedAtMs = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) return { ok: false };
    b.tokens -= 1;
    // Still within the minute's allowance: at once.
    if (b.tokens >= backlog) return { ok: true, delayMs: 0, paced: false };
    const at = Math.max(now, b.nextPacedAtMs);
    b.nextPacedAtMs = at + this.pacingMs;
    return { ok: true, delayMs: at - now, paced: true };
  }

  /** Takes one token for `key` with no backlog allowance; false when the bucket is empty. */
  take(key: string, perMinute: number): boolean {
    return this.admit(key, perMinute).ok;
  }
}
