import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../../src/observability/index.js';

const series = (text: string, name: string): string[] => text.split('\n').filter((l) => l.startsWith(`${name}{`));

describe('gateway metrics', () => {
  it('counts values stored and repeated by profile, each once, however often they are read', async () => {
    const metrics = new GatewayMetrics();
    expect(series(await metrics.render(), 'vg_readings_accepted_total')).toEqual([]);
    metrics.readingsAccepted('bp-upper-arm', 3);
    metrics.readingsAccepted('pulse-oximeter', 2);
    metrics.readingsAccepted('bp-upper-arm', 3);
    metrics.readingsDuplicate('bp-upper-arm', 3);
    const first = await metrics.render();
    expect(series(first, 'vg_readings_accepted_total')).toEqual(['vg_readings_accepted_total{profile="bp-upper-arm"} 6', 'vg_readings_accepted_total{profile="pulse-oximeter"} 2']);
    expect(series(first, 'vg_readings_duplicate_total')).toEqual(['vg_readings_duplicate_total{profile="bp-upper-arm"} 3']);
    // Read again with nothing new: the same totals.
    expect(await metrics.render()).toBe(first);
    metrics.readingsAccepted('pulse-oximeter', 2);
    const single = await metrics.registry.getSingleMetric('vg_readings_accepted_total')?.get();
    expect(single?.values.map((v) => [v.labels['profile'], v.value])).toEqual([['bp-upper-arm', 6], ['pulse-oximeter', 4]]);
  });
});
