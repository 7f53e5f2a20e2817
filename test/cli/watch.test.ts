import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/cli/summary.js';
import { tempDir } from '../fixtures/settings.js';
import { prosa, start } from './command.js';

const HEAD = ['name: watched', 'log: { level: info }', 'shutdown: { graceMs: 500, terminateTimeoutMs: 200 }', 'processors:'];
const KEEP = '  - { name: keep, kind: stub, settings: { services: [KEEP], latencyMs: 1, jitterMs: 2 } }';
const INJ = '  - { name: inj-1, kind: inj, settings: { service: KEEP, maxSpeed: 500, maxConcurrent: 8, timeoutMs: 1000 } }';
const OTHER = '  - { name: other, kind: stub, settings: { services: [OTHER] } }';
const OTHER_CHANGED = '  - { name: other, kind: stub, settings: { services: [OTHER], latencyMs: 1 } }';
const yaml = (...processors: string[]) => [...HEAD, ...processors].join('\n') + '\n';

let dir: ReturnType<typeof tempDir> | undefined;
afterEach(() => {
  dir?.remove();
  dir = undefined;
});

describe('prosa run --watch', () => {
  it('adds, changes and removes a processor from the file while traffic to an untouched one never fails', async () => {
    dir = tempDir();
    const file = dir.write('watched.yaml', yaml(KEEP, INJ));
    const running = start(['run', file, '--watch', '--json', '--no-status']);
    await running.waitForStderr(/settings re-applied on change and on SIGHUP/);
    await running.waitForStderr(/"msg":"injecting"/);
    writeFileSync(file, yaml(KEEP, INJ, OTHER));
    await running.waitForStderr(/settings applied: 1 started, 0 stopped, 0 replaced, 2 unchanged/);
    // as editors do: write a new file, then rename it over the old one
    writeFileSync(join(dir.dir, 'watched.yaml.tmp'), yaml(KEEP, INJ, OTHER_CHANGED));
    renameSync(join(dir.dir, 'watched.yaml.tmp'), file);
    await running.waitForStderr(/settings applied: 0 started, 0 stopped, 1 replaced, 2 unchanged/);
    writeFileSync(file, yaml(KEEP, INJ));
    await running.waitForStderr(/settings applied: 0 started, 1 stopped, 0 replaced, 2 unchanged/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    running.child.kill('SIGTERM');
    const result = await running.finished;
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout.trim()) as RunSummary;
    expect(summary.responses).toBeGreaterThan(200);
    expect(summary.errorCount).toBe(0);
    expect(summary.requests).toBe(summary.responses);
    expect(Object.keys(summary.processors)).toEqual(['keep', 'inj-1']);
    const starts = result.stderr.split('\n').filter((line) => line.includes('"msg":"registered"'));
    expect(starts.filter((line) => line.includes('"proc":"keep"'))).toHaveLength(1);
    expect(starts.filter((line) => line.includes('"proc":"other"'))).toHaveLength(2);
  });

  it('re-applies on SIGHUP, and refuses an invalid file with every issue while running on', async () => {
    dir = tempDir();
    const file = dir.write('hup.yaml', yaml(KEEP));
    const running = start(['run', file, '--json', '--no-status']);
    await running.waitForStderr(/settings re-applied on SIGHUP/);
    writeFileSync(file, yaml(KEEP, '  - { name: bad, kind: nope }', '  - { name: worse, kind: stub, settings: { latencyMs: -1 } }'));
    running.child.kill('SIGHUP');
    await running.waitForStderr(/settings refused/);
    writeFileSync(file, yaml(KEEP, OTHER));
    running.child.kill('SIGHUP');
    await running.waitForStderr(/settings applied: 1 started/);
    running.child.kill('SIGINT');
    const result = await running.finished;
    expect(result.code, result.stderr).toBe(0);
    const refused = result.stderr.split('\n').find((line) => line.includes('settings refused'))!;
    const record = JSON.parse(refused) as { level: number; issues: { path: string }[] };
    expect(record.level).toBe(50);
    expect(record.issues.map((issue) => issue.path)).toEqual([
      'processors[1].kind',
      'processors[2].settings.services',
      'processors[2].settings.latencyMs',
    ]);
    expect(Object.keys((JSON.parse(result.stdout.trim()) as RunSummary).processors)).toEqual(['keep', 'other']);
  });

  it('refuses --watch without a file', async () => {
    const result = await prosa(['run', '--watch']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--watch needs a settings file');
  });
});
