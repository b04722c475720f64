import { describe, expect, it } from 'vitest';
import { RevocationWatch } from '../../src/devices/index.js';
import { ManualClock } from '../../src/domain/index.js';

describe('RevocationWatch', () => {
  it('disconnects an account whose revocation was committed only after checks had passed its time (a slow commit), once', () => {
    const t0 = Date.now();
    const clock = new ManualClock(t0);
    // Revoked at t0 + 25 by another process, whose commit is seen only from t0 + 70.
    const revocations = [{ id: 'dr-leaves', atMs: t0 + 25, seenFromMs: t0 + 70 }];
    const connected = new Set(['dr-leaves', 'dr-stays']);
    const watch = new RevocationWatch(
      (sinceMs) => revocations.filter((r) => r.atMs >= sinceMs && r.seenFromMs <= clock.now()).map((r) => r.id),
      (id) => connected.delete(id),
      clock,
      20,
    );
    const checks: string[][] = [];
    for (let t = 20; t <= 200; t += 20) {
      clock.set(t0 + t);
      checks.push(watch.check());
    }
    expect(checks.flat()).toEqual(['dr-leaves']);
    expect(checks.findIndex((ids) => ids.length > 0)).toBe(3); // the first check after t0 + 70
    expect([...connected]).toEqual(['dr-stays']);
  });
});
