/**
 * The suite's run budget (test/support/run-deadline.ts) ends a run that goes on past it,
 * naming the file still running: run on test/fixtures/run-deadline/forever.fixture.ts, a
 * file that waits forever while it is collected (no test timeout applies there), in a
 * vitest of its own with a 3 s budget.
 */
import { describe, expect, it } from 'vitest';
import { runFixtureVitest } from './support/fixture-run.js';

describe('the run budget', () => {
  it('ends a run past its budget, naming the file that still runs', async () => {
    const result = await runFixtureVitest('run-deadline', { PROSA_TEST_RUN_BUDGET_MS: '3000' }, [], 40_000);
    expect(result.killed, 'vitest was still running after 40 s').toBe(false);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\[run-deadline\] the run went past its 3 s budget; still running:\n {2}\S*forever\.fixture\.ts: \(collecting\)/);
  }, 60_000);
});
