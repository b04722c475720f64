/**
 * Entry of the "each store alone" part ({@link measureStores}), run as built code in a process of
 * its own: `node dist/bench/stores-run.js <gateway batch> <floor batch>` prints the result as one
 * JSON line on stdout (progress on stderr).
 */
import { measureStores } from './stores.js';

const [gateway, floor] = process.argv.slice(2).map(Number);
if (gateway === undefined || floor === undefined || !(gateway >= 1) || !(floor >= 1)) {
  process.stderr.write('usage: stores-run <gateway batch> <floor batch>\n');
  process.exitCode = 2;
} else process.stdout.write(`${JSON.stringify(measureStores({ gateway, floor }))}\n`);
