/**
 * Runs a round's pair back to back, the first of it first in even rounds and second in odd ones:
 * whatever running second does to a broker (the disk still writing back what the first wrote, a
 * machine warming up or slowing down) falls on each side of the pair equally often.
 */
export async function pairInOrder<T>(round: number, first: () => Promise<T>, second: () => Promise<T>): Promise<[T, T]> {
  const [a, b] = await inTurns(round, [first, second]);
  return [a as T, b as T];
}

/**
 * Runs a round's runs one after another, starting with run `round mod n` and going round: each run
 * takes each place in the order equally often over `n` rounds (two runs: {@link pairInOrder}).
 * Resolves with the results in the order the runs were given.
 */
export async function inTurns<T>(round: number, runs: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array<T>(runs.length);
  for (let k = 0; k < runs.length; k++) {
    const i = (round + k) % runs.length;
    results[i] = await (runs[i] as () => Promise<T>)();
  }
  return results;
}
