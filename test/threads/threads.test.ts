import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BusError,
  ProcessorError,
  type Processor,
  type Prosa,
  ServiceError,
  SimpleStringTvf,
  threadAdaptor,
  type ThreadAdaptorOptions,
  type Tvf,
} from '../../src/index.js';
import { FROM_WORKER } from '../../src/threads/protocol.js';
import { captureLogs } from '../support/log-capture.js';
import { record, testBus, until, valueOf } from '../support/bus.js';

/** The fixture module the workers import. */
const MODULE = new URL('../fixtures/threads/adaptors.ts', import.meta.url).href;
/** Worker startup goes through the tsx loader: seconds on a loaded machine. */
const SLOW = 30_000;

let bus: Prosa | undefined;
afterEach(async () => {
  await bus?.stop();
  bus = undefined;
});

/** The fixture's `behaviours` on worker threads. */
function threaded(options: Partial<ThreadAdaptorOptions> & { threads?: number; options?: unknown } = {}) {
  return threadAdaptor({ module: MODULE, export: 'behaviours', terminateTimeoutMs: 200, ...options } as ThreadAdaptorOptions);
}

/** What `promise` rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${String(value)}`);
    },
    (error: unknown) => error,
  );
}

/** The thread id a fixture reply carries. */
function threadOf(tvf: Tvf): number {
  return Number(tvf.getUnsigned(2));
}


