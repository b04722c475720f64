import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Builds dist/ once: the command line the tests start as child processes runs from it.
    globalSetup: ['test/helpers/build.ts'],
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
