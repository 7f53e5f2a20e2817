/**
 * Runs a fixture folder's vitest in a process of its own (`test/fixtures/<name>/vitest.config.ts`),
 * for the tests of the suite's own guards: what it printed and how it ended, whether it
 * passed or not.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '../..');

/** How a fixture run ended: `code` 0 when it passed; `killed` when `timeoutMs` ended it. */
export interface FixtureRun {
  code: number;
  killed: boolean;
  stdout: string;
  stderr: string;
}

/** Runs `vitest run` on test/fixtures/`name`, with `env` added and `args` after the config. */
export async function runFixtureVitest(name: string, env: Record<string, string> = {}, args: string[] = [], timeoutMs = 50_000): Promise<FixtureRun> {
  const vitest = resolve(ROOT, 'node_modules/vitest/vitest.mjs');
  const config = resolve(ROOT, 'test/fixtures', name, 'vitest.config.ts');
  return promisify(execFile)(process.execPath, [vitest, 'run', '-c', config, ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: timeoutMs }).then(
    ({ stdout, stderr }) => ({ code: 0, killed: false, stdout, stderr }),
    (error: FixtureRun) => ({ code: error.code, killed: error.killed, stdout: error.stdout, stderr: error.stderr }),
  );
}
