import { afterEach, describe, expect, it } from 'vitest';
import type { InspectionEvent, StateValue } from 'xstate';
import { BusError, ProcessorError, ServiceError, type ProcessorContext, type ProcessorState, type Prosa } from '../../src/index.js';
import { processorState } from '../../src/machines/index.js';
import { deferred, record, sleep, testBus, valueOf } from '../support/bus.js';

let bus: Prosa | undefined;
afterEach(async () => {
  await bus?.stop();
  bus = undefined;
});

const echo = { processRequest: (_service: string, request: ReturnType<typeof record>) => request };

async function expectServiceError(promise: Promise<unknown>, kind: ServiceError['kind']): Promise<ServiceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceError);
  expect((error as ServiceError).kind).toBe(kind);
  return error as ServiceError;
}

describe('bus: requests and responses', () => {
  it('routes a request to its provider and back', async () => {
    bus = testBus();
    const stub = bus.processor('stub-1', { services: ['ECHO'], adaptor: echo });
    await bus.start();
    expect(bus.state).toBe('running');
    expect(stub.state).toBe('serving');
    expect(bus.services()).toEqual({ ECHO: ['stub-1'] });
    const reply = await bus.request('ECHO', record(42), { timeoutMs: 1000 });
    expect(valueOf(reply)).toBe(42);
    expect(valueOf(await stub.request('ECHO', record(7)))).toBe(7);
    expect(bus.stats()).toMatchObject({ requests: 2, responses: 2, inFlight: 0 });
  });

  it('serves async adaptors', async () => {
    bus = testBus();
    bus.processor('slow', {
      services: ['SLOW'],
      adaptor: { processRequest: async (_s, r) => (await sleep(5), r) },
    });
    await bus.start();
    const replies = await Promise.all([1, 2, 3].map((n) => bus!.request('SLOW', record(n))));
    expect(replies.map(valueOf)).toEqual([1, 2, 3]);
  });

  it('lets a processor that serves nothing call other services through ctx.request', async () => {
    bus = testBus();
    bus.processor('stub', { services: ['ECHO'], adaptor: echo });
    let context: ProcessorContext | undefined;
    bus.processor('caller', {
      adaptor: {
        init: (ctx) => void (context = ctx),
        processRequest: () => {
          throw new Error('serves nothing');
        },
      },
    });
    await bus.start();
    expect(valueOf(await context!.request('ECHO', record(5)))).toBe(5);
    expect(bus.services()).toEqual({ ECHO: ['stub'] });
  });

  it('shares requests round-robin between providers of one service', async () => {
    bus = testBus();
    const seen: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (const name of ['a', 'b', 'c']) {
      bus.processor(name, {
        services: ['S'],
        adaptor: { processRequest: (_s, r) => (seen[name]!++, r) },
      });
    }
    await bus.start();
    for (let i = 0; i < 30; i++) await bus.request('S', record(i));
    expect(seen).toEqual({ a: 10, b: 10, c: 10 });
  });
});

describe('bus: errors', () => {
  it('unreachable when no provider serves the service', async () => {
    bus = testBus();
    await bus.start();
    const error = await expectServiceError(bus.request('NOPE', record(1)), 'unreachable');
    expect(error.service).toBe('NOPE');
    expect(error.message).toContain("'NOPE'");
  });

  it('protocol when the adaptor throws, rejects or returns no record; the processor keeps serving', async () => {
    bus = testBus();
    const p = bus.processor('bad', {
      services: ['THROW', 'REJECT', 'NOTHING', 'OK'],
      adaptor: {
        processRequest: (service, r) => {
          if (service === 'THROW') throw new Error('sync boom');
          if (service === 'REJECT') return Promise.reject(new Error('async boom'));
          if (service === 'NOTHING') return undefined as never;
          return r;
        },
      },
    });
    await bus.start();
    const thrown = await expectServiceError(bus.request('THROW', record(1)), 'protocol');
    expect(thrown.message).toContain('sync boom');
    expect(thrown.processor).toBe('bad');
    expect((thrown.cause as Error).message).toBe('sync boom');
    expect((await expectServiceError(bus.request('REJECT', record(1)), 'protocol')).message).toContain('async boom');
    expect((await expectServiceError(bus.request('NOTHING', record(1)), 'protocol')).message).toContain('not a Tvf');
    expect(p.state).toBe('serving');
    expect(valueOf(await bus.request('OK', record(9)))).toBe(9);
  });

  it('timeout when the deadline passes; the late reply is dropped and counted', async () => {
    bus = testBus();
    const release = deferred();
    bus.processor('slow', {
      services: ['SLOW'],
      adaptor: { processRequest: async (_s, r) => (await release.promise, r) },
    });
    await bus.start();
    const started = performance.now();
    const error = await expectServiceError(bus.request('SLOW', record(1), { timeoutMs: 30 }), 'timeout');
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(29);
    expect(error.processor).toBe('slow');
    release.resolve();
    await sleep(5);
    expect(bus.stats()).toMatchObject({ late: 1, responses: 0, inFlight: 0 });
    expect(bus.stats().errors.timeout).toBe(1);
  });

  it('overloaded when the provider is at maxInFlight; nothing is queued', async () => {
    bus = testBus();
    const release = deferred();
    bus.processor('narrow', {
      services: ['N'],
      queue: { maxInFlight: 2 },
      adaptor: { processRequest: async (_s, r) => (await release.promise, r) },
    });
    await bus.start();
    const first = [bus.request('N', record(1)), bus.request('N', record(2))];
    await expectServiceError(bus.request('N', record(3)), 'overloaded');
    release.resolve();
    expect((await Promise.all(first)).map(valueOf)).toEqual([1, 2]);
    expect(valueOf(await bus.request('N', record(4)))).toBe(4);
  });

  it('rejects an invalid timeout with a BusError naming it', async () => {
    bus = testBus();
    await bus.start();
    for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const error = await bus.request('X', record(1), { timeoutMs }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BusError);
      expect((error as BusError).message).toContain('timeoutMs');
    }
  });

  it('refuses duplicate names and bad specs with a BusError', () => {
    bus = testBus();
    bus.processor('a', { adaptor: echo });
    expect(() => bus!.processor('a', { adaptor: echo })).toThrow(/already/);
    expect(() => bus!.processor('', { adaptor: echo })).toThrow(BusError);
    expect(() => bus!.processor('b', { adaptor: {} as never })).toThrow(/processRequest/);
    expect(() => bus!.processor('c', { adaptor: echo, queue: { maxInFlight: 0 } })).toThrow(/maxInFlight/);
  });
});

