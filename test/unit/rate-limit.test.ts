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
