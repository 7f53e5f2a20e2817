/**
 * Reporter (vitest.config.ts): a run that goes on past its budget ends, naming each test
 * file still running and the test it was in (and ending the processes the tests started), instead of running on until CI's own limit.
 * What it catches is what the test timeouts and the watchdog (test/support/watchdog.ts)
 * do not: a file that waits forever while it is collected, or a worker that never ends.
 * PROSA_TEST_RUN_BUDGET_MS sets the budget (default 15 minutes: three times the suite's
 * own target).
 */
import type { Reporter, TestCase, TestModule } from 'vitest/node';
import { endLeftovers } from './leftovers.js';

const BUDGET_MS = Number(process.env['PROSA_TEST_RUN_BUDGET_MS'] ?? 15 * 60_000);

/** Ends a run that outlasts its budget, naming what still runs. */
export default class RunDeadline implements Reporter {
  /** The test files that started and did not end, each with the test it last started. */
  private readonly running = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  onTestRunStart(): void {
    this.timer = setTimeout(() => this.expire(), BUDGET_MS);
    this.timer.unref();
  }

  /** Called as the file's worker is about to import it: from here it runs. */
  onTestModuleQueued(module: TestModule): void {
    this.running.set(module.moduleId, '(collecting)');
  }

  onTestModuleStart(module: TestModule): void {
    this.running.set(module.moduleId, '(collected, no test started)');
  }

  onTestCaseReady(test: TestCase): void {
    this.running.set(test.module.moduleId, test.fullName);
  }

  onTestModuleEnd(module: TestModule): void {
    this.running.delete(module.moduleId);
  }

  onTestRunEnd(): void {
    clearTimeout(this.timer);
  }

  private expire(): void {
    const files = [...this.running].map(([file, test]) => `  ${file}: ${test}`).join('\n') || '  (none: the workers did not end)';
    process.stderr.write(`\n[run-deadline] the run went past its ${Math.round(BUDGET_MS / 1000)} s budget; still running:\n${files}\n`);
    endLeftovers(undefined, true); // the global teardown does not run after this exit, nor do the workers end
    process.exit(1);
  }
}
