import { defineConfig } from 'vitest/config';
import RunDeadline from './test/support/run-deadline.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Ends any process the tests started that outlived the run, naming it.
    globalSetup: ['test/support/leftovers.ts'],
    // Tests print no log lines unless they check them: a stray one fails its test. A test
    // file whose event loop stands still is ended with its stack (test/support/watchdog.ts).
    setupFiles: ['test/support/stray-logs.ts', 'test/support/watchdog.ts'],
    // In CI, one dot per test, so that the failures come near the top of a short log; and
    // any run past 15 minutes ends, naming the files that still run.
    reporters: [process.env['CI'] ? 'dot' : 'default', new RunDeadline()],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
