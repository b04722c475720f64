import { describe, expect, it } from 'vitest';
import { evaluateThreshold, type Threshold, type ThresholdState } from '../../src/clinical/index.js';

/** Runs samples `[value, minute]` through a threshold; the transitions, in order. */
function run(t: Threshold, samples: readonly (readonly [number, number])[]): string[] {
  let state: ThresholdState = { open: false };
  const out: string[] = [];
  for (const [value, minute] of samples) {
    const r = evaluateThreshold(t, state, value, minute * 60_000);
    state = r.state;
    if (r.transition !== undefined) out.push(`${r.transition}@${value}`);
  }
  return out;
}

describe('evaluateThreshold', () => {
  it('opens on a breach and resolves when back within the threshold, without clearAt', () => {
    expect(run({ above: 179 }, [[170, 0], [180, 1], [185, 2], [179, 3], [181, 4]])).toEqual(['open@180', 'resolve@179', 'open@181']);
    expect(run({ below: 92 }, [[95, 0], [91, 1], [90, 2], [92, 3]])).toEqual(['open@91', 'resolve@92']);
  });

  it('stays open between the threshold and clearAt (hysteresis), so values around it do not flap', () => {
    expect(run({ above: 179, clearAt: 170 }, [[182, 0], [176, 1], [181, 2], [171, 3], [170, 4], [175, 5]])).toEqual(['open@182', 'resolve@170']);
    expect(run({ below: 92, clearAt: 94 }, [[91, 0], [93, 1], [90, 2], [94, 3]])).toEqual(['open@91', 'resolve@94']);
  });

  it('with a duration, opens only once breaching samples have lasted that long with no normal one between', () => {
    const t = { above: 130, durationMinutes: 5 };
    expect(run(t, [[135, 0], [136, 4], [110, 5], [140, 6], [141, 10], [142, 11]])).toEqual(['open@142']);
    expect(run(t, [[135, 0], [136, 5]])).toEqual(['open@136']);
    expect(run(t, [[135, 0], [136, 4]])).toEqual([]);
  });
});
