import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/index.js';
import { LoginThrottle } from '../../src/devices/index.js';

describe('LoginThrottle', () => {
  it('locks a device id after repeated failures until the window passes', () => {
    const clock = new ManualClock(0);
    const t = new LoginThrottle(clock, 3, 60_000);
    for (let i = 0; i < 2; i++) t.failed('d');
    expect(t.locked('d')).toBe(false);
    t.failed('d');
    expect(t.locked('d')).toBe(true);
    expect(t.locked('other')).toBe(false);
    clock.advance(59_999);
    expect(t.locked('d')).toBe(true);
    clock.advance(1);
    expect(t.locked('d')).toBe(false);
  });

  it('starts counting afresh after a quiet window, and forgets on success', () => {
    const clock = new ManualClock(0);
    const t = new LoginThrottle(clock, 2, 1_000);
    t.failed('d');
    clock.advance(1_000);
    t.failed('d');
    expect(t.locked('d')).toBe(false);
    t.succeeded('d');
    t.failed('d');
    expect(t.locked('d')).toBe(false);
  });
});
