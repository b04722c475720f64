import { describe, expect, it } from 'vitest';
import { mergeHealth } from '../../src/pipeline/commit-queue.js';

describe('mergeHealth', () => {
  it('keeps one update per device with the latest times and the newest facts', () => {
    const merged = mergeHealth([
      { deviceId: 'a', seenAtMs: 10, readingAtMs: 5, status: { batteryPct: 80, firmware: '1.0' } },
      { deviceId: 'b', seenAtMs: 11 },
      { deviceId: 'a', seenAtMs: 12, clockOffsetMs: 90_000, clockDrift: true, status: { batteryPct: 79 } },
      { deviceId: 'a', seenAtMs: 11, readingAtMs: 3 },
    ]);
    expect(merged).toEqual([
      { deviceId: 'a', seenAtMs: 12, readingAtMs: 5, clockOffsetMs: 90_000, clockDrift: true, status: { batteryPct: 79, firmware: '1.0' } },
      { deviceId: 'b', seenAtMs: 11 },
    ]);
  });
});
