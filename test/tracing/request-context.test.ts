/**
 * The request context without tracing: metadata and the remaining deadline flow from a
 * request into the requests its provider sends while serving it (`info.request`, and
 * `ctx.request` while `processRequest` runs synchronously).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BusError, ServiceError, type Prosa, type RequestMeta, type Tvf } from '../../src/index.js';
import { deferred, record, sleep, testBus } from '../support/bus.js';

let bus: Prosa | undefined;
afterEach(async () => {
  await bus?.stop();
  bus = undefined;
});

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('request context: deadline inheritance', () => {
  it('a nested request whose own timeout is longer times out with its parent, once, and its error says it was capped', async () => {
    bus = testBus();
    const nested = deferred<unknown>();
    let innerCalls = 0;
    bus.processor('slow', {
      services: ['INNER'],
      adaptor: {
        processRequest: () => {
          innerCalls++;
          return new Promise<Tvf>(() => undefined);
        },
      },
    });
    bus.processor('a', {
      services: ['OUTER'],
      adaptor: {
        processRequest: async (_s, tvf, _ctx, info) => {
          const error = await failure(info.request('INNER', tvf, { timeoutMs: 60_000 }));
          nested.resolve(error);
          // Passes the nested error on: whichever of the two expiries the wheel sweeps first, the outer one ends in timeout.
          throw error;
        },
      },
    });
    await bus.start();
    const started = performance.now();
    const outer = await failure(bus.request('OUTER', record(1), { timeoutMs: 120 }));
    const inner = await nested.promise;
    const elapsed = performance.now() - started;
    expect(outer).toBeInstanceOf(ServiceError);
    expect((outer as ServiceError).kind).toBe('timeout');
    expect(inner).toBeInstanceOf(ServiceError);
    expect((inner as ServiceError).kind).toBe('timeout');
    const capped = /^no reply within (\d+) ms \(timeoutMs 60000, capped at (\d+) ms by the request it serves\)$/.exec((inner as ServiceError).detail);
    expect(capped).not.toBeNull();
    expect(Number(capped![1])).toBe(Number(capped![2]));
    expect(Number(capped![1])).toBeGreaterThan(60);
    // The parent's deadline runs from its send as the wheel stamped it: up to a few 5 ms ticks after the real send.
    expect(Number(capped![1])).toBeLessThanOrEqual(120 + 4 * 5);
    expect(elapsed).toBeLessThan(5_000);
    expect(innerCalls).toBe(1);
    await sleep(30);
    const stats = bus.stats();
    expect(stats.errors.timeout).toBe(2);
    expect(stats.inFlight).toBe(0);
  });

  it('a nested request sent with no time left ends in timeout at once, without reaching a provider', async () => {
    bus = testBus();
    let innerCalls = 0;
    const nested = deferred<unknown>();
    bus.processor('b', { services: ['INNER'], adaptor: { processRequest: (_s, tvf) => (innerCalls++, tvf) } });
    bus.processor('a', {
      services: ['OUTER'],
      adaptor: {
        processRequest: async (_s, tvf, _ctx, info) => {
          await sleep(80);
          nested.resolve(await failure(info.request('INNER', tvf)));
          return tvf;
        },
      },
    });
    await bus.start();
    await failure(bus.request('OUTER', record(1), { timeoutMs: 20 }));
    const inner = await nested.promise;
    expect((inner as ServiceError).kind).toBe('timeout');
    expect((inner as ServiceError).detail).toMatch(/no time left/);
    expect(innerCalls).toBe(0);
  });

  it('a nested request with a shorter own timeout keeps it (no cap, plain message)', async () => {
    bus = testBus();
    const nested = deferred<unknown>();
    bus.processor('slow', { services: ['INNER'], adaptor: { processRequest: () => new Promise<Tvf>(() => undefined) } });
    bus.processor('a', {
      services: ['OUTER'],
      adaptor: {
        processRequest: async (_s, tvf, _ctx, info) => {
          nested.resolve(await failure(info.request('INNER', tvf, { timeoutMs: 30 })));
          return tvf;
        },
      },
    });
    await bus.start();
    await expect(bus.request('OUTER', record(1), { timeoutMs: 5_000 })).resolves.toBeDefined();
    expect((await nested.promise as ServiceError).detail).toBe('no reply within 30 ms');
  });

  it('ctx.request called synchronously in processRequest inherits the deadline too', async () => {
    bus = testBus();
    const nested = deferred<unknown>();
    bus.processor('slow', { services: ['INNER'], adaptor: { processRequest: () => new Promise<Tvf>(() => undefined) } });
    bus.processor('a', {
      services: ['OUTER'],
      adaptor: {
        processRequest: (_s, tvf, ctx) => {
          const inner = failure(ctx.request('INNER', tvf, { timeoutMs: 60_000 }));
          void inner.then(nested.resolve);
          return inner.then(() => tvf);
        },
      },
    });
    await bus.start();
    await failure(bus.request('OUTER', record(1), { timeoutMs: 80 }));
    expect((await nested.promise as ServiceError).detail).toMatch(/capped at \d+ ms by the request it serves/);
  });
});

describe('request context: metadata', () => {
  it('reaches the provider and the providers of its nested requests, merged under their own', async () => {
    bus = testBus();
    const seen: (RequestMeta | undefined)[] = [];
    bus.processor('b', {
      services: ['INNER'],
      adaptor: { processRequest: (_s, tvf, _ctx, info) => (seen.push(info.meta), tvf) },
    });
    bus.processor('a', {
      services: ['OUTER'],
      adaptor: {
        processRequest: async (_s, tvf, ctx, info) => {
          seen.push(info.meta);
          await info.request('INNER', tvf, { meta: { hop: 'a', tenant: 'override' } });
          await ctx.request('INNER', tvf);
          return tvf;
        },
      },
    });
    await bus.start();
    await bus.request('OUTER', record(1), { meta: { correlation: 'c-42', tenant: 't1' } });
    expect(seen.map((meta) => (meta === undefined ? undefined : { ...meta }))).toEqual([
      { correlation: 'c-42', tenant: 't1' },
      { hop: 'a', tenant: 'override', correlation: 'c-42' },
      // ctx.request after an `await` without tracing starts afresh (documented).
      undefined,
    ]);
  });

  it.each([
    ['not an object', 'x', /meta must be an object of strings/],
    ['a value that is not a string', { a: 1 }, /meta\.a must be a string/],
    ['a key that is not a token', { 'a b': 'x' }, /meta key 'a b' must be a token/],
    ['a value too long', { a: 'x'.repeat(257) }, /meta\.a is longer than 256 characters/],
    ['too many entries', Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])), /more than 16 entries/],
  ])('a request with meta %s is refused with a BusError naming the fault', async (_name, meta, message) => {
    bus = testBus();
    bus.processor('a', { services: ['S'], adaptor: { processRequest: (_s, tvf) => tvf } });
    await bus.start();
    const error = await failure(bus.request('S', record(1), { meta: meta as unknown as RequestMeta }));
    expect(error).toBeInstanceOf(BusError);
    expect((error as Error).message).toMatch(message);
    // The bus keeps serving.
    await expect(bus.request('S', record(2))).resolves.toBeDefined();
  });
});
