import { afterEach, describe, expect, it, vi } from 'vitest';
import { setup, type InspectionEvent } from 'xstate';
import { LookupService, ProcessorError, ServiceError, callbackResolver, createDirectives, resolver, defineDirective, type Adaptor, type ProcessorContext, type Prosa } from '../../src/index.js';
import { record, testBus, valueOf } from '../support/bus.js';
import { EchoRemote, HandTransport } from '../support/remote.js';

const Greeting = defineDirective<{ to: string }, string>({ kind: 'Greeting', maxValues: 1 });

let bus: Prosa | undefined;
afterEach(async () => {
  await bus?.stop();
  bus = undefined;
});

const echo: Adaptor = { processRequest: (_s, r) => r };

/** A processor that answers Greeting with one value naming itself. */
function greeter(contexts: ProcessorContext[] = []) {
  return {
    services: [] as string[],
    adaptor: { ...echo, init: (ctx: ProcessorContext) => void contexts.push(ctx) },
    restart: { delayMs: 1, maxDelayMs: 1 },
    directives: (d: { kind: string }, ctx: ProcessorContext) =>
      Greeting.is(d)
        ? [
            callbackResolver<string>('greet', (handle) => {
              handle.add(`hello ${d.params.to} from ${ctx.name}`);
              handle.idle();
            }),
          ]
        : undefined,
  };
}

