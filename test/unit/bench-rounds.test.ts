import { describe, expect, it } from 'vitest';
import { inTurns, pairInOrder } from '../../bench/rounds.js';

describe('the order of a round pair in the benchmark', () => {
  it('runs the first side first in even rounds and second in odd ones, each result in its own place, one run at a time', async () => {
    const log: string[] = [];
    let running = 0;
    const side = (name: string, round: number) => async (): Promise<string> => {
      running++;
      expect(running).toBe(1);
      log.push(`${name}${round} start`);
      await new Promise<void>((resolve) => setImmediate(resolve));
      log.push(`${name}${round} end`);
      running--;
      return `${name}${round}`;
    };
    const results = [];
    for (let round = 0; round < 4; round++) results.push(await pairInOrder(round, side('floor', round), side('gateway', round)));
    expect(results).toEqual([
      ['floor0', 'gateway0'],
      ['floor1', 'gateway1'],
      ['floor2', 'gateway2'],
      ['floor3', 'gateway3'],
    ]);
    expect(log.filter((l) => l.endsWith('start'))).toEqual(['floor0 start', 'gateway0 start', 'gateway1 start', 'floor1 start', 'floor2 start', 'gateway2 start', 'gateway3 start', 'floor3 start']);
    expect(log).toHaveLength(16);
  });

  it('takes three runs in turns: each in each place once over three rounds, results in the order given', async () => {
    const started: string[] = [];
    const run = (name: string) => (): Promise<string> => {
      started.push(name);
      return Promise.resolve(name);
    };
    const results = [];
    for (let round = 0; round < 3; round++) results.push(await inTurns<[string, string, string]>(round, [run('a'), run('b'), run('c')]));
    expect(results).toEqual([['a', 'b', 'c'], ['a', 'b', 'c'], ['a', 'b', 'c']]);
    expect(started).toEqual(['a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b']);
  });
});
