import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Two files run at once on 2 cores: a test of many command-line runs can take twice its time alone.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most files wait on servers and child processes: two at once even on 2 cores (vitest's default there is one).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        extends: true,
        // Pure code, no servers or processes: the files share their workers' module cache (each would
        // otherwise import the gateway's modules afresh, which took three quarters of their time).
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**'],
          // Builds dist/ once: the command line the tests start as child processes runs from it.
          globalSetup: ['test/helpers/build.ts'],
        },
      },
    ],
    coverage: {
      provider: 'v8',
      reporter: ['text-summary', 'html'],
      include: ['src/**/*.ts'],
      // The CLI runs in child processes in test/integration/cli.test.ts, out of the in-process coverage's sight.
      exclude: ['src/main.ts', 'src/cli/**'],
      thresholds: { lines: 90, functions: 90, branches: 80, statements: 88 },
    },
  },
});
