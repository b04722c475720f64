import { describe, expect, it } from 'vitest';
import { Turns } from '../../src/pipeline/turns.js';

describe('Turns', () => {
  it('runs a step at once, synchronously, when nothing for its key waits', () => {
    const turns = new Turns();
    expect(turns.run('a', () => 1)).toBe(1);
    expect(turns.busy).toBe(0);
  });

  it('makes later calls for a key wait for an earlier step that waits, in arrival order; other keys go on', async () => {
    const turns = new Turns();
    const order: string[] = [];
    let release!: () => void;
    const first = turns.run('cuff', () => new Promise<void>((r) => (release = r)).then(() => order.push('cuff 1')));
    const second = turns.run('cuff', () => order.push('cuff 2'));
    const third = turns.run('cuff', () => order.push('cuff 3'));
    expect(turns.run('watch', () => order.push('watch'))).toBe(1);
    await Promise.resolve();
    expect(order).toEqual(['watch']);
    release();
    await Promise.all([first, second, third]);
    expect(order).toEqual(['watch', 'cuff 1', 'cuff 2', 'cuff 3']);
    await Promise.resolve();
    expect(turns.busy).toBe(0);
  });

  it('a failed step does not block the key', async () => {
    const turns = new Turns();
    const failed = turns.run('k', () => Promise.reject(new Error('no')));
    const next = turns.run('k', () => 'next');
    await expect(failed).rejects.toThrow('no');
    await expect(next).resolves.toBe('next');
  });
});
