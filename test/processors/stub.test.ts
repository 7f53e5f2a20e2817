import { afterEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import type { ProcessorContext } from '../../src/actors/adaptor.js';
import type { ProcessorState } from '../../src/machines/processor.machine.js';
import type { Prosa } from '../../src/actors/prosa.js';
import { ServiceError } from '../../src/actors/errors.js';
import { stubFactory, InjectedError, ScheduledCrash } from '../../src/processors/index.js';
import { StubAdaptor } from '../../src/processors/stub/adaptor.js';
import { stubSettingsSchema } from '../../src/processors/stub/settings.js';
import { SimpleStringTvf } from '../../src/tvf/index.js';
import { addProcessor } from '../support/processors.js';
import { testBus, sleep } from '../support/bus.js';

let prosa: Prosa | undefined;
afterEach(async () => {
  // Prosa.stop() after the bus has stopped makes XState warn: stop only what still runs.
  if (prosa !== undefined && prosa.state !== 'stopped') await prosa.stop();
  prosa = undefined;
});

function record(text: string): SimpleStringTvf {
  const tvf = new SimpleStringTvf();
  tvf.putString(1, text);
  return tvf;
}

async function stubBus(settings: Record<string, unknown>): Promise<Prosa> {
  prosa = testBus();
  addProcessor(prosa, stubFactory, 'stub-1', { services: ['ECHO', 'PING'], ...settings });
  await prosa.start();
  return prosa;
}

describe('stub', () => {
  it('serves each configured service and echoes the request by default', async () => {
    const bus = await stubBus({});
    expect(bus.services()).toEqual({ ECHO: ['stub-1'], PING: ['stub-1'] });
    const request = record('hello');
    expect(await bus.request('ECHO', request)).toBe(request);
    expect((await bus.request('PING', record('x'))).getString(1)).toBe('x');
  });

  it('replies with a fresh copy of its reply template, in either template form', async () => {
    for (const reply of ['1;2;ok;2;2;42;', { 1: 'ok', 2: 42 }]) {
      const bus = await stubBus({ reply });
      const first = await bus.request('ECHO', record('ignored'));
      const second = await bus.request('ECHO', record('ignored'));
      expect(first.getString(1)).toBe('ok');
      expect(first.getSigned(2)).toBe(42n);
      expect(first).not.toBe(second);
      first.putString(1, 'changed');
      expect(second.getString(1)).toBe('ok');
      await bus.stop();
    }
  });

  it('waits latencyMs (plus jitter) before replying', async () => {
    const bus = await stubBus({ latencyMs: 40, jitterMs: 20, seed: 7 });
    const started = performance.now();
    await Promise.all([bus.request('ECHO', record('a')), bus.request('ECHO', record('b'))]);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(39);
    expect(elapsed).toBeLessThan(500);
  });

  it('answers errorRate of the requests with a protocol error, reproducibly with a seed', async () => {
    const outcomes = async (seed: number) => {
      const bus = await stubBus({ errorRate: 0.3, seed });
      const results = await Promise.allSettled(Array.from({ length: 2000 }, (_, i) => bus.request('ECHO', record(String(i)))));
      await bus.stop();
      return results.map((result) => result.status);
    };
    const first = await outcomes(42);
    const failures = first.filter((status) => status === 'rejected').length;
    expect(failures / first.length).toBeGreaterThan(0.25);
    expect(failures / first.length).toBeLessThan(0.35);
    expect(await outcomes(42)).toEqual(first);
  });

  it('fails with a ServiceError of kind protocol whose cause is an InjectedError', async () => {
    const bus = await stubBus({ errorRate: 1, latencyMs: 1 });
    const error: unknown = await bus.request('ECHO', record('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).kind).toBe('protocol');
    expect((error as ServiceError).cause).toBeInstanceOf(InjectedError);
    expect(bus.stats().errors.protocol).toBe(1);
  });

  it('clears the timers of pending replies on terminate', async () => {
    const adaptor = new StubAdaptor(stubSettingsSchema.parse({ services: ['A'], latencyMs: 60_000 }));
    let settled = false;
    void (adaptor.processRequest('A', record('x')) as Promise<unknown>).then(() => (settled = true));
    adaptor.terminate();
    expect((adaptor as unknown as { pending: Set<unknown> }).pending.size).toBe(0);
    expect(settled).toBe(false);
  });

  it('with crashEveryMs, crashes (recoverable) that long after each start and restarts each time', async () => {
    prosa = testBus();
    const settings = stubSettingsSchema.parse({ services: ['ECHO'], crashEveryMs: 30 });
    const processor = prosa.processor('stub-1', { services: settings.services, adaptor: new StubAdaptor(settings), restart: { delayMs: 5, maxDelayMs: 5, maxRestarts: 100 } });
    const seen: ProcessorState[] = [];
    processor.subscribe((state) => seen.push(state));
    await prosa.start();
    while (seen.filter((state) => state === 'crashed').length < 2) await sleep(10);
    await processor.when('serving');
    expect(processor.lastError).toBeInstanceOf(ScheduledCrash);
    expect((processor.lastError as ScheduledCrash).recoverable).toBe(true);
    expect((processor.lastError as ScheduledCrash).message).toContain("'stub-1'");
    // serving, then crashed, then serving again: each crash is followed by a restart.
    const crashed = seen.indexOf('crashed');
    expect(seen.indexOf('serving')).toBeLessThan(crashed);
    expect(seen.indexOf('serving', crashed)).toBeGreaterThan(crashed);
    expect(prosa.services()).toEqual({ ECHO: ['stub-1'] });
  });

  it('with crashEveryMs, a run that ends first (a stop) cancels its crash; 0 never crashes', () => {
    vi.useFakeTimers();
    try {
      const failed: unknown[] = [];
      const context = (signal: AbortSignal) =>
        ({ name: 'stub-1', logger: pino({ level: 'silent' }), signal, request: () => Promise.reject(new Error('unused')), fail: (error: unknown) => failed.push(error), tracing: undefined, contextIgnored: () => undefined }) satisfies ProcessorContext;
      const crashing = new StubAdaptor(stubSettingsSchema.parse({ services: ['A'], crashEveryMs: 1000 }));
      const run = new AbortController();
      crashing.init(context(run.signal));
      vi.advanceTimersByTime(999);
      run.abort();
      vi.advanceTimersByTime(10_000);
      expect(failed).toEqual([]);
      crashing.init(context(new AbortController().signal));
      vi.advanceTimersByTime(1000);
      expect(failed).toHaveLength(1);
      expect(failed[0]).toBeInstanceOf(ScheduledCrash);
      new StubAdaptor(stubSettingsSchema.parse({ services: ['A'] })).init(context(new AbortController().signal));
      vi.advanceTimersByTime(10 * 24 * 3_600_000);
      expect(failed).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
