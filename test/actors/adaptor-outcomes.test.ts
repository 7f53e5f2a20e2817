import { afterEach, describe, expect, it } from 'vitest';
import { ServiceError, type Prosa, type RequestInfo } from '../../src/index.js';
import { record, sleep, testBus } from '../support/bus.js';

let bus: Prosa | undefined;
afterEach(async () => {
  await bus?.stop();
  bus = undefined;
});

async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceError);
  return error as ServiceError;
}

describe('bus: the adaptor chooses the error kind', () => {
  it.each(['unreachable', 'timeout', 'protocol', 'overloaded', 'shutdown'] as const)(
    'a ServiceError of kind %s thrown or rejected keeps its kind and detail, renamed to the service and processor',
    async (kind) => {
      bus = testBus();
      bus.processor('upstream-caller', {
        services: ['SYNC', 'ASYNC'],
        adaptor: {
          processRequest: (service) => {
            const error = new ServiceError(kind, 'INNER', 'inner-proc', `upstream said no (${kind})`);
            if (service === 'SYNC') throw error;
            return Promise.reject(error);
          },
        },
      });
      await bus.start();
      for (const service of ['SYNC', 'ASYNC']) {
        const error = await failure(bus.request(service, record(1)));
        expect(error.kind).toBe(kind);
        expect(error.service).toBe(service);
        expect(error.processor).toBe('upstream-caller');
        expect(error.detail).toBe(`upstream said no (${kind})`);
        expect(error.message).toBe(`${kind}: service '${service}' at processor 'upstream-caller': upstream said no (${kind})`);
        expect(error.cause).toBeInstanceOf(ServiceError);
      }
      expect(bus.stats().errors[kind]).toBe(2);
    },
  );

  it('any other throw is still a protocol error', async () => {
    bus = testBus();
    bus.processor('p', { services: ['S'], adaptor: { processRequest: () => { throw new RangeError('nope'); } } });
    await bus.start();
    const error = await failure(bus.request('S', record(1)));
    expect(error.kind).toBe('protocol');
    expect(error.detail).toBe('adaptor failed: nope');
  });
});

describe('bus: the adaptor sees the request deadline', () => {
  it('passes id, sentAt, timeoutMs, deadline and origin as the fourth argument', async () => {
    bus = testBus();
    const seen: Pick<RequestInfo, 'id' | 'sentAt' | 'timeoutMs' | 'deadline' | 'origin'>[] = [];
    bus.processor('p', {
      services: ['S'],
      adaptor: {
        processRequest: (_service, tvf, _ctx, info) => {
          seen.push({ id: info.id, sentAt: info.sentAt, timeoutMs: info.timeoutMs, deadline: info.deadline, origin: info.origin });
          return tvf;
        },
      },
    });
    const caller = bus.processor('caller', { adaptor: { processRequest: (_s, tvf) => tvf } });
    await bus.start();
    const before = performance.now();
    await bus.request('S', record(1), { timeoutMs: 700 });
    await caller.request('S', record(2), { timeoutMs: 50 });
    expect(seen).toHaveLength(2);
    const [outside, inside] = seen as [RequestInfo, RequestInfo];
    expect(outside.origin).toBeUndefined();
    expect(inside.origin).toBe('caller');
    expect(inside.id).not.toBe(outside.id);
    expect(outside.sentAt).toBeGreaterThanOrEqual(before);
    expect([outside.timeoutMs, inside.timeoutMs]).toEqual([700, 50]);
    // read at delivery, the deadline may be a little early, never late
    expect(outside.deadline - outside.sentAt).toBeGreaterThanOrEqual(700);
    expect(outside.deadline - outside.sentAt).toBeLessThan(701);
    expect(inside.deadline - inside.sentAt).toBeGreaterThanOrEqual(50);
    expect(inside.deadline - inside.sentAt).toBeLessThan(51);
    expect(outside.deadline).toBeLessThanOrEqual(performance.now() + 700);
  });

  it('lets an adaptor give up at the deadline with its own timeout error', async () => {
    bus = testBus();
    bus.processor('p', {
      services: ['S'],
      adaptor: {
        processRequest: async (service, _tvf, ctx, info) => {
          const left = info.deadline - performance.now();
          await sleep(Math.max(0, left - 30));
          throw new ServiceError('timeout', service, ctx.name, `gave up ${Math.round(left)} ms budget`);
        },
      },
    });
    await bus.start();
    const error = await failure(bus.request('S', record(1), { timeoutMs: 100 }));
    expect(error.kind).toBe('timeout');
    expect(error.detail).toMatch(/^gave up \d+ ms budget$/);
  });
});
