/**
 * The suite's run budget (test/support/run-deadline.ts) ends a run that goes on past it,
 * naming the file still running: run on test/fixtures/run-deadline/forever.fixture.ts, a
 * file that waits forever while it is collected (no test timeout applies there), in a
 * vitest of its own with a 3 s budget.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

describe('the run budget', () => {
  it('ends a run past its budget, naming the file that still runs', async () => {
    const vitest = resolve(ROOT, 'node_modules/vitest/vitest.mjs');
    const config = resolve(ROOT, 'test/fixtures/run-deadline/vitest.config.ts');
    const env = { ...process.env, PROSA_TEST_RUN_BUDGET_MS: '3000' };
    const result = await promisify(execFile)(process.execPath, [vitest, 'run', '-c', config], { cwd: ROOT, env, timeout: 40_000 }).then(
      () => ({ code: 0, killed: false, stderr: '' }),
      (error: { code: number; killed: boolean; stderr: string }) => error,
    );
    expect(result.killed, 'vitest was still running after 40 s').toBe(false);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\[run-deadline\] the run went past its 3 s budget; still running:\n {2}\S*forever\.fixture\.ts: \(collecting\)/);
  }, 60_000);
});
