import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { DirectiveError, createDirectives, defineDirective, directivesOf, describeDirective, callbackResolver, promiseResolver, type DirectiveValue, type Directives, type Prosa } from '../../src/index.js';
import { silentLogger, testBus } from '../support/bus.js';
import { puppet } from '../support/directives.js';

const Thing = defineDirective<{ id: string; max?: number; grace?: number }, string>({
  kind: 'Thing',
  key: (p) => p.id,
  maxValues: (p) => p.max,
  disposeAfterMs: (p) => p.grace,
});

let bus: Prosa | undefined;
afterEach(async () => {
  await bus?.stop();
  bus = undefined;
});

function setup() {
  bus = testBus();
  const clock = new SimulatedClock();
  const directives = createDirectives(bus, {
    clock,
    resolverRestart: { delayMs: 10, maxDelayMs: 80 },
    logger: silentLogger(),
  });
  return { bus, clock, directives };
}

/** Registers a bus-level handler answering every Thing with the given resolvers. */
function answer(directives: Directives, ...resolvers: ReturnType<typeof puppet<string>>[]) {
  return directives.handle('test', (d) => (Thing.is(d) ? resolvers.map((p) => p.resolver) : undefined));
}

describe('directives: instances and references', () => {
  it('shares one instance between equivalent directives and counts references', () => {
    const { directives } = setup();
    const p = puppet<string>();
    answer(directives, p);
    const a = directives.add(Thing({ id: 'x' }));
    const b = directives.add(Thing({ id: 'x' }));
    const c = directives.add(Thing({ id: 'y' }));
    expect(directives.instances().map((i) => [i.name, i.references])).toEqual([
      ['Thing:x', 2],
      ['Thing:y', 1],
    ]);
    expect(p.control.starts).toBe(2);
    p.runs[0]!.handle.add('v');
    expect(a.values).toEqual(['v']);
    expect(b.values).toEqual(['v']);
    expect(c.values).toEqual([]);
    a.release();
    expect(b.state).toBe('idle');
    expect(a.released).toBe(true);
    expect(a.values).toEqual([]);
    b.release();
    expect(directives.instances().map((i) => i.name)).toEqual(['Thing:y']);
    expect(p.runs[0]!.active).toBe(false);
  });

  it('keeps a released instance through its grace period and revives it', () => {
    const { directives, clock } = setup();
    const p = puppet<string>();
    answer(directives, p);
    const a = directives.add(Thing({ id: 'x', grace: 100 }));
    p.current()!.handle.add('kept');
    a.release();
    expect(directives.instances()[0]!.state).toBe('disposing');
    clock.increment(60);
    const b = directives.add(Thing({ id: 'x', grace: 100 }));
    expect(b.values).toEqual(['kept']);
    expect(p.control.starts).toBe(1);
    clock.increment(500);
    expect(b.state).toBe('idle');
    b.release();
    clock.increment(99);
    expect(p.current()).toBeDefined();
    clock.increment(1);
    expect(p.current()).toBeUndefined();
    expect(b.state).toBe('disposed');
    expect(directives.instances()).toEqual([]);
    const c = directives.add(Thing({ id: 'x', grace: 100 }));
    expect(c.values).toEqual([]);
    expect(p.control.starts).toBe(2);
  });

  it('refuses invalid directives with the reason', () => {
    const { directives } = setup();
    const Checked = defineDirective<{ n: number }, number>({
      kind: 'Checked',
      validate: (p) => {
        if (p.n < 0) throw new Error('n must be >= 0');
      },
    });
    const refused = (make: () => unknown) => {
      try {
        make();
      } catch (error) {
        return error as DirectiveError;
      }
      throw new Error('not refused');
    };
    const error = refused(() => directives.add(Checked({ n: -1 })));
    expect(error).toBeInstanceOf(DirectiveError);
    expect(error.kind).toBe('InvalidDirective');
    expect(error.recoverable).toBe(false);
    expect(error.message).toContain('n must be >= 0');
    expect(error.directive).toBe('Checked{"n":-1}');
    expect(refused(() => directives.add(Thing({ id: 'x', max: 0 }))).message).toContain('maxValues');
    expect(refused(() => directives.add(Thing({ id: 'x', grace: -1 }))).message).toContain('disposeAfterMs');
    expect(refused(() => directives.add({ kind: '', key: 'k' })).kind).toBe('InvalidDirective');
    expect(directives.instances()).toEqual([]);
    expect(directives.add(Checked({ n: 1 })).state).toBe('idle');
  });

  it('replays current values to a new subscriber, then every add and remove in order', () => {
    const { directives } = setup();
    const p = puppet<string>();
    answer(directives, p);
    const ref = directives.add(Thing({ id: 'x' }));
    const h = p.current()!.handle;
    const one = h.add('one')!;
    const seen: string[] = [];
    const off = ref.subscribe({
      added: (e: DirectiveValue<string>) => seen.push(`+${e.value}`),
      removed: (e: DirectiveValue<string>) => seen.push(`-${e.value}`),
    });
    h.add('two');
    h.remove(one);
    off();
    h.add('three');
    expect(seen).toEqual(['+one', '+two', '-one']);
    expect(ref.values).toEqual(['two', 'three']);
    expect(ref.entries.map((e) => e.source)).toEqual(['bus:test', 'bus:test']);
    ref.release();
    expect(() => ref.subscribe({})).toThrow(DirectiveError);
  });

  it('expires values after their ttl', () => {
    const { directives, clock } = setup();
    const p = puppet<string>();
    answer(directives, p);
    const ref = directives.add(Thing({ id: 'x' }));
    const released: string[] = [];
    p.current()!.handle.add('short', { ttlMs: 10, release: (v) => released.push(v) });
    p.current()!.handle.add('long');
    clock.increment(10);
    expect(ref.values).toEqual(['long']);
    expect(released).toEqual(['short']);
  });

  it('closes with the bus: instances disposed, references released, values released', async () => {
    const { bus, directives } = setup();
    const p = puppet<string>();
    answer(directives, p);
    await bus.start();
    const ref = directives.add(Thing({ id: 'x' }));
    const released: string[] = [];
    p.current()!.handle.add('v', { release: (v) => released.push(v) });
    const waiting = directives.add(Thing({ id: 'y' })).firstValue();
    await bus.stop();
    expect(directives.closed).toBe(true);
    expect(ref.released).toBe(true);
    expect(released).toEqual(['v']);
    expect(p.runs.every((run) => !run.active)).toBe(true);
    await expect(waiting).rejects.toMatchObject({ kind: 'Released' });
    expect(() => directives.add(Thing({ id: 'z' }))).toThrow(/closed/);
  });

  it('names a directive by its label, its short key, or a hash that gives nothing of a long key away', () => {
    const Secretive = defineDirective<{ token: string; owner: string }, string>({ kind: 'Secretive', label: (p) => p.owner });
    const Plain = defineDirective<{ token: string }, string>({ kind: 'Plain' });
    expect(describeDirective(Secretive({ token: 'SECRET123', owner: 'ann' }))).toBe('Secretive:ann');
    expect(describeDirective(Plain({ token: 'short' }))).toBe('Plain{"token":"short"}');
    const long = Plain({ token: `SECRET${'x'.repeat(100)}` });
    const name = describeDirective(long);
    expect(name).toMatch(/^Plain#[0-9a-f]{8}$/);
    expect(describeDirective(Plain({ token: `SECRET${'x'.repeat(100)}` }))).toBe(name); // stable within the process
    expect(describeDirective(Plain({ token: `SECRET${'y'.repeat(100)}` }))).not.toBe(name);
    const huge = defineDirective<{ n: number }, string>({ kind: 'K'.repeat(100), label: () => 'L'.repeat(1_000) });
    expect(describeDirective(huge({ n: 1 })).length).toBeLessThanOrEqual(60);
  });

  it('attaches one registry per bus', () => {
    const { bus, directives } = setup();
    expect(directivesOf(bus)).toBe(directives);
    expect(() => createDirectives(bus)).toThrow(DirectiveError);
    const other = testBus();
    expect(directivesOf(other)).toBe(directivesOf(other));
  });
});

describe('directives: resolvers and value limits', () => {
  it('stops resolvers at maxValues and starts them again when a value goes', () => {
    const { directives, clock } = setup();
    const a = puppet<string>('a');
    const b = puppet<string>('b');
    answer(directives, a, b);
    const ref = directives.add(Thing({ id: 'x', max: 2 }));
    expect(ref.resolvers().map((r) => r.status)).toEqual(['idle', 'idle']);
    const first = a.current()!.handle.add('a1')!;
    expect(b.current()!.handle.add('b1', { ttlMs: 50 })).toBeDefined();
    expect(ref.state).toBe('full');
    expect(ref.resolvers().map((r) => r.status)).toEqual(['held', 'held']);
    expect(a.current()).toBeUndefined();
    expect(b.current()).toBeUndefined();
    expect(a.runs[0]!.handle.add('late')).toBeUndefined();
    expect(a.runs[0]!.handle.signal.aborted).toBe(true);
    clock.increment(50);
    expect(ref.values).toEqual(['a1']);
    expect(ref.resolvers().map((r) => r.status)).toEqual(['idle', 'idle']);
    expect([a.control.starts, b.control.starts]).toEqual([2, 2]);
    a.current()!.handle.add('a2');
    expect(ref.state).toBe('full');
    expect(ref.values).toEqual(['a1', 'a2']);
    expect(a.runs.at(-1)!.handle.remove(first)).toBe(false);
    expect(ref.values).toEqual(['a1', 'a2']);
  });

  it('a singleton: one value, the rest of the resolvers wait', () => {
    const { directives } = setup();
    const a = puppet<string>('a');
    answer(directives, a);
    const ref = directives.add(Thing({ id: 'one', max: 1 }));
    a.current()!.handle.add('v');
    expect(a.current()).toBeUndefined();
    expect(ref.state).toBe('full');
    expect(ref.settled).toBe(true);
  });

  it('takes what a resolver does while it starts: a value that fills the instance, a second resolver held', () => {
    const { directives } = setup();
    const eager = callbackResolver<string>('eager', (handle) => {
      handle.add('at once');
      handle.idle();
    });
    const later = puppet<string>('later');
    directives.handle('test', (d) => (Thing.is(d) ? [eager, later.resolver] : undefined));
    const settled: boolean[] = [];
    const ref = directives.add(Thing({ id: 'x', max: 1 }));
    ref.subscribe({ settled: (s) => settled.push(s) });
    expect(ref.values).toEqual(['at once']);
    expect(ref.state).toBe('full');
    expect(ref.resolvers().map((r) => r.status)).toEqual(['held', 'held']);
    expect(later.control.starts).toBe(0);
    expect(ref.settled).toBe(true);
    expect(settled).toEqual([]);
  });

  it('takes a value added and removed while its resolver starts, without holding and resuming it forever', () => {
    const { directives } = setup();
    let starts = 0;
    const flicker = callbackResolver<string>('flicker', (handle) => {
      if (++starts > 100) return; // a guard for the test only: a loop would start it again and again
      const id = handle.add('brief');
      if (id !== undefined) handle.remove(id);
      handle.idle();
    });
    directives.handle('test', (d) => (Thing.is(d) ? [flicker] : undefined));
    const ref = directives.add(Thing({ id: 'x', max: 1 }));
    expect(starts).toBe(1);
    expect(ref.values).toEqual([]);
    expect(ref.state).toBe('idle');
    expect(ref.resolvers().map((r) => r.status)).toEqual(['idle']);
  });

  it('restarts a resolver that throws, with backoff, and reports it', () => {
    const { directives, clock } = setup();
    const p = puppet<string>();
    p.control.throwOnStart = 2;
    answer(directives, p);
    const ref = directives.add(Thing({ id: 'x' }));
    const failures: number[] = [];
    ref.subscribe({ failed: (f) => failures.push(f.retryInMs) });
    expect(ref.resolvers()[0]!.status).toBe('backoff');
    expect(ref.errors.map((e) => (e.error as Error).message)).toEqual(['puppet threw at start']);
    expect(ref.settled).toBe(true);
    clock.increment(9);
    expect(p.control.starts).toBe(1);
    clock.increment(1);
    expect(p.control.starts).toBe(2);
    clock.increment(19);
    expect(p.control.starts).toBe(2);
    clock.increment(1);
    expect(p.control.starts).toBe(3);
    expect(failures).toEqual([20]);
    expect(ref.resolvers()[0]!.status).toBe('idle');
    expect(ref.errors).toEqual([]);
  });

  it('removes the values of a failed run, and fails runs through handle.fail', () => {
    const { directives, clock } = setup();
    const p = puppet<string>();
    answer(directives, p);
    const ref = directives.add(Thing({ id: 'x' }));
    const run = p.current()!;
    run.handle.add('v');
    const seen: string[] = [];
    ref.subscribe({ removed: (e) => seen.push(e.value), failed: (f) => seen.push(`failed ${f.failures}`) });
    run.handle.fail(new Error('lost watch'));
    expect(ref.values).toEqual([]);
    expect(seen).toEqual(['v', 'failed 1']);
    expect(run.active).toBe(false);
    expect(run.handle.add('stale')).toBeUndefined();
    clock.increment(10);
    expect(p.current()).toBeDefined();
    expect(ref.state).toBe('idle');
  });

  it('a run that fails after a resume removes what it added, not what it found', () => {
    const { directives, clock } = setup();
    const p = puppet<string>();
    answer(directives, p);
    const ref = directives.add(Thing({ id: 'x', max: 2 }));
    p.current()!.handle.add('old', { ttlMs: 50 });
    p.current()!.handle.add('gone', { ttlMs: 5 });
    clock.increment(5);
    const resumed = p.current()!;
    expect(ref.values).toEqual(['old']);
    resumed.handle.fail(new Error('boom'));
    expect(ref.values).toEqual(['old']);
    expect(ref.errors).toHaveLength(1);
  });

  it('settles when every resolver is idle, and collects the values then', async () => {
    const { directives } = setup();
    const slow = puppet<string>('slow', { idleAtStart: false });
    const done = promiseResolver<string>('once', async (handle) => {
      handle.add('from promise');
    });
    directives.handle('test', (d) => (Thing.is(d) ? [slow.resolver, done] : undefined));
    const ref = directives.add(Thing({ id: 'x' }));
    expect(ref.state).toBe('resolving');
    expect(ref.settled).toBe(false);
    const collected = ref.collect();
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(ref.resolvers().map((r) => r.status)).toEqual(['running', 'done']);
    slow.current()!.handle.add('from callback');
    slow.current()!.handle.idle();
    expect(await collected).toEqual({ values: ['from promise', 'from callback'], errors: [] });
    expect(ref.state).toBe('idle');
    slow.current()!.handle.idle(false);
    expect(ref.state).toBe('resolving');
  });

  it('waits for a first value, with a timeout', async () => {
    const { directives, clock } = setup();
    const p = puppet<string>();
    answer(directives, p);
    const ref = directives.add(Thing({ id: 'x' }));
    const late = ref.firstValue({ timeoutMs: 100 });
    clock.increment(100);
    await expect(late).rejects.toMatchObject({ kind: 'Timeout', recoverable: true });
    const next = ref.firstValue({ timeoutMs: 100 });
    p.current()!.handle.add('here');
    expect(await next).toBe('here');
    expect(await ref.firstValue()).toBe('here');
    const other = directives.add(Thing({ id: 'y' }));
    const pending = other.firstValue();
    other.release();
    await expect(pending).rejects.toMatchObject({ kind: 'Released' });
  });

  it('a bus-level handler registered later is asked about live instances; its disposer removes its values', () => {
    const { directives } = setup();
    const ref = directives.add(Thing({ id: 'x' }));
    expect(ref.resolvers()).toEqual([]);
    expect(ref.settled).toBe(true);
    const p = puppet<string>();
    const off = answer(directives, p);
    expect(() => answer(directives, p)).toThrow(/already registered/);
    p.current()!.handle.add('v');
    expect(ref.values).toEqual(['v']);
    off();
    off();
    expect(ref.values).toEqual([]);
    expect(ref.resolvers()).toEqual([]);
  });

  it('survives a throwing handler and a throwing listener', () => {
    const { directives } = setup();
    directives.handle('broken', () => {
      throw new Error('handler bug');
    });
    const p = puppet<string>();
    answer(directives, p);
    const ref = directives.add(Thing({ id: 'x' }));
    const seen: string[] = [];
    ref.subscribe({
      added: () => {
        throw new Error('listener bug');
      },
    });
    ref.subscribe({ added: (e) => seen.push(e.value) });
    p.current()!.handle.add('v');
    expect(seen).toEqual(['v']);
  });
});
