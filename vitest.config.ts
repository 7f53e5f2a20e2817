import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests print no log lines unless they check them: a stray one fails its test.
    setupFiles: ['test/support/stray-logs.ts', 'test/support/watchdog.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
