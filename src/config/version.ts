import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** This gateway's version, from its package.json (read once, on first use). */
export function gatewayVersion(): string {
  if (cached !== undefined) return cached;
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      return (cached = (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version);
    } catch {
      // try the next location (source tree vs dist/)
    }
  }
  return (cached = '0.0.0');
}
