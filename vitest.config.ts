import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Ends any process the tests started that outlived the run, naming it.
    globalSetup: ['test/support/leftovers.ts'],
    // Tests print no log lines unless they check them: a stray one fails its test. A test
    // file whose event loop stands still is ended with its stack (test/support/watchdog.ts).
    setupFiles: ['test/support/stray-logs.ts', 'test/support/watchdog.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