describe('bus: crash and restart', () => {
  it('a crash takes the services out at once, fails in-flight requests as unreachable, and restarts', async () => {
    bus = testBus();
    const hold = deferred();
    let context: ProcessorContext | undefined;
    const stub = bus.processor('stub', {
      services: ['S'],
      restart: { delayMs: 20 },
      adaptor: {
        init: (ctx) => void (context = ctx),
        processRequest: async (_s, r) => (await hold.promise, r),
      },
    });
    await bus.start();
    const inFlight = bus.request('S', record(1));
    const crashedWhile: Record<string, string[]>[] = [];
    stub.subscribe((state) => {
      if (state === 'crashed') crashedWhile.push(bus!.services());
    });
    const firstRun = context!;
    firstRun.fail(new Error('lost connection'));
    expect(firstRun.signal.aborted).toBe(true);
    const error = await expectServiceError(inFlight, 'unreachable');
    expect(error.processor).toBe('stub');
    expect(crashedWhile).toEqual([{}]);
    expect(bus.services()).toEqual({});
    await expectServiceError(bus.request('S', record(2)), 'unreachable');
    await stub.when('serving');
    expect(bus.services()).toEqual({ S: ['stub'] });
    hold.resolve();
    expect(valueOf(await bus.request('S', record(3)))).toBe(3);
    expect((stub.lastError as Error).message).toBe('lost connection');
    // a stale run's fail() does not crash the new run
    firstRun.fail(new Error('stale'));
    expect(stub.state).toBe('serving');
  });

  it('an init that throws crashes and restarts with backoff; a fatal ProcessorError fails for good', async () => {
    bus = testBus();
    let attempts = 0;
    const flaky = bus.processor('flaky', {
      services: ['F'],
      restart: { delayMs: 5 },
      adaptor: {
        init: () => {
          if (attempts++ < 2) throw new Error(`attempt ${attempts}`);
        },
        ...echo,
      },
    });
    const fatal = bus.processor('fatal', {
      services: ['X'],
      adaptor: {
        init: () => {
          throw new ProcessorError('bad config', { recoverable: false });
        },
        ...echo,
      },
    });
    const states: ProcessorState[] = [];
    flaky.subscribe((s) => states.push(s));
    await bus.start();
    await flaky.when('serving');
    expect(attempts).toBe(3);
    expect(states.filter((s) => s === 'restarting')).toHaveLength(2);
    expect(fatal.state).toBe('failed');
    expect(bus.services()).toEqual({ F: ['flaky'] });
    const waited = await fatal.when('serving').catch((e: unknown) => e);
    expect(waited).toBeInstanceOf(BusError);
    expect((waited as BusError).kind).toBe('ProcessorEnded');
    expect((waited as BusError).message).toContain("ended in 'failed' before reaching serving");
  });

  it('an init that hangs past initTimeoutMs counts as a crash', async () => {
    bus = testBus();
    const p = bus.processor('hang', {
      initTimeoutMs: 20,
      restart: { maxRestarts: 0 },
      adaptor: { init: () => new Promise<void>(() => {}), ...echo },
    });
    await bus.start();
    await p.when('failed');
    expect((p.lastError as Error).message).toContain('20 ms');
  });

  it('fails once the restart budget is spent', async () => {
    bus = testBus();
    const p = bus.processor('loop', {
      restart: { delayMs: 1, maxDelayMs: 1, maxRestarts: 3, windowMs: 10_000 },
      adaptor: {
        init: () => {
          throw new Error('always');
        },
        ...echo,
      },
    });
    let restarts = 0;
    p.subscribe((s) => (restarts += s === 'restarting' ? 1 : 0));
    await bus.start();
    await p.when('failed');
    expect(restarts).toBe(3);
  });
});

