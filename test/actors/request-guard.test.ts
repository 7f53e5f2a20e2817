/**
 * `request()` never throws: every call returns a promise that settles exactly once, for
 * wrong arguments, a provider whose delivery throws, an observer that throws, and a
 * service table whose providers left in any order with the cursor anywhere.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BusError, ServiceError, type Provider, type Prosa, type Transport, type TransportHost, type Tvf } from '../../src/index.js';
import { ServiceTable } from '../../src/actors/service-table.js';
import { captureLogs } from '../support/log-capture.js';
import { record, testBus, valueOf } from '../support/bus.js';

let bus: Prosa | undefined;
afterEach(async () => {
  await bus?.stop();
  bus = undefined;
});

/** Calls `send` and returns what it settled with; a synchronous throw fails the test. */
async function settled(send: () => Promise<Tvf>): Promise<unknown> {
  let promise: Promise<Tvf>;
  try {
    promise = send();
  } catch (error) {
    throw new Error(`request threw synchronously: ${String(error)}`);
  }
  return promise.then(
    (reply) => reply,
    (error: unknown) => error,
  );
}

/** A provider for the table tests: accepts everything. */
function provider(name: string): Provider {
  return {
    processor: name,
    remote: false,
    accepting: true,
    inFlight: 0,
    maxInFlight: 10,
    inFlightHead: null,
    deliver: () => undefined,
    onIdle: () => undefined,
  };
}

/** Every order in which `k` of `items` can be picked. */
function* orderedPicks<T>(items: readonly T[], k: number): Generator<T[]> {
  if (k === 0) {
    yield [];
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const tail of orderedPicks(rest, k - 1)) yield [items[i]!, ...tail];
  }
}

describe('service table: providers leaving', () => {
  it('after any removals, in any order, from any cursor position, a round reaches each provider left once', () => {
    let cases = 0;
    for (let n = 1; n <= 5; n++) {
      const names = Array.from({ length: n }, (_, i) => `p${i}`);
      for (let cursor = 0; cursor < n; cursor++) {
        for (let k = 0; k < n; k++) {
          for (const leaving of orderedPicks(names, k)) {
            const table = new ServiceTable();
            const providers = new Map(names.map((name) => [name, provider(name)]));
            for (const p of providers.values()) table.add('S', p);
            const entry = table.lookup('S')!;
            for (let i = 0; i < cursor; i++) entry.next();
            const next = names[cursor]!;
            for (const name of leaving) table.remove('S', providers.get(name)!);
            const left = names.filter((name) => !leaving.includes(name));
            const round = left.map(() => entry.next()?.processor);
            expect([...round].sort(), `n=${n} cursor=${cursor} leaving=${leaving.join(',')}`).toEqual(left);
            // the provider that was next is still next, when it stayed
            if (left.includes(next)) expect(round[0]).toBe(next);
            cases++;
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(300);
  });
});

describe('bus: request() never throws', () => {
  it('rejects wrong arguments with a BusError naming them, uncounted', async () => {
    bus = testBus();
    bus.processor('p', { services: ['S'], adaptor: { processRequest: (_s, r) => r } });
    await bus.start();
    const hostileOptions = {
      get timeoutMs(): number {
        throw new Error('options getter threw');
      },
    };
    const calls: [string, () => Promise<Tvf>, RegExp][] = [
      ['a symbol service', () => bus!.request(Symbol('S') as never, record(1)), /service must be a string, got Symbol\(S\)/],
      ['a null payload', () => bus!.request('S', null as never), /'S': the payload must be a Tvf record, got null/],
      ['a look-alike payload', () => bus!.request('S', { len: () => 0 } as never), /payload must be a Tvf record, got an object/],
      ['a string timeout', () => bus!.request('S', record(1), { timeoutMs: '100' as never }), /timeoutMs must be a number .* got 100/],
      ['options whose getter throws', () => bus!.request('S', record(1), hostileOptions), /options cannot be read: options getter threw/],
    ];
    for (const [what, call, message] of calls) {
      const error = await settled(call);
      expect(error, what).toBeInstanceOf(BusError);
      expect((error as BusError).kind, what).toBe('InvalidOption');
      expect((error as BusError).message, what).toMatch(message);
    }
    expect(bus.stats().requests).toBe(0);
    expect(valueOf((await settled(() => bus!.request('S', record(3)))) as Tvf)).toBe(3);
  });

  it('ends a request whose provider cannot take it in unreachable, and frees the provider', async () => {
    bus = testBus();
    const broken: Provider = {
      processor: 'broken',
      remote: true,
      accepting: true,
      inFlight: 0,
      maxInFlight: 10,
      inFlightHead: null,
      deliver: () => {
        throw new Error('the link is down');
      },
      onIdle: () => undefined,
    };
    const transport: Transport = {
      name: 'link',
      start: async (host: TransportHost) => host.addRemote('FAR', broken),
      withdraw: () => undefined,
      close: async () => undefined,
    };
    bus.attachTransport(transport);
    await bus.start();
    const error = await settled(() => bus!.request('FAR', record(1)));
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).kind).toBe('unreachable');
    expect((error as ServiceError).processor).toBe('broken');
    expect((error as ServiceError).message).toContain('could not take the request: the link is down');
    expect(broken.inFlight).toBe(0);
    expect(bus.stats()).toMatchObject({ requests: 1, inFlight: 0, errors: { unreachable: 1 } });
  });

  it('settles a request whose observer throws, and logs the observer', async () => {
    const { logger, lines } = captureLogs({ level: 'error' });
    bus = testBus({
      logger,
      observer: {
        requestSettled: () => {
          throw new Error('observer threw');
        },
      },
    });
    bus.processor('p', { services: ['S'], adaptor: { processRequest: (_s, r) => r } });
    await bus.start();
    expect(valueOf((await settled(() => bus!.request('S', record(5)))) as Tvf)).toBe(5);
    expect(await settled(() => bus!.request('NONE', record(5)))).toBeInstanceOf(ServiceError);
    expect(lines().filter((line) => line.msg === 'a request observer threw')).toHaveLength(2);
    expect(bus.stats()).toMatchObject({ requests: 2, responses: 1, inFlight: 0 });
  });
});
