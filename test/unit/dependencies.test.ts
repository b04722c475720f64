import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

/**
 * The gateway supports every Node from its `engines` floor: a dependency that declares a newer
 * Node (a patch release moving to Node 22, say) is caught here, on the Node the suite runs on.
 */
describe('dependencies', () => {
  const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
    packages: Record<string, { version?: string; engines?: { node?: string } | string[]; optional?: boolean }>;
  };
  const own = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };

  it('declare no Node newer than the one running the suite', () => {
    const refusing = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && p.optional !== true)
      .map(([path, p]) => ({ path, version: p.version, node: Array.isArray(p.engines) ? undefined : p.engines?.node }))
      .filter((p) => p.node !== undefined && !semver.satisfies(process.version, p.node))
      .map((p) => `${p.path.replace(/^.*node_modules\//, '')}@${p.version ?? '?'} needs node ${p.node ?? ''}`);
    expect(refusing).toEqual([]);
  });

  it('run on the Node the gateway declares', () => {
    expect(semver.satisfies(process.version, own.engines.node)).toBe(true);
  });
});
