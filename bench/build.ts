/**
 * The code the benchmark's processes run: compiled by `tsc`, as `npm start` runs the gateway, not
 * through the TypeScript loader the orchestrator itself runs under. That loader (esbuild, keeping
 * function names) wraps every function expression in a call that defines its name, so each closure
 * made per message costs a property definition: about 0.45 µs each, measured, against nanoseconds
 * for compiled code. Brokers, load generators and gateway processes all run built code, so none
 * pays it and the load generator takes no more of the cores than it must.
 */
import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { progress } from './progress.js';

const ROOT = new URL('../', import.meta.url);
const OUT = new URL('dist/', ROOT);

/** Compiles the gateway, the simulators and the benchmark into `dist/` (the gateway's own build, plus `dist/bench/`). */
export function buildForBench(): void {
  progress('compiling the gateway and the benchmark (tsc -p tsconfig.bench.json)');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', fileURLToPath(new URL('tsconfig.bench.json', ROOT))], { stdio: 'inherit' });
  cpSync(fileURLToPath(new URL('src/web/assets', ROOT)), fileURLToPath(new URL('src/web/assets', OUT)), { recursive: true });
}

/** The built module of a source module of this repository (`bench/x.ts` → `dist/bench/x.js`). */
export function builtModule(source: URL): URL {
  const rel = source.href.slice(ROOT.href.length);
  if (!source.href.startsWith(ROOT.href) || !rel.endsWith('.ts')) throw new Error(`not a source module of this repository: ${source.href}`);
  return new URL(`${rel.slice(0, -3)}.js`, OUT);
}

/** The gateway's command line, built: `node dist/src/main.js …`. */
export const BUILT_MAIN = fileURLToPath(builtModule(new URL('src/main.ts', ROOT)));
