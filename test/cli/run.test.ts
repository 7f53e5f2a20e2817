import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProcessorError } from '../../src/actors/errors.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { runCommand } from '../../src/cli/run.js';
import { formatStatus, StatusReporter, TtyLine } from '../../src/cli/status-line.js';
import type { RunSummary } from '../../src/cli/summary.js';
import { defineFactory } from '../../src/config/index.js';
import { createInstance, type Instance } from '../../src/instance/index.js';
import { defaultKinds } from '../../src/processors/index.js';
import { SimpleStringTvf } from '../../src/tvf/index.js';
import { captureIo } from './io.js';
import { silentLogger } from '../support/bus.js';

let instance: Instance | undefined;
afterEach(async () => {
  await instance?.stop();
  instance = undefined;
});

describe('runCommand', () => {
  it('exits 1 with a summary when a processor fails for good', async () => {
    const kinds = defaultKinds();
    kinds.register(
      defineFactory({
        kind: 'doomed',
        description: 'Fails its init, fatally.',
        version: '1',
        settings: z.strictObject({}),
        create: () => ({
          services: ['DOOM'],
          adaptor: {
            init: () => {
              throw new ProcessorError('no licence', { recoverable: false });
            },
            processRequest: (_service, request) => request,
          },
        }),
      }),
    );
    // The embedded default's stub, turned into a doomed processor by overrides.
    const io = captureIo({
      PROSA__LOG__LEVEL: 'silent',
      PROSA__PROCESSORS__STUB_1__KIND: 'doomed',
      PROSA__PROCESSORS__STUB_1__SETTINGS: '{}',
    });
    const code = await runCommand({ json: true, durationS: 30, kinds }, io);
    expect(code).toBe(ExitCode.Failed);
    const summary = JSON.parse(io.stdout.text) as RunSummary;
    expect(summary.stopReason).toBe('processor failed');
    expect(summary.exitCode).toBe(1);
    expect(summary.processors['stub-1']).toMatchObject({ kind: 'doomed', state: 'failed', error: 'no licence', crashes: { count: 1 } });
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });

  it('shows a crash the processor recovered from as history, with its time, not as its final state', async () => {
    const kinds = defaultKinds();
    let inits = 0;
    kinds.register(
      defineFactory({
        kind: 'flaky',
        description: 'Crashes at its first init, then serves.',
        version: '1',
        settings: z.strictObject({}),
        create: () => ({
          services: ['FLAKY'],
          adaptor: {
            init: () => {
              if (++inits === 1) throw new ProcessorError('backend not ready', { cause: new Error('backend not ready') });
            },
            processRequest: (_service, request) => request,
          },
        }),
      }),
    );
    const env = {
      PROSA__LOG__LEVEL: 'silent',
      PROSA__PROCESSORS__STUB_1__KIND: 'flaky',
      PROSA__PROCESSORS__STUB_1__SETTINGS: '{}',
      PROSA__PROCESSORS__STUB_1__RESTART: '{delayMs: 10}',
      PROSA__PROCESSORS__INJ_1__SETTINGS__SERVICE: 'FLAKY',
    };
    const before = new Date().toISOString();
    const json = captureIo(env);
    expect(await runCommand({ json: true, durationS: 0.5, status: false, kinds }, json)).toBe(ExitCode.Ok);
    const summary = JSON.parse(json.stdout.text) as RunSummary;
    const flaky = summary.processors['stub-1']!;
    expect(flaky.state).toBe('stopped');
    expect(flaky.error).toBeUndefined();
    expect(flaky.crashes).toEqual({ count: 1, last: { at: expect.any(String) as string, error: 'backend not ready' } });
    expect(flaky.crashes!.last.at >= before && flaky.crashes!.last.at <= new Date().toISOString()).toBe(true);

    inits = 0;
    const text = captureIo(env);
    expect(await runCommand({ durationS: 0.5, status: false, kinds }, text)).toBe(ExitCode.Ok);
    expect(text.stdout.text).toContain('  processors  stub-1 (flaky) stopped; inj-1 (inj) stopped\n');
    expect(text.stdout.text).toMatch(/\n {2}crashes {5}stub-1: 1 time, last at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z: backend not ready\n/);
  });

  it('logs a status line every interval when stderr is not a TTY', async () => {
    const io = captureIo();
    const code = await runCommand({ durationS: 1.2, statusIntervalMs: 300 }, io);
    expect(code).toBe(ExitCode.Ok);
    const statuses = io.stderr.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; status?: { tps: number; inFlight: number; processors: Record<string, number> } })
      .filter((line) => line.status !== undefined);
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses.at(-1)!.msg).toMatch(/^prosa-demo {2}\d+s {2}\d+ tps {2}in flight \d+ {2}errors 0 {2}serving 2$/);
    expect(statuses.at(-1)!.status!.tps).toBeGreaterThan(500);
    expect(io.stdout.text).toMatch(/^prosa-demo: stopped after 1\.\d s \(duration\)/);
  });
});

describe('status line', () => {
  it('formats the figures', () => {
    expect(formatStatus('demo', { elapsedS: 12.4, tps: 998.6, inFlight: 3, errors: 1, processors: { serving: 2, restarting: 1 } })).toBe(
      'demo  12s  999 tps  in flight 3  errors 1  serving 2, restarting 1',
    );
  });

  it('on a TTY, redraws one line and prints logs above it', () => {
    const out = { text: '', isTTY: true, columns: 20, write: (chunk: string) => ((out.text += chunk), true) };
    const line = new TtyLine(out);
    line.print('before\n');
    line.show('a status much longer than twenty columns');
    line.print('log\n');
    line.clear();
    expect(out.text).toBe('before\n\r\x1b[2Ka status much longe\r\x1b[2Klog\na status much longe\r\x1b[2K');
  });

  it('measures TPS over the last interval, counts errors and processors by state', async () => {
    instance = createInstance(
      { name: 's', processors: [{ name: 'stub-1', kind: 'stub', settings: { services: ['A'] } }] },
      { kinds: defaultKinds(), env: {}, logger: silentLogger() },
    );
    await instance.start();
    const reporter = new StatusReporter(instance, { logger: instance.prosa.logger });
    reporter.start();
    await Promise.all(Array.from({ length: 50 }, () => instance!.prosa.request('A', new SimpleStringTvf())));
    await instance.prosa.request('NOBODY', new SimpleStringTvf()).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const first = reporter.figures();
    const second = reporter.figures();
    reporter.stop();
    expect(first.tps).toBeGreaterThan(50 / 1); // 50 responses within well under a second
    expect(second.tps).toBe(0); // nothing since the last figures
    expect(first.processors).toEqual({ serving: 1 });
    expect(first.errors).toBe(1);
    expect(first.inFlight).toBe(0);
  });
});
