import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { runCommand } from '../../src/cli/run.js';
import type { RunSummary } from '../../src/cli/summary.js';
import { defaultKinds } from '../../src/processors/index.js';
import { captureIo } from '../cli/io.js';
import { upperFactory } from '../fixtures/threads/upper-kind.js';

const MODULE = new URL('../fixtures/threads/upper-kind.ts', import.meta.url).href;

describe('prosa run: a user kind from its own module on threads: 2', () => {
  // The duration counts from the start; two workers loading through tsx take a second or more here.
  it('serves through both workers, every request answered, the summary as for any processor', async () => {
    const kinds = defaultKinds();
    kinds.register(upperFactory, { module: MODULE });
    const io = captureIo({
      PROSA__LOG__LEVEL: 'info',
      PROSA__PROCESSORS__STUB_1__KIND: 'upper',
      PROSA__PROCESSORS__STUB_1__THREADS: '2',
      PROSA__PROCESSORS__STUB_1__SETTINGS: '{services: [UPPER]}',
      PROSA__PROCESSORS__INJ_1__SETTINGS__SERVICE: 'UPPER',
      PROSA__PROCESSORS__INJ_1__SETTINGS__MAX_SPEED: '200',
    });
    expect(await runCommand({ json: true, durationS: 5, status: false, kinds }, io), io.stderr.text).toBe(ExitCode.Ok);
    const summary = JSON.parse(io.stdout.text) as RunSummary;
    expect(summary.errorCount).toBe(0);
    expect(summary.responses).toBeGreaterThan(50);
    expect(summary.requests).toBe(summary.responses);
    expect(summary.processors['stub-1']).toMatchObject({ kind: 'upper', state: 'stopped' });
    const ready = io.stderr.text
      .split('\n')
      .filter((line) => line.includes('"msg":"upper adaptor ready"'))
      .map((line) => JSON.parse(line) as { proc: string; worker: number; threadId: number });
    expect(ready.map((line) => line.worker).sort()).toEqual([0, 1]);
    expect(ready.every((line) => line.proc === 'stub-1' && line.threadId > 0)).toBe(true);
    expect(io.stderr.text).toMatch(/"proc":"stub-1".*"msg":"started 2 worker thread\(s\)"/);
  }, 60_000);

  it('refuses threads for a kind registered without its module, naming the kind', async () => {
    const kinds = defaultKinds();
    kinds.register(upperFactory);
    const io = captureIo({
      PROSA__LOG__LEVEL: 'error',
      PROSA__PROCESSORS__STUB_1__KIND: 'upper',
      PROSA__PROCESSORS__STUB_1__THREADS: '1',
      PROSA__PROCESSORS__STUB_1__SETTINGS: '{services: [UPPER]}',
      PROSA__PROCESSORS__INJ_1__SETTINGS__SERVICE: 'UPPER',
    });
    const code = await runCommand({ json: true, durationS: 1, status: false, kinds }, io);
    expect(io.stderr.text + io.stdout.text).toContain("kind 'upper' was registered without its module");
    expect(code).not.toBe(ExitCode.Ok);
  }, 60_000);
});
