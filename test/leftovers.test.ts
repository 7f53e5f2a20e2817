/**
 * The suite's leftover guard (test/support/leftovers.ts) ends a process a test started and
 * left running, even one in a process group of its own, and names it: run on
 * test/fixtures/leftovers/orphan.fixture.ts in a vitest of its own.
 */
import { describe, expect, it } from 'vitest';
import { runFixtureVitest } from './support/fixture-run.js';
import { markedProcesses, processStat } from './support/leftovers.js';

/** Whether `pid` runs (a killed process not yet reaped by its new parent is a zombie: not running). */
function running(pid: number): boolean {
  const stat = processStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

describe('the leftover guard', () => {
  it('kills a process a test left running, and names it', async () => {
    const mark = `leftovers-test-${process.pid}`;
    const { code, stderr } = await runFixtureVitest('leftovers', { PROSA_TEST_RUN_MARK: mark });
    expect(code, stderr).toBe(0);
    const killed = /\[leftovers\] .*; killed: (\d+) sleep 300/.exec(stderr);
    expect(killed, stderr).not.toBeNull();
    const pid = Number(killed![1]);
    await expect.poll(() => running(pid)).toBe(false);
    expect(markedProcesses(mark)).toEqual([]);
  }, 60_000);
});
