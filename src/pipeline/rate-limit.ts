import type { Clock } from '../domain/index.js';

interface Bucket {
  tokens: number;
  updatedAtMs: number;
}

/**
 * Per-device token buckets. A bucket holds one minute's allowance and refills continuously, so a
 * device may burst up to its per-minute limit and then sustain its rate. Buckets outlive
 * connections: reconnecting does not refill them. A bucket exists only for devices that published.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly clock: Clock) {}

  /** Takes one token for `key`; false when the bucket is empty. */
  take(key: string, perMinute: number): boolean {
    const now = this.clock.now();
    const b = this.buckets.get(key) ?? { tokens: perMinute, updatedAtMs: now };
    b.tokens = Math.min(perMinute, b.tokens + ((now - b.updatedAtMs) * perMinute) / 60_000);
    b.updatedAtMs = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
