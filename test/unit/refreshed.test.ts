import { describe, expect, it } from 'vitest';
import { ManualClock, refreshed } from '../../src/domain/index.js';

describe('refreshed', () => {
  it('reads once, again only after the TTL, and again if the clock goes back', () => {
    const clock = new ManualClock(1_000);
    let reads = 0;
    const value = refreshed(() => ++reads, clock, 5_000);
    expect([value(), value()]).toEqual([1, 1]);
    clock.advance(5_000);
    expect(value()).toBe(1);
    clock.advance(1);
    expect(value()).toBe(2);
    clock.set(0);
    expect(value()).toBe(3);
  });
});
