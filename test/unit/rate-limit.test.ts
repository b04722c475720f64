import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/index.js';
import { RateLimiter } from '../../src/pipeline/index.js';

describe('RateLimiter', () => {
  it('allows a burst of one minute\'s allowance, then refills at the rate', () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter(clock);
    const burst = Array.from({ length: 7 }, () => limiter.take('d1', 6));
    expect(burst).toEqual([true, true, true, true, true, true, false]);
    clock.advance(9_999);
    expect(limiter.take('d1', 6)).toBe(false);
    clock.advance(1);
    expect(limiter.take('d1', 6)).toBe(true);
    expect(limiter.take('d1', 6)).toBe(false);
  });

  it('keeps devices apart', () => {
    const limiter = new RateLimiter(new ManualClock(0));
    expect(limiter.take('a', 1)).toBe(true);
    expect(limiter.take('a', 1)).toBe(false);
    expect(limiter.take('b', 1)).toBe(true);
  });
});

describe('RateLimiter: back-pressure before refusal', () => {
  it('lets the minute\'s allowance go at once, paces the backlog allowance, then refuses', () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter(clock, 50);
    const delays = Array.from({ length: 6 + 4 + 1 }, () => limiter.admit('cuff', 6, 4));
    expect(delays.slice(0, 6)).toEqual(Array.from({ length: 6 }, () => ({ ok: true, delayMs: 0, paced: false })));
    // The backlog: slowed, 50 ms apart, not refused.
    expect(delays.slice(6, 10)).toEqual([0, 50, 100, 150].map((delayMs) => ({ ok: true, delayMs, paced: true })));
    // Past both allowances: refused.
    expect(delays[10]).toEqual({ ok: false });
  });

  it('refills both allowances at the per-minute rate, and paces from now once the queue has gone', () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter(clock, 50);
    for (let i = 0; i < 10; i++) limiter.admit('cuff', 6, 4);
    expect(limiter.admit('cuff', 6, 4)).toEqual({ ok: false });
    clock.advance(10_000); // one token back: into the backlog share, so paced, from now
    expect(limiter.admit('cuff', 6, 4)).toEqual({ ok: true, delayMs: 0, paced: true });
    expect(limiter.admit('cuff', 6, 4)).toEqual({ ok: false });
    clock.advance(60_000 * (10 / 6)); // a quiet device gets everything back
    expect(Array.from({ length: 6 }, () => limiter.admit('cuff', 6, 4).ok)).toEqual([true, true, true, true, true, true]);
  });
});
