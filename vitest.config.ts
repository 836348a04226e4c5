import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    // Prints the run's time against its budget; in CI, a run over budget fails (test/time-budget.ts).
    reporters: ['default', './test/time-budget.ts'],
  },
});
