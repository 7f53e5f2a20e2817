import { afterEach, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import type { ProcessorContext, ProcessorState, Prosa } from '../../src/index.js';
import { deferred, record, testBus } from '../support/bus.js';
import { EchoRemote, HandTransport } from '../support/remote.js';

let bus: Prosa | undefined;
afterEach(async () => {
  await bus?.stop();
  bus = undefined;
});

const echo = { processRequest: (_service: string, request: never) => request };

describe('the Processor handle', () => {
  it('keeps its runtime private: no property of its own, nothing of the runtime reachable', () => {
    bus = testBus();
    const handle = bus.processor('p', { services: ['S'], adaptor: echo });
    expect(Reflect.ownKeys(handle)).toEqual([]);
    expect('runtime' in handle).toBe(false);
    expect(JSON.stringify(handle)).toBe('{}');
    // @ts-expect-error the runtime is not part of the handle's type
    expect(handle.runtime).toBeUndefined();
    expect({ name: handle.name, services: handle.services, state: handle.state, inFlight: handle.inFlight }).toEqual({
      name: 'p',
      services: ['S'],
      state: 'created',
      inFlight: 0,
    });
  });

  it('reads its state from the lifecycle actor: what listeners are told is what it says', async () => {
    bus = testBus();
    const handle = bus.processor('p', { services: ['S'], adaptor: echo });
    const seen: [ProcessorState, ProcessorState][] = [];
    handle.subscribe((state) => seen.push([state, handle.state]));
    await bus.start();
    await bus.stop();
    expect(seen.map(([told]) => told)).toEqual(['initializing', 'serving', 'draining', 'terminating', 'stopped']);
    for (const [told, read] of seen) expect(read).toBe(told);
  });
});

describe('the service table: processors and transports write it, Main relays nothing', () => {
  it('holds a processor exactly while it serves: out at once on a crash, before its requests fail', async () => {
    const order: string[] = [];
    bus = testBus({ observer: { requestSettled: (_s, outcome) => void order.push(`settled:${outcome}`) } });
    let ctx: ProcessorContext | undefined;
    const hold = deferred<never>();
    const p = bus.processor('p', {
      services: ['S'],
      restart: { delayMs: 10_000 },
      adaptor: { init: (c) => void (ctx = c), processRequest: () => hold.promise },
    });
    bus.serviceTable.watch('S', () => void order.push(`table:${bus!.services()['S']?.join() ?? 'none'}`));
    await bus.start();
    expect(order).toEqual(['table:p']);
    const pending = bus.request('S', record(1)).catch((e: unknown) => e);
    ctx!.fail(new Error('lost'));
    expect(p.state).toBe('crashed');
    expect(order).toEqual(['table:p', 'table:none', 'settled:unreachable']);
    expect(await pending).toMatchObject({ kind: 'unreachable', processor: 'p' });
  });

  it('writes a remote provider at once, without an event to Main', async () => {
    const mainEvents: string[] = [];
    const inspect = (event: InspectionEvent) => {
      if (event.type === '@xstate.event' && (event.actorRef as { id?: string }).id === 'main:test') mainEvents.push(event.event.type);
    };
    bus = testBus({ inspect });
    const transport = new HandTransport();
    bus.attachTransport(transport);
    await bus.start();
    mainEvents.length = 0;
    const remote = new EchoRemote();
    transport.host!.addRemote('FAR', remote);
    expect(bus.services()).toEqual({ FAR: ['nats'] });
    transport.host!.addRemote('FAR', remote); // a duplicate add is ignored
    expect(bus.services()).toEqual({ FAR: ['nats'] });
    transport.host!.removeRemote('FAR', remote);
    transport.host!.removeRemote('FAR', remote); // and so is removing one that is not there
    expect(bus.services()).toEqual({});
    expect(mainEvents).toEqual([]);
  });
});
