/**
 * The package's `prosa/testing` entry: what tests of an embedding application need to run
 * a bus without noise. A bus made here behaves like any other; only its logger and its
 * shutdown defaults differ.
 */
import { createProsa, type Prosa, type ProsaOptions } from './actors/prosa.js';
import { silentLogger } from './observability/logger.js';

export { silentLogger };

/**
 * A bus for tests: a {@link silentLogger} (no line reaches the test output, whatever level
 * a processor asks for), a short shutdown grace (200 ms, 100 ms to terminate) and a 5 ms
 * deadline tick, so that timeouts in tests fire close to their deadline. Every option can
 * be overridden; `name` defaults to `test`.
 */
export function quietBus(options: Partial<ProsaOptions> = {}): Prosa {
  return createProsa({
    name: 'test',
    logger: silentLogger(options.name ?? 'test'),
    shutdown: { graceMs: 200, terminateTimeoutMs: 100 },
    deadlineTickMs: 5,
    ...options,
  });
}
