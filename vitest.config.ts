import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    // Prints the run's time against its budget and the slowest files; a warning, never a failure (test/time-budget.ts).
    reporters: ['default', './test/time-budget.ts'],
  },
});