describe('threads: a processor on worker threads', () => {
  it('serves requests from a worker thread, the reply crossing as a record, seen by observers as any processor', async () => {
    bus = testBus();
    const settled: string[] = [];
    bus.observe({ requestSettled: (service, outcome, _ms, processor) => void settled.push(`${service} ${outcome} ${String(processor)}`) });
    const proc = bus.processor('w', { services: ['ECHO'], adaptor: threaded() });
    await bus.start();
    expect(proc.state, String(proc.lastError)).toBe('serving');
    const reply = await bus.request('ECHO', record(5));
    expect(valueOf(reply)).toBe(5);
    expect(reply).toBeInstanceOf(SimpleStringTvf);
    expect(threadOf(reply)).toBeGreaterThan(0); // not the main thread (id 0)
    expect(bus.stats()).toMatchObject({ requests: 1, responses: 1, inFlight: 0 });
    expect(settled).toEqual(['ECHO response w']);
    expect(bus.services()).toEqual({ ECHO: ['w'] });
  }, SLOW);

  it('keeps error kinds: a throw is protocol, a ServiceError keeps its kind renamed to the request, a non-record is protocol', async () => {
    bus = testBus();
    bus.processor('w', { services: ['BOOM', 'KIND', 'WRONG', 'ECHO'], adaptor: threaded() });
    await bus.start();
    const boom = await rejection(bus.request('BOOM', record(1)));
    expect(boom).toBeInstanceOf(ServiceError);
    expect(boom).toMatchObject({ kind: 'protocol', service: 'BOOM', processor: 'w' });
    expect((boom as Error).message).toContain('boom in a worker');
    const kind = await rejection(bus.request('KIND', record(1)));
    expect(kind).toMatchObject({ kind: 'timeout', service: 'KIND', processor: 'w', detail: 'the upstream did not answer' });
    const wrong = await rejection(bus.request('WRONG', record(1)));
    expect(wrong).toMatchObject({ kind: 'protocol', service: 'WRONG' });
    expect((wrong as Error).message).toContain('not a Tvf');
    expect(valueOf(await bus.request('ECHO', record(2)))).toBe(2); // still serving
  }, SLOW);

  it("gives the adaptor ctx.request to any service of the bus, and the request's deadline", async () => {
    const logs = captureLogs({ redact: { paths: ['password'], censor: '[masked]' } });
    bus = testBus({ logger: logs.logger });
    bus.processor('main-echo', { services: ['ECHO'], adaptor: { processRequest: (_s, r) => r } });
    bus.processor('w', { services: ['ASK', 'LOG'], adaptor: threaded() });
    await bus.start();
    const asked = await bus.request('ASK', record(9));
    expect(valueOf(asked)).toBe(9);
    expect(asked.contains(2)).toBe(false); // answered by the main-thread echo, which adds no thread id
    await bus.request('LOG', record(1), { timeoutMs: 5_000 });
    await until(() => logs.lines().some((line) => line.msg === 'logged in a worker'));
    const line = logs.lines().find((l) => l.msg === 'logged in a worker')!;
    expect(line).toMatchObject({ proc: 'w', level: 30, password: '[masked]', worker: 0 });
    expect(logs.raw.join('')).not.toContain('hunter2');
    expect(line['left']).toBeGreaterThan(4_000);
    expect(line['left']).toBeLessThanOrEqual(5_000);
  }, SLOW);

  it('spreads requests over N workers, least in flight first', async () => {
    bus = testBus();
    bus.processor('w', { services: ['SLOW'], adaptor: threaded({ threads: 3 }) });
    await bus.start();
    const replies = await Promise.all(Array.from({ length: 9 }, () => bus!.request('SLOW', record(100))));
    const perThread = new Map<number, number>();
    for (const reply of replies) perThread.set(threadOf(reply), (perThread.get(threadOf(reply)) ?? 0) + 1);
    expect([...perThread.values()]).toEqual([3, 3, 3]);
  }, SLOW);

  it('a worker that exits mid-traffic is a crash: every request it held ends unreachable once, and the processor restarts', async () => {
    bus = testBus();
    const proc = bus.processor('w', { services: ['SLOW', 'EXIT', 'ECHO'], adaptor: threaded(), restart: { delayMs: 10 } });
    await bus.start();
    const held = Array.from({ length: 20 }, (_, i) => bus!.request('SLOW', record(5_000 + i)));
    const states: string[] = [];
    proc.subscribe((state) => states.push(state));
    void bus.request('EXIT', record(1)).catch(() => undefined);
    const outcomes = await Promise.allSettled(held);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toMatchObject({ kind: 'unreachable', service: 'SLOW', processor: 'w' });
    }
    await proc.when('serving');
    expect(states).toContain('crashed');
    expect(String(proc.lastError)).toContain('exit code 3');
    expect(valueOf(await bus.request('ECHO', record(4)))).toBe(4);
    const stats = bus.stats();
    expect(stats.errors.unreachable).toBe(21);
    expect(stats.inFlight).toBe(0);
    expect(stats.late).toBe(0);
  }, SLOW);

  it('a fatal ctx.fail in a worker fails the processor for good; an uncaught throw is a recoverable crash', async () => {
    bus = testBus();
    const fatal = bus.processor('fatal', { services: ['FAIL'], adaptor: threaded() });
    const thrower = bus.processor('thrower', { services: ['THROW', 'ECHO'], adaptor: threaded(), restart: { delayMs: 10 } });
    await bus.start();
    await bus.request('FAIL', record(1)).catch(() => undefined);
    await fatal.when('failed');
    expect(fatal.lastError).toBeInstanceOf(ProcessorError);
    expect(String(fatal.lastError)).toContain('fatal in a worker');
    const states: string[] = [];
    thrower.subscribe((state) => states.push(state));
    await bus.request('THROW', record(1));
    await until(() => states.includes('crashed'));
    await thrower.when('serving');
    expect(String(thrower.lastError)).toContain('thrown outside a request');
    expect(valueOf(await bus.request('ECHO', record(3)))).toBe(3);
  }, SLOW);

  it('a worker stuck in an endless loop is terminated when the stop grace ends', async () => {
    const logs = captureLogs();
    bus = testBus({ logger: logs.logger, shutdown: { graceMs: 100, terminateTimeoutMs: 500 } });
    bus.processor('stuck', { services: ['LOOP'], adaptor: threaded() });
    await bus.start();
    const looping = rejection(bus.request('LOOP', record(1), { timeoutMs: 60_000 }));
    await until(() => bus!.get('stuck')!.inFlight === 1);
    await bus.stop();
    expect(await looping).toMatchObject({ kind: 'shutdown', service: 'LOOP' });
    expect(bus.get('stuck')!.state).toBe('stopped');
    await until(() => logs.lines().some((line) => line.proc === 'stuck' && /worker thread 0 terminated: it still had 1 request/.test(line.msg ?? '')));
  }, SLOW);

  it('a worker whose init fails, or whose export is no adaptor, crashes its processor as the error says', async () => {
    bus = testBus();
    const fatal = bus.processor('fatal', { services: ['A'], adaptor: threaded({ options: { initFails: 'fatal' } }) });
    const wrong = bus.processor('wrong', {
      services: ['B'],
      adaptor: threadAdaptor({ module: MODULE, export: 'notAnAdaptor' }),
      restart: { maxRestarts: 0 },
    });
    await bus.start();
    await fatal.when('failed');
    expect(String(fatal.lastError)).toContain('init refused');
    await wrong.when('failed');
    expect(String(wrong.lastError)).toContain("export 'notAnAdaptor'");
    expect(String(wrong.lastError)).toContain('is not an adaptor');
  }, SLOW);

  it('refuses bad options with a BusError naming the option', () => {
    expect(() => threaded({ threads: 0 })).toThrow(BusError);
    expect(() => threaded({ threads: 65 })).toThrow(/threads must be an integer in \[1, 64\], got 65/);
    expect(() => threaded({ threads: 1.5 })).toThrow(/threads/);
    expect(() => threadAdaptor({ module: './relative.js', export: 'x' })).toThrow(/module must be a file URL/);
    expect(() => threadAdaptor({ module: MODULE, export: 7 as unknown as string })).toThrow(/export/);
    expect(() => threaded({ terminateTimeoutMs: -1 })).toThrow(/terminateTimeoutMs/);
  });
});

