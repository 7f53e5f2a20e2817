/**
 * The suite's leftover guard (test/support/leftovers.ts) ends a process a test started and
 * left running, even one in a process group of its own, and names it: run on
 * test/fixtures/leftovers/orphan.fixture.ts in a vitest of its own.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { markedProcesses } from './support/leftovers.js';

const ROOT = resolve(import.meta.dirname, '..');

/** Whether `pid` runs (a killed process not yet reaped by its new parent is a zombie: not running). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('the leftover guard', () => {
  it('kills a process a test left running, and names it', async () => {
    const vitest = resolve(ROOT, 'node_modules/vitest/vitest.mjs');
    const config = resolve(ROOT, 'test/fixtures/leftovers/vitest.config.ts');
    const mark = `leftovers-test-${process.pid}`;
    const { stderr } = await promisify(execFile)(process.execPath, [vitest, 'run', '-c', config], { cwd: ROOT, env: { ...process.env, PROSA_TEST_RUN_MARK: mark } });
    const killed = /\[leftovers\] .*; killed: (\d+) sleep 300/.exec(stderr);
    expect(killed, stderr).not.toBeNull();
    const pid = Number(killed![1]);
    await expect.poll(() => running(pid)).toBe(false);
    expect(markedProcesses(mark)).toEqual([]);
  }, 60_000);
});
