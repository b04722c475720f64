import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Vitest global set-up: builds the gateway once (`npm run build`, as `npm start` does) before any
 * test runs, so the tests that start the command line as a child process run the built code —
 * what users run — from this very source, without loading the TypeScript loader in every child
 * (about 1.5 s each).
 */
export default function setup(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'ignore', 'inherit'] });
}
