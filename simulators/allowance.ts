import type { Clock } from '../src/domain/index.js';

/**
 * Share of a profile's rate the simulator lets itself use. The gateway's bucket starts when the
 * first message arrives and refills by the gateway's clock; refilling ours a little slower keeps
 * network latency and clock differences from ever tipping a well-behaved device over its limit.
 */
const SAFETY = 0.9;

/**
 * The simulator's copy of the gateway's per-device token bucket (`maxMessagesPerMinute`, holding
 * one minute's worth; see the profile schema): regular traffic only goes out when a token is here,
 * so the only `rate-limited` rejections are the ones a flood fault asks for.
 */
export class Allowance {
  private tokens: number;
  private updatedAtMs: number;

  constructor(
    readonly perMinute: number,
    private readonly clock: Clock,
    initialTokens = perMinute,
  ) {
    this.tokens = Math.min(perMinute, initialTokens);
    this.updatedAtMs = clock.now();
  }

  /** Tokens available now. */
  available(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.perMinute, this.tokens + ((now - this.updatedAtMs) * this.perMinute * SAFETY) / 60_000);
    this.updatedAtMs = now;
    return this.tokens;
  }

  /** Spends `n` tokens (a flood spends more than there are). */
  take(n = 1): void {
    this.tokens = Math.max(0, this.available() - n);
  }

  /**
   * Empties the bucket: the gateway said `rate-limited`, so its bucket is emptier than ours. The
   * device backs off until it refills.
   */
  drain(): void {
    this.tokens = 0;
    this.updatedAtMs = this.clock.now();
  }

  /** Milliseconds until `n` tokens are available; 0 when they are. Infinity when `n` exceeds the bucket. */
  msUntil(n: number): number {
    if (n > this.perMinute) return Number.POSITIVE_INFINITY;
    const missing = n - this.available();
    return missing <= 0 ? 0 : Math.ceil((missing * 60_000) / (this.perMinute * SAFETY));
  }
}
