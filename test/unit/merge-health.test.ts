import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeHealth } from '../../src/pipeline/commit-queue.js';
import type { HealthUpdate } from '../../src/store/reading-store.js';

/** What merging means, written plainly: later facts override earlier ones, times are the latest. */
function oracle(updates: readonly HealthUpdate[]): HealthUpdate[] {
  const byDevice = new Map<string, HealthUpdate>();
  for (const u of updates) {
    const prev = byDevice.get(u.deviceId);
    if (prev === undefined) {
      byDevice.set(u.deviceId, u);
      continue;
    }
    const readingAtMs = Math.max(prev.readingAtMs ?? -Infinity, u.readingAtMs ?? -Infinity);
    byDevice.set(u.deviceId, {
      ...prev,
      ...u,
      seenAtMs: Math.max(prev.seenAtMs, u.seenAtMs),
      ...(Number.isFinite(readingAtMs) ? { readingAtMs } : {}),
      ...(prev.status !== undefined || u.status !== undefined ? { status: { ...prev.status, ...u.status } } : {}),
    });
  }
  return [...byDevice.values()];
}

const update: fc.Arbitrary<HealthUpdate> = fc.record(
  {
    deviceId: fc.constantFrom('a', 'b', 'c'),
    seenAtMs: fc.integer({ min: 0, max: 100 }),
    readingAtMs: fc.integer({ min: 0, max: 100 }),
    clockOffsetMs: fc.integer({ min: -90_000, max: 90_000 }),
    clockDrift: fc.boolean(),
    status: fc.record({ batteryPct: fc.integer({ min: 0, max: 100 }), signalDbm: fc.integer({ min: -120, max: 0 }), firmware: fc.constantFrom('1.0', '1.1') }, { requiredKeys: [] }),
  },
  { requiredKeys: ['deviceId', 'seenAtMs'] },
);

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

  it('merges any updates as later-overrides-earlier with the latest times, in order of first appearance', () => {
    fc.assert(
      fc.property(fc.array(update, { maxLength: 20 }), (updates) => {
        // Frozen: merging updates its own copies, never the updates it was given (a write throws here).
        const given = updates.map((u) => Object.freeze({ ...u, ...(u.status === undefined ? {} : { status: Object.freeze({ ...u.status }) }) }));
        expect(mergeHealth(given)).toStrictEqual(oracle(given));
      }),
      { numRuns: 1000 },
    );
  });
});