describe('bus: stop', () => {
  it('lets in-flight requests finish, runs terminate once, refuses new requests', async () => {
    bus = testBus({ shutdown: { graceMs: 500, terminateTimeoutMs: 100 } });
    let terminated = 0;
    bus.processor('slow', {
      services: ['SLOW'],
      adaptor: {
        processRequest: async (_s, r) => (await sleep(30), r),
        terminate: () => void terminated++,
      },
    });
    await bus.start();
    const inFlight = bus.request('SLOW', record(1));
    const stopping = bus.stop();
    await expectServiceError(bus.request('SLOW', record(2)), 'shutdown');
    expect(valueOf(await inFlight)).toBe(1);
    await stopping;
    await bus.stop(); // twice is safe
    expect(bus.state).toBe('stopped');
    expect(terminated).toBe(1);
  });

  it('ends requests still in flight after the grace period with shutdown', async () => {
    bus = testBus({ shutdown: { graceMs: 30, terminateTimeoutMs: 30 } });
    bus.processor('stuck', { services: ['S'], adaptor: { processRequest: () => new Promise<never>(() => {}) } });
    await bus.start();
    const inFlight = bus.request('S', record(1), { timeoutMs: 10_000 });
    const started = performance.now();
    await bus.stop();
    await expectServiceError(inFlight, 'shutdown');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('a terminate that hangs cannot hold stop past its timeout', async () => {
    bus = testBus({ shutdown: { graceMs: 20, terminateTimeoutMs: 30 } });
    bus.processor('hang', { adaptor: { ...echo, terminate: () => new Promise<void>(() => {}) } });
    await bus.start();
    const started = performance.now();
    await bus.stop();
    expect(bus.state).toBe('stopped');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses processors after stop and cannot start again', async () => {
    bus = testBus();
    await bus.start();
    await bus.stop();
    expect(() => bus!.processor('late', { adaptor: echo })).toThrow(/stopped/);
    const fresh = testBus();
    await fresh.stop();
    await expect(fresh.start()).rejects.toThrow(BusError);
  });
});

describe('bus: processors come and go while running', () => {
  it('adds a processor that starts at once, and removes one that drains', async () => {
    bus = testBus();
    await bus.start();
    const late = bus.processor('late', { services: ['L'], adaptor: echo });
    await late.when('serving');
    expect(valueOf(await bus.request('L', record(1)))).toBe(1);
    expect(await bus.remove('late')).toBe('stopped');
    expect(bus.get('late')).toBeUndefined();
    expect(bus.services()).toEqual({});
    await expect(bus.remove('late')).rejects.toThrow(BusError);
  });

  it('start() waits for a processor added before it, even when one added while starting settles first', async () => {
    bus = testBus();
    const gate = deferred();
    const slow = bus.processor('slow', { adaptor: { init: () => gate.promise, processRequest: echo.processRequest } });
    let started = false;
    const starting = bus.start().then(() => void (started = true));
    const fast = bus.processor('fast', { adaptor: echo });
    await fast.when('serving');
    await sleep(5);
    expect(slow.state).toBe('initializing');
    expect(started).toBe(false);
    gate.resolve();
    await starting;
    expect(slow.state).toBe('serving');
  });
});

describe('bus: events and inspection', () => {
  it('passes inspect to Main and every processor, with their lifecycle states', async () => {
    const events: InspectionEvent[] = [];
    bus = testBus({ inspect: (e) => events.push(e) });
    bus.processor('a', { services: ['A'], adaptor: echo });
    bus.processor('b', { adaptor: echo });
    await bus.start();
    await bus.stop();
    const idOf = (e: InspectionEvent) => (e.actorRef as { id?: string }).id;
    const ids = new Set(events.filter((e) => e.type === '@xstate.actor').map(idOf));
    expect(ids).toContain('main:test');
    expect(ids).toContain('a');
    expect(ids).toContain('b');
    const statesOfA = events.flatMap((e) =>
      e.type === '@xstate.snapshot' && idOf(e) === 'a' ? [processorState((e.snapshot as unknown as { value: StateValue }).value)] : [],
    );
    expect(statesOfA).toEqual(expect.arrayContaining(['initializing', 'serving', 'draining', 'stopped']));
  });

  it('emits processor.state, table and main.state events', async () => {
    bus = testBus();
    const seen: string[] = [];
    bus.events.on('processor.state', ({ processor, state }) => seen.push(`${processor.name}:${state}`));
    bus.events.on('main.state', ({ state }) => seen.push(`main:${state}`));
    const versions: number[] = [];
    bus.events.on('table', ({ version }) => versions.push(version));
    const told: number[] = [];
    bus.processor('a', { services: ['A'], adaptor: { ...echo, serviceTableChanged: (table) => void told.push(table.version) } });
    await bus.start();
    await sleep(5);
    expect(seen).toEqual(expect.arrayContaining(['a:serving', 'main:running']));
    expect(versions.length).toBeGreaterThan(0);
    expect(told.at(-1)).toBe(versions.at(-1));
  });
});
