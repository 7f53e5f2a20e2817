/**
 * The suite's guard against stray log lines (test/support/stray-logs.ts) fails exactly the
 * tests that print log lines: run on test/fixtures/stray-logs/logs.fixture.ts in a vitest
 * of its own.
 */
import { describe, expect, it } from 'vitest';
import { runFixtureVitest } from './support/fixture-run.js';

interface JsonReport {
  testResults: { assertionResults: { title: string; status: string; failureMessages: string[] }[] }[];
}

describe('the stray-log guard', () => {
  it('fails the tests that print log lines, and only those', async () => {
    const result = await runFixtureVitest('stray-logs', {}, ['--reporter=json']);
    const report = JSON.parse(result.stdout) as JsonReport;
    const outcomes = Object.fromEntries(report.testResults.flatMap((file) => file.assertionResults).map((test) => [test.title, test]));
    expect(Object.fromEntries(Object.entries(outcomes).map(([title, test]) => [title, test.status]))).toEqual({
      'logs through a logger with no destination': 'failed',
      'logs through the child of a silent logger that asks for a level of its own': 'failed',
      'logs to a destination of its own, and checks it': 'passed',
      'prints nothing': 'passed',
    });
    expect(outcomes['logs through a logger with no destination']!.failureMessages.join('\n')).toContain('a stray line');
    // The stray lines were kept out of the output.
    expect(result.stdout).not.toMatch(/^\{"level"/m);
  }, 60_000);
});
