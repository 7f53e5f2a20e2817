import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/cli/summary.js';
import type { InjectorReport } from '../../src/processors/index.js';
import { fixture } from '../fixtures/settings.js';
import { prosa, start } from './command.js';

function summaryOf(stdout: string): RunSummary {
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1); // --json prints exactly one JSON object
  return JSON.parse(lines[0]!) as RunSummary;
}

describe('prosa run', () => {
  it('runs the embedded default for --duration 2 and prints a JSON summary with responses and no errors', async () => {
    const started = performance.now();
    const result = await prosa(['run', '--duration', '2', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const summary = summaryOf(result.stdout);
    expect(summary).toMatchObject({ instance: 'prosa-demo', stopReason: 'duration', exitCode: 0, errorCount: 0 });
    expect(summary.responses).toBeGreaterThan(500);
    expect(summary.requests).toBe(summary.responses);
    expect(summary.durationS).toBeGreaterThanOrEqual(2);
    expect(summary.latencyMs.count).toBe(summary.responses);
    expect(summary.latencyMs.p50).toBeGreaterThan(0);
    expect(summary.processors['stub-1']).toMatchObject({ kind: 'stub', state: 'stopped' });
    const inj = summary.processors['inj-1']!;
    expect(inj.state).toBe('stopped');
    expect((inj.report as InjectorReport).sendRate).toBeGreaterThan(700);
    // It exits on its own soon after the run: no timer left behind.
    expect(performance.now() - started).toBeLessThan(12_000);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('stops gracefully on %s mid-run: exit 0 with a summary', async (signal) => {
    const running = start(['run', '--json']);
    await running.waitForStderr(/"msg":"injecting"/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    running.child.kill(signal);
    const result = await running.finished;
    expect(result.code, result.stderr).toBe(0);
    const summary = summaryOf(result.stdout);
    expect(summary.stopReason).toBe(signal);
    expect(summary.responses).toBeGreaterThan(100);
    expect(summary.errorCount).toBe(0);
  });

  it('prints a text summary by default, and logs to stderr only', async () => {
    const result = await prosa(['run', fixture('demo.yaml'), '--duration', '1']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^demo: stopped after 1\.\d s \(duration\)\n/);
    expect(result.stdout).toMatch(/errors {6}0 \(timeout 0, unreachable 0, protocol 0, overloaded 0, shutdown 0\)/);
    expect(result.stdout).toMatch(/latency {5}p50 [\d.]+ ms {3}p90 [\d.]+ ms {3}p99 [\d.]+ ms {3}max [\d.]+ ms/);
    expect(result.stdout).toMatch(/inj-1 -> ECHO: sent \d+ at [\d.]+\/s \(maxSpeed 1000\)/);
    expect(result.stdout).not.toContain('"level"');
    expect(result.stderr).toContain('"msg":"registered"');
  });

  it('applies PROSA__ environment overrides to the embedded default', async () => {
    const result = await prosa(['run', '--duration', '1', '--json'], {
      PROSA__PROCESSORS__INJ_1__SETTINGS__MAX_SPEED: '200',
      PROSA__LOG__LEVEL: 'warn',
    });
    expect(result.code, result.stderr).toBe(0);
    const report = summaryOf(result.stdout).processors['inj-1']!.report as InjectorReport;
    expect(report.maxSpeed).toBe(200);
    expect(report.sendRate).toBeLessThan(240);
    expect(result.stderr).toBe('');
  });

  it('refuses an invalid file with exit 3, naming every field at fault', async () => {
    const result = await prosa(['run', fixture('bad-types.yaml'), '--duration', '1']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('processors[1].settings.maxSpeed: expected a number, found "fast"');
    expect(result.stderr).toContain('shutdown.graceMs');
    expect(result.stdout).toBe('');
  });
});

describe('prosa validate and kinds (the real command)', () => {
  it('accepts a valid file: exit 0', async () => {
    const result = await prosa(['validate', fixture('demo.yaml')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('valid (2 processors: stub-1 (stub), inj-1 (inj))');
  });

  it('rejects a bad file with exit 3, each field path with its line and column', async () => {
    const result = await prosa(['validate', fixture('bad-types.yaml')]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/bad-types\.yaml:9:32: processors\[1\]\.settings\.maxSpeed: expected a number, found "fast"/);
    expect(result.stderr).toContain('(5 issues)');
  });

  it('lists the kinds', async () => {
    const result = await prosa(['kinds']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^inj \(version 1\): /m);
    expect(result.stdout).toMatch(/^stub \(version 1\): /m);
  });

  it('rejects unknown flags: exit 2', async () => {
    const result = await prosa(['run', '--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown option '--bogus'/);
  });
});

describe('prosa run: a kind on threads', () => {
  // The duration counts from the start, and two workers loading the built-ins through tsx take seconds here.
  it('runs a kind on threads: 2 from its settings line, with no failed request', async () => {
    const result = await prosa(['run', fixture('threads.yaml'), '--duration', '8', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const summary = summaryOf(result.stdout);
    expect(summary).toMatchObject({ instance: 'threaded', exitCode: 0, errorCount: 0 });
    expect(summary.responses).toBeGreaterThan(100);
    expect(summary.requests).toBe(summary.responses);
    expect(summary.processors['stub-1']).toMatchObject({ kind: 'stub', state: 'stopped' });
    expect(result.stderr).toMatch(/"proc":"stub-1".*"msg":"started 2 worker thread\(s\)"/);
  }, 60_000);
});
