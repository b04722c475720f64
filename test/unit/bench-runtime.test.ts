import { describe, expect, it } from 'vitest';
import { brokerRuntime, startRuntime } from '../../bench/target.js';

describe('the runtime the benchmark gives its brokers', () => {
  it('is the one `npm start` runs the gateway with: its environment and Node flags, read off package.json, and the V8 flags the gateway sets itself', () => {
    expect(brokerRuntime()).toEqual({ env: {}, nodeFlags: ['--max-semi-space-size=64', '--no-allocation-site-pretenuring'] });
  });

  it('reads any number of settings and flags, and refuses a start script it cannot read', () => {
    expect(startRuntime('npm run build && A=1 B_2=x node --a --b=2 dist/src/main.js start')).toEqual({ env: { A: '1', B_2: 'x' }, nodeFlags: ['--a', '--b=2'] });
    expect(startRuntime('node dist/src/main.js start')).toEqual({ env: {}, nodeFlags: [] });
    expect(() => startRuntime('tsx src/main.ts start')).toThrow(/cannot read how package.json's start script runs the gateway/);
  });
});
