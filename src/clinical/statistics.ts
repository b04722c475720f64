/** Statistics a window summary may state [FHIR R4 observation-statistics]. */
export type Statistic = 'mean' | 'min' | 'max' | 'count' | 'sum';

export interface WindowStatistics {
  readonly count: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly sum: number;
}

/** Summary statistics of a window's samples; undefined for an empty window. `decimals` rounds the mean and sum. */
export function statistics(values: readonly number[], decimals: number): WindowStatistics | undefined {
  if (values.length === 0) return undefined;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const f = 10 ** decimals;
  return { count: values.length, mean: Math.round((sum / values.length) * f) / f, min, max, sum: Math.round(sum * f) / f };
}