describe('threads: what a worker posts is untrusted', () => {
  const HOSTILE = new URL('../fixtures/threads/hostile.ts', import.meta.url).href;

  it.each(['NOT_A_BATCH', 'NULL_MESSAGE'])('a worker posting a malformed batch (%s) crashes its processor, not the main thread; the request ends once', async (service) => {
    bus = testBus();
    const proc = bus.processor('h', { services: [service, 'OK'], adaptor: threadAdaptor({ module: HOSTILE, export: 'hostile', terminateTimeoutMs: 200 }), restart: { delayMs: 10 } });
    await bus.start();
    const states: string[] = [];
    proc.subscribe((state) => states.push(state));
    const outcome = await Promise.allSettled([bus.request(service, record(1))]);
    // The forged batch comes before the reply: the crash ends the request, unreachable.
    expect(outcome[0]).toMatchObject({ status: 'rejected', reason: { kind: 'unreachable', service, processor: 'h' } });
    await proc.when('serving');
    expect(states).toContain('crashed');
    expect(String(proc.lastError)).toMatch(/worker thread 0 of processor 'h' sent a malformed batch: /);
    expect(valueOf(await bus.request('OK', record(7)))).toBe(7);
    expect(bus.stats()).toMatchObject({ inFlight: 0, late: 0 });
  }, SLOW);

  /** A bus whose processor `h` runs the hostile fixture; its first request has wire id 1. */
  async function hostileBus() {
    bus = testBus();
    const proc = bus.processor('h', { services: ['RAW', 'OK'], adaptor: threadAdaptor({ module: HOSTILE, export: 'hostile', terminateTimeoutMs: 200 }), restart: { delayMs: 10 } });
    await bus.start();
    return proc;
  }

  /** A request to `RAW` that has the worker post `forged` (as JSON in field 1) before its reply. */
  function forge(forged: unknown): Tvf {
    const tvf = new SimpleStringTvf();
    tvf.putString(1, JSON.stringify(forged));
    return tvf;
  }

  it("a forged reply whose record does not read ends its request with a protocol error; the worker's real reply comes too late to count", async () => {
    const proc = await hostileBus();
    const error = await rejection(bus!.request('RAW', forge([FROM_WORKER.done, 1, '1;5;ab;'])));
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({ kind: 'protocol', service: 'RAW', processor: 'h' });
    expect((error as Error).message).toMatch(/the reply cannot be read: at byte \d+: value of field 1 runs past the end/);
    expect(valueOf(await bus!.request('OK', record(3)))).toBe(3);
    expect(proc.state).toBe('serving');
    expect(bus!.stats()).toMatchObject({ requests: 2, responses: 1, inFlight: 0, late: 0 });
  }, SLOW);

  describe('a forged message of the wrong shape crashes the processor, naming what is wrong; the request ends once', () => {
    // One bus for every case (a worker starts in about a second through tsx): each crash
    // restarts the processor, whose next run starts fresh workers.
    let shared: Prosa | undefined;
    let proc: Processor;
    beforeAll(async () => {
      shared = testBus();
      proc = shared.processor('h', {
        services: ['RAW', 'OK'],
        adaptor: threadAdaptor({ module: HOSTILE, export: 'hostile', terminateTimeoutMs: 200 }),
        restart: { delayMs: 10, maxDelayMs: 10, maxRestarts: 100 },
      });
      await shared.start();
    }, SLOW);
    afterAll(async () => {
      await shared?.stop();
    });

    it.each([
      ['a failed whose error is null', [FROM_WORKER.failed, 1, null], /message code 4 at 0: the error is null/],
      ['a failed whose error kind is made up', [FROM_WORKER.failed, 1, { message: 'x', kind: 'nonsense', recoverable: true }], /the error is /],
      ['a done cut short', [FROM_WORKER.done, 1], /message code 3 at 0 is cut short/],
      ['a done whose id is a string', [FROM_WORKER.done, '1', '1;1;a;'], /message code 3 at 0: the request id is a string/],
      ['an ask whose payload is a number', [FROM_WORKER.ask, 1, 'OK', 42, null], /the payload is 42, not a record's text/],
      ['a crash whose error is a string', [FROM_WORKER.crash, 'boom'], /message code 6 at 0: the error is a string/],
      ['an unknown code after a good message', [FROM_WORKER.log, '{}', 99], /an unknown message code 99 at 2/],
    ])('%s', async (_what, forged, problem) => {
      const outcome = await Promise.allSettled([shared!.request('RAW', forge(forged))]);
      expect(outcome[0]).toMatchObject({ status: 'rejected', reason: { kind: 'unreachable', service: 'RAW', processor: 'h' } });
      await proc.when('serving');
      expect(String(proc.lastError)).toMatch(problem);
      expect(valueOf(await shared!.request('OK', record(4)))).toBe(4);
      expect(shared!.stats()).toMatchObject({ inFlight: 0, late: 0 });
    }, SLOW);
  });
});