describe('directives: processors as handlers', () => {
  it('asks a processor once it serves, about directives added before and after', async () => {
    bus = testBus();
    const directives = createDirectives(bus);
    const early = directives.add(Greeting({ to: 'early' }));
    bus.processor('g', greeter());
    expect(early.values).toEqual([]);
    await bus.start();
    expect(early.values).toEqual(['hello early from g']);
    const late = directives.add(Greeting({ to: 'late' }));
    expect(late.values).toEqual(['hello late from g']);
    expect(late.entries[0]!.source).toBe('g');
  });

  it('removes a stopped processor\'s values and lets another resolver take over', async () => {
    bus = testBus();
    const directives = createDirectives(bus);
    bus.processor('first', greeter());
    await bus.start();
    const ref = directives.add(Greeting({ to: 'you' }));
    bus.processor('second', greeter());
    await bus.get('second')!.when('serving');
    expect(ref.values).toEqual(['hello you from first']);
    expect(ref.resolvers().map((r) => [r.source, r.status])).toEqual([
      ['first', 'held'],
      ['second', 'held'],
    ]);
    const seen: string[] = [];
    ref.subscribe({ added: (e) => seen.push(`+${e.value}`), removed: (e) => seen.push(`-${e.value}`) });
    await bus.remove('first');
    expect(ref.values).toEqual(['hello you from second']);
    expect(seen).toEqual(['+hello you from first', '-hello you from first', '+hello you from second']);
    expect(ref.resolvers().map((r) => r.source)).toEqual(['second']);
  });

  it('drops a crashed processor\'s resolvers and asks it again once it serves again', async () => {
    bus = testBus();
    const directives = createDirectives(bus);
    const contexts: ProcessorContext[] = [];
    const p = bus.processor('g', greeter(contexts));
    await bus.start();
    const ref = directives.add(Greeting({ to: 'x' }));
    expect(ref.values).toHaveLength(1);
    const states: string[] = [];
    ref.subscribe({ removed: () => states.push(p.state) });
    contexts[0]!.fail(new ProcessorError('lost link'));
    expect(ref.values).toEqual([]);
    expect(states).toEqual(['crashed']);
    await p.when('serving');
    expect(ref.values).toEqual(['hello x from g']);
  });

  it('gives resolvers the processor context of the current run', async () => {
    bus = testBus();
    const directives = createDirectives(bus);
    bus.processor('echo', { services: ['ECHO'], adaptor: echo });
    const Ask = defineDirective<{ n: number }, number>({ kind: 'Ask' });
    bus.processor('asker', {
      adaptor: echo,
      directives: (d, ctx) =>
        Ask.is(d)
          ? [
              callbackResolver<number>('ask', (handle) => {
                void ctx.request('ECHO', record(d.params.n)).then((reply) => {
                  handle.add(valueOf(reply));
                  handle.idle();
                });
              }),
            ]
          : undefined,
    });
    await bus.start();
    const ref = directives.add(Ask({ n: 7 }));
    expect(await ref.collect({ timeoutMs: 1_000 })).toEqual({ values: [7], errors: [] });
  });

  it('is drawn by the inspector: the directive machine and its resolvers are actors', async () => {
    const events: InspectionEvent[] = [];
    bus = testBus({ inspect: (event) => void events.push(event) });
    const directives = createDirectives(bus);
    bus.processor('g', greeter());
    await bus.start();
    directives.add(Greeting({ to: 'inspector' })).release();
    const idOf = (e: InspectionEvent) => (e.actorRef as { id?: string }).id ?? '';
    const actors = new Set(events.filter((e) => e.type === '@xstate.actor').map(idOf));
    expect([...actors].filter((id) => /^directive:Greeting\{"to":"inspector"\}#\d+$/.test(id))).toHaveLength(1); // a short key is shown
    expect(actors).toContain('g/greet');
    const snapshots = events
      .filter((e) => e.type === '@xstate.snapshot' && idOf(e).startsWith('directive:'))
      .map((e) => JSON.stringify((e as unknown as { snapshot: { value: unknown } }).snapshot.value));
    expect(snapshots[0]).toBe('"pending"');
    expect(snapshots.at(-1)).toBe('"disposed"');
    expect(snapshots).toContain(JSON.stringify({ live: { references: 'referenced', activity: 'idle', capacity: 'full' } }));
  });
});

describe('directives: LookupService', () => {
  it('waits for a service to appear and follows the service table', async () => {
    bus = testBus();
    const directives = createDirectives(bus);
    const ref = directives.add(LookupService({ service: 'ECHO' }));
    expect(ref.settled).toBe(true);
    expect(ref.values).toEqual([]);
    await bus.start();
    const first = ref.firstValue({ timeoutMs: 1_000 });
    bus.processor('a', { services: ['ECHO'], adaptor: echo });
    expect(await first).toEqual({ service: 'ECHO', processor: 'a', remote: false });
    bus.processor('b', { services: ['ECHO', 'OTHER'], adaptor: echo });
    await bus.get('b')!.when('serving');
    await new Promise((r) => setImmediate(r));
    expect(ref.values.map((v) => v.processor)).toEqual(['a', 'b']);
    await bus.remove('a');
    await new Promise((r) => setImmediate(r));
    expect(ref.values.map((v) => v.processor)).toEqual(['b']);
    const other = directives.add(LookupService({ service: 'OTHER' }));
    expect(other.values.map((v) => v.processor)).toEqual(['b']);
  });

  it('drops a provider that stops accepting before its unreachable errors reach callers, and takes it back once it serves again', async () => {
    bus = testBus();
    const directives = createDirectives(bus);
    const contexts: ProcessorContext[] = [];
    bus.processor('a', {
      services: ['ECHO'],
      restart: { delayMs: 50, maxDelayMs: 50 },
      adaptor: { init: (ctx) => void contexts.push(ctx), processRequest: () => new Promise<never>(() => undefined) },
    });
    const ref = directives.add(LookupService({ service: 'ECHO' }));
    // A value comes once the provider takes requests: its processor serves, not just registers.
    const statesAtAdd: (string | undefined)[] = [];
    ref.subscribe({ added: (entry) => void statesAtAdd.push(bus!.get(entry.value.processor)?.state) });
    await bus.start();
    expect(await ref.firstValue({ timeoutMs: 1_000 })).toEqual({ service: 'ECHO', processor: 'a', remote: false });
    const seenAtError: unknown[] = [];
    const inFlight = bus.request('ECHO', record(1), { timeoutMs: 5_000 }).catch((error: unknown) => {
      seenAtError.push(error instanceof ServiceError ? error.kind : error, ref.values.length);
    });
    await new Promise((r) => setImmediate(r));
    contexts[0]!.fail(new Error('boom'));
    await inFlight;
    // A caller that waits again on `unreachable` finds nothing and waits: no busy retry.
    expect(seenAtError).toEqual(['unreachable', 0]);
    expect(await ref.firstValue({ timeoutMs: 1_000 })).toEqual({ service: 'ECHO', processor: 'a', remote: false });
    expect(contexts).toHaveLength(2);
    expect(statesAtAdd).toEqual(['serving', 'serving']);
  });

  it('follows the remote providers a transport adds and removes', async () => {
    bus = testBus();
    const transport = new HandTransport();
    bus.attachTransport(transport);
    const directives = createDirectives(bus);
    const ref = directives.add(LookupService({ service: 'ECHO' }));
    await bus.start();
    const first = ref.firstValue({ timeoutMs: 1_000 });
    const remote = new EchoRemote('nats');
    transport.host!.addRemote('ECHO', remote);
    expect(await first).toEqual({ service: 'ECHO', processor: 'nats', remote: true });
    transport.host!.removeRemote('ECHO', remote);
    await new Promise((r) => setImmediate(r));
    expect(ref.values).toEqual([]);
  });

  it('never hands out a provider that left the table: its value goes in the same call that removes it', async () => {
    bus = testBus();
    const transport = new HandTransport();
    bus.attachTransport(transport);
    const directives = createDirectives(bus);
    const ref = directives.add(LookupService({ service: 'ECHO' }));
    await bus.start();
    const remote = new EchoRemote('nats');
    transport.host!.addRemote('ECHO', remote);
    expect(ref.values).toEqual([{ service: 'ECHO', processor: 'nats', remote: true }]);
    transport.host!.removeRemote('ECHO', remote);
    // No turn of the event loop in between: a caller retrying at once must not find it.
    expect(bus.serviceTable.lookup('ECHO')).toBeUndefined();
    expect(ref.values).toEqual([]);
    let handedOut: unknown;
    void ref.firstValue().then((value) => (handedOut = value));
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(handedOut).toBeUndefined();
    // It waits for a provider that is really there.
    const back = new EchoRemote('nats-2');
    transport.host!.addRemote('ECHO', back);
    await Promise.resolve();
    expect(handedOut).toEqual({ service: 'ECHO', processor: 'nats-2', remote: true });
  });

  it('leaves no listener on the bus nor watcher on the table once released, nor once the bus stops', async () => {
    bus = testBus();
    const table = bus.serviceTable;
    const watch = table.watch.bind(table);
    let watchers = 0;
    table.watch = (service, watcher) => {
      watchers++;
      const unwatch = watch(service, watcher);
      let done = false;
      return () => {
        if (!done) watchers--;
        done = true;
        unwatch();
      };
    };
    const directives = createDirectives(bus);
    const count = (event: 'table' | 'processor.state') => bus!.events.all.get(event)?.length ?? 0;
    const before = { table: count('table'), state: count('processor.state') };
    const ref = directives.add(LookupService({ service: 'ECHO' }));
    expect(watchers).toBe(1);
    expect(count('processor.state')).toBe(before.state + 1);
    ref.release();
    expect({ table: count('table'), state: count('processor.state') }).toEqual(before);
    expect(watchers).toBe(0);
    const kept = directives.add(LookupService({ service: 'ECHO' }));
    expect(watchers).toBe(1);
    await bus.start();
    await bus.stop();
    expect(kept.released).toBe(true);
    expect(count('table')).toBe(before.table);
    expect(watchers).toBe(0);
  });

  it('refuses an empty service name', () => {
    bus = testBus();
    const directives = createDirectives(bus);
    expect(() => directives.add(LookupService({ service: '' }))).toThrow(/service must be a non-empty string/);
  });

  it('draws no XState warning when an adaptor adds directives and a processor answers with machine resolvers', async () => {
    // A machine with a context function: creating its actor inside another actor's action
    // makes XState warn (its initial context is an assign).
    const counter = setup({ types: { context: {} as { n: number } } }).createMachine({ context: () => ({ n: 0 }) });
    const warn = vi.spyOn(console, 'warn');
    try {
      bus = testBus();
      const directives = createDirectives(bus);
      const early = directives.add(Greeting({ to: 'early' }));
      let fromInit: ReturnType<typeof directives.add> | undefined;
      bus.processor('adder', {
        adaptor: { ...echo, init: () => void (fromInit = directives.add(Greeting({ to: 'init' }))) },
      });
      bus.processor('machines', {
        adaptor: echo,
        directives: (d) => (Greeting.is(d) ? [resolver<string>('counter', counter)] : undefined),
      });
      await bus.start();
      expect(fromInit).toBeDefined();
      // both instances, the one added before start and the one the adaptor's init added, run the machine resolver
      for (const to of ['early', 'init']) {
        expect(directives.info(Greeting({ to }))!.resolvers.map((r) => `${r.source}/${r.resolver}`)).toEqual(['machines/counter']);
      }
      early.release();
      await bus.stop();
      expect(warn.mock.calls.map((args) => String(args[0]))).toEqual([]);
    } finally {
      warn.mockRestore();
    }
  });
});
