/**
 * The suite's watchdog (test/support/watchdog.ts) ends a test file whose event loop stands
 * still, naming the test and showing its JavaScript stack, where a test timeout cannot:
 * run on test/fixtures/watchdog/stall.fixture.ts in a vitest of its own, with a 2 s limit.
 */
import { describe, expect, it } from 'vitest';
import { runFixtureVitest } from './support/fixture-run.js';

describe('the watchdog', () => {
  it.each([
    ['sync', 'spins in a synchronous loop', 'stall.fixture.ts'],
    ['microtasks', 'spins in a microtask loop', 'spinInMicrotasks'],
  ] as const)('ends a file whose loop stands still (%s), naming the test and where it spun', async (how, title, where) => {
    const result = await runFixtureVitest('watchdog', { PROSA_TEST_STALL_MS: '2000', PROSA_STALL: how });
    expect(result.killed, 'vitest was still running after 50 s').toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`stood still for 2 s in the test "a stalled loop > ${title}"`);
    expect(result.stderr).toMatch(/It was at:\n {4}at /);
    expect(result.stderr).toContain(where);
  }, 60_000);
});
