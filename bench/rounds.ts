/**
 * Runs a round's pair back to back, the first of it first in even rounds and second in odd ones:
 * whatever running second does to a broker (the disk still writing back what the first wrote, a
 * machine warming up or slowing down) falls on each side of the pair equally often.
 */
export async function pairInOrder<T>(round: number, first: () => Promise<T>, second: () => Promise<T>): Promise<[T, T]> {
  if (round % 2 === 0) {
    const a = await first();
    return [a, await second()];
  }
  const b = await second();
  return [await first(), b];
}
