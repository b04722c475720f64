import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/index.js';
import { FloodGuard } from '../../src/pipeline/index.js';

describe('FloodGuard', () => {
  it('bans a device after too many rate-limited messages within the window, for the ban period', () => {
    const clock = new ManualClock(0);
    const guard = new FloodGuard(clock, 3, 60_000, 30_000);
    expect([guard.refused('d'), guard.refused('d')]).toEqual([false, false]);
    expect(guard.banned('d')).toBe(false);
    expect(guard.refused('d')).toBe(true);
    expect(guard.banned('d')).toBe(true);
    expect(guard.refused('d')).toBe(false); // said once per ban
    expect(guard.banned('other')).toBe(false);
    clock.advance(29_999);
    expect(guard.banned('d')).toBe(true);
    clock.advance(1);
    expect(guard.banned('d')).toBe(false);
  });

  it('counts afresh once the window has passed', () => {
    const clock = new ManualClock(0);
    const guard = new FloodGuard(clock, 2, 1_000, 5_000);
    expect(guard.refused('d')).toBe(false);
    clock.advance(1_000);
    expect(guard.refused('d')).toBe(false);
    expect(guard.refused('d')).toBe(true);
  });
});
