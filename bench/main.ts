/**
 * `npm run bench`: QoS 1 throughput and publish→PUBACK latency of the full gateway pipeline against
 * raw aedes under the same load, and resident memory per 1,000 idle authenticated devices. Each
 * broker runs in its own process, the load in others; see `--help` for the knobs.
 */
import { writeFileSync } from 'node:fs';
import { parseOptions, USAGE } from './options.js';
import { progress } from './progress.js';
import { formatReport } from './report.js';
import { summarize } from './results.js';
import { benchTarget, TARGETS } from './target.js';

async function main(argv: readonly string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const raw = await benchTarget(TARGETS.raw, options);
  const gateway = await benchTarget(TARGETS.gateway, options);
  const results = summarize(options, raw, gateway);
  process.stdout.write(`\n${formatReport(results)}\n`);
  if (options.out !== undefined) {
    writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
    progress(`results written to ${options.out}`);
  }
  // Targets are reported, not enforced: only a broken run (publish errors, lost or rejected readings) fails.
  return results.errors.length > 0 || !results.storedRows.ok ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
