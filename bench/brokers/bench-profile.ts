import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundledProfilesDir } from '../../src/config/index.js';

/** The profile the simulated devices use: the shipped upper-arm BP monitor (canonical payload). */
export const BENCH_PROFILE_ID = 'bp-upper-arm';

/**
 * Writes a profile directory holding only a copy of the shipped BP profile with its rate limit
 * lifted: at the shipped 6 messages per minute every device would be `rate-limited` after its
 * first few readings and the benchmark would measure rejection instead of ingestion.
 */
export function writeBenchProfiles(dir: string): string {
  const shipped = JSON.parse(readFileSync(join(bundledProfilesDir(), `${BENCH_PROFILE_ID}.json`), 'utf8')) as Record<string, unknown>;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${BENCH_PROFILE_ID}.json`), JSON.stringify({ ...shipped, maxMessagesPerMinute: 1_000_000_000 }, null, 2));
  return dir;
}
