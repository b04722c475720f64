/**
 * Runs a round's pair back to back, the first of it first in even rounds and second in odd ones:
 * whatever running second does to a broker (the disk still writing back what the first wrote, a
 * machine warming up or slowing down) falls on each side of the pair equally often.
 */
export function pairInOrder<T>(round: number, first: () => Promise<T>, second: () => Promise<T>): Promise<[T, T]> {
  return inTurns<[T, T]>(round, [first, second]);
}

/**
 * Runs a round's runs one after another, starting with run `round mod n` and going round: each run
 * takes each place in the order equally often over `n` rounds (two runs: {@link pairInOrder}).
 * Resolves with the results in the order the runs were given.
 */
export async function inTurns<T extends readonly unknown[]>(round: number, runs: { readonly [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
  const list = runs as readonly (() => Promise<unknown>)[];
  const results: unknown[] = new Array<unknown>(list.length);
  for (let k = 0; k < list.length; k++) {
    const i = (round + k) % list.length;
    results[i] = await (list[i] as () => Promise<unknown>)();
  }
  return results as unknown as T;
}
