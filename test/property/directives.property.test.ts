/**
 * Model-based properties of directives: under any sequence of directives added
 * (equivalent or not) and released, resolvers adding, removing and expiring values,
 * resolvers failing (at once or later), processors (as handlers) starting and stopping,
 * and time passing, after every step:
 * - one instance per equivalence class while referenced, with every reference count;
 * - an unreferenced instance is disposed once its grace period passed, never before and
 *   never while referenced;
 * - a bounded directive never holds more than maxValues values;
 * - resolvers run exactly when their instance is live and below its limit (and none
 *   stays in backoff past the longest backoff);
 * - every subscriber saw exactly the adds and removes, in order, that the model predicts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDirectives, defineDirective, type Directive, type DirectiveReference, type Directives, type Prosa } from '../../src/index.js';
import { silentLogger, testBus } from '../support/bus.js';
import { ManualClock } from '../support/clock.js';
import { puppet, type PuppetRun } from '../support/directives.js';

const Thing = defineDirective<{ id: string; max: number; grace: number }, string>({
  kind: 'Thing',
  key: (p) => p.id,
  maxValues: (p) => p.max,
  disposeAfterMs: (p) => p.grace,
});
const Other = defineDirective<{ id: string }, string>({ kind: 'Other', key: (p) => p.id });

/** The equivalence classes: Other:a shares its key with Thing:a but not its kind. */
const CLASSES = [
  { make: () => Thing({ id: 'a', max: 1, grace: 0 }), max: 1, grace: 0 },
  { make: () => Thing({ id: 'b', max: 2, grace: 20 }), max: 2, grace: 20 },
  { make: () => Other({ id: 'a' }), max: Infinity, grace: 0 },
  { make: () => Thing({ id: 'c', max: 3, grace: 50 }), max: 3, grace: 50 },
];
const PROCESSORS = ['p0', 'p1', 'p2'];
const MAX_BACKOFF_MS = 40;

type Puppet = ReturnType<typeof puppet<string>>;

interface ModelValue {
  value: string;
  source: string;
  /** The resolver run that added it: its failure removes it. */
  run: PuppetRun<string>;
  expiresAt: number | undefined;
}

interface ModelSubscriber {
  cls: number;
  expected: string[];
  held: boolean;
}

interface Model {
  now: number;
  values: ModelValue[][];
  refs: number[];
  unrefAt: (number | undefined)[];
  subscribers: ModelSubscriber[];
  serving: string[];
  next: number;
}

interface Held {
  cls: number;
  ref: DirectiveReference<string>;
  log: string[];
  model: ModelSubscriber;
}

interface Real {
  bus: Prosa;
  clock: ManualClock;
  directives: Directives;
  puppets: Map<string, Puppet>;
  held: Held[];
}

const classOf = (directive: Directive<unknown>) =>
  CLASSES.findIndex((c) => {
    const made = c.make();
    return made.kind === directive.kind && made.key === directive.key;
  });

// model ------------------------------------------------------------------------

function emit(m: Model, cls: number, event: string): void {
  for (const s of m.subscribers) if (s.held && s.cls === cls) s.expected.push(event);
}

function removeValue(m: Model, cls: number, value: ModelValue): void {
  const list = m.values[cls]!;
  list.splice(list.indexOf(value), 1);
  emit(m, cls, `-${value.value}`);
}

/** Model of time passing: expiries and disposals in due order (ties: expiries first by add order). */
function advanceModel(m: Model, ms: number): void {
  const target = m.now + ms;
  for (;;) {
    let best: { at: number; run: () => void } | undefined;
    CLASSES.forEach((c, cls) => {
      const unrefAt = m.unrefAt[cls];
      if (m.refs[cls] === 0 && unrefAt !== undefined && c.grace > 0 && unrefAt + c.grace <= target) {
        const at = unrefAt + c.grace;
        if (best === undefined || at < best.at) best = { at, run: () => dispose(m, cls) };
      }
      for (const v of m.values[cls]!) {
        if (v.expiresAt !== undefined && v.expiresAt <= target && (best === undefined || v.expiresAt < best.at)) {
          best = { at: v.expiresAt, run: () => removeValue(m, cls, v) };
        }
      }
    });
    if (best === undefined) break;
    m.now = best.at;
    best.run();
  }
  m.now = target;
}

function dispose(m: Model, cls: number): void {
  m.values[cls] = [];
  m.unrefAt[cls] = undefined;
}

function live(m: Model, cls: number): boolean {
  return m.refs[cls]! > 0 || m.unrefAt[cls] !== undefined;
}

/** The `pick`-th live class (modulo), or undefined when none is live. */
function liveClass(m: Model, pick: number): number | undefined {
  const classes = CLASSES.map((_c, cls) => cls).filter((cls) => live(m, cls));
  return classes.length === 0 ? undefined : classes[pick % classes.length];
}

// invariants -------------------------------------------------------------------

function check(m: Model, r: Real): void {
  const instances = r.directives.instances();
  CLASSES.forEach((c, cls) => {
    const made = c.make();
    const name = `${made.kind}:${made.key}`;
    const found = instances.filter((i) => i.name === name);
    const active = [...r.puppets.values()].flatMap((p) =>
      p.runs.filter((run) => run.active && classOf(run.handle.directive) === cls),
    );
    if (!live(m, cls)) {
      expect(found, `${name} disposed`).toEqual([]);
      expect(active, `no resolver of disposed ${name} runs`).toEqual([]);
      return;
    }
    expect(found, `one instance of ${name}`).toHaveLength(1);
    const instance = found[0]!;
    expect(instance.references).toBe(m.refs[cls]);
    expect(instance.state).toBe(m.refs[cls] === 0 ? 'disposing' : instance.values.length >= c.max ? 'full' : 'idle');
    expect(instance.values.length).toBeLessThanOrEqual(c.max);
    expect(instance.values.map((v) => v.value)).toEqual(m.values[cls]!.map((v) => v.value));
    const resolvers = instance.resolvers;
    expect(resolvers.map((x) => x.source).sort()).toEqual(['bus:h', ...m.serving].sort());
    const below = m.values[cls]!.length < c.max;
    for (const info of resolvers) {
      const allowed = below ? ['running', 'idle', 'done', 'backoff'] : ['held', 'done'];
      expect(allowed, `${name} ${info.source} ${below ? 'below' : 'at'} limit`).toContain(info.status);
      const sourcePuppet = r.puppets.get(info.source)!;
      const running = sourcePuppet.runs.filter((run) => run.active && classOf(run.handle.directive) === cls);
      expect(running.length, `${name} ${info.source} actor runs`).toBe(info.status === 'running' || info.status === 'idle' ? 1 : 0);
    }
    for (const h of r.held) if (h.cls === cls && !h.ref.released) expect(h.ref.values).toEqual(m.values[cls]!.map((v) => v.value));
  });
  for (const h of r.held) expect(h.log, `subscriber of class ${h.cls}`).toEqual(h.model.expected);
}

function checkNoBackoff(m: Model, r: Real): void {
  CLASSES.forEach((c, cls) => {
    if (!live(m, cls) || m.values[cls]!.length >= c.max) return;
    const made = CLASSES[cls]!.make();
    const instance = r.directives.instances().find((i) => i.directive.kind === made.kind && i.directive.key === made.key)!;
    for (const info of instance.resolvers) {
      const pending = r.puppets.get(info.source)!.control.throwOnStart > 0;
      if (!pending) expect(info.status, `${info.source} restarted after backoff`).not.toBe('backoff');
    }
  });
}

// commands -----------------------------------------------------------------------

type Cmd = fc.AsyncCommand<Model, Real>;

class AddDirective implements Cmd {
  constructor(readonly cls: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const ref = r.directives.add(CLASSES[this.cls]!.make() as Directive<string>);
    if (m.refs[this.cls] === 0 && m.unrefAt[this.cls] !== undefined) m.unrefAt[this.cls] = undefined;
    m.refs[this.cls]!++;
    const model: ModelSubscriber = { cls: this.cls, expected: m.values[this.cls]!.map((v) => `+${v.value}`), held: true };
    m.subscribers.push(model);
    const log: string[] = [];
    ref.subscribe({ added: (e) => log.push(`+${e.value}`), removed: (e) => log.push(`-${e.value}`) });
    r.held.push({ cls: this.cls, ref, log, model });
    check(m, r);
  }
  toString = () => `add(${this.cls})`;
}

class Release implements Cmd {
  constructor(readonly index: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const held = r.held.filter((h) => !h.ref.released);
    if (held.length === 0) return;
    const h = held[this.index % held.length]!;
    h.ref.release();
    h.model.held = false;
    const cls = h.cls;
    m.refs[cls]!--;
    if (m.refs[cls] === 0) {
      if (CLASSES[cls]!.grace === 0) dispose(m, cls);
      else m.unrefAt[cls] = m.now;
    }
    check(m, r);
  }
  toString = () => `release(${this.index})`;
}

/** The active run of a source on a class, if any. */
function activeRun(r: Real, source: string, cls: number) {
  return r.puppets.get(source)!.runs.find((run) => run.active && classOf(run.handle.directive) === cls);
}

class ResolverAdd implements Cmd {
  constructor(
    readonly cls: number,
    readonly source: number,
    readonly ttlMs: number | undefined,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const cls = liveClass(m, this.cls);
    if (cls === undefined) return;
    const sources = ['bus:h', ...m.serving];
    const source = sources[this.source % sources.length]!;
    const run = activeRun(r, source, cls);
    if (run === undefined) return;
    const value = `v${m.next++}`;
    const id = run.handle.add(value, this.ttlMs === undefined ? undefined : { ttlMs: this.ttlMs });
    const accepted = m.values[cls]!.length < CLASSES[cls]!.max;
    expect(id !== undefined, 'add accepted exactly below the limit').toBe(accepted);
    if (accepted) {
      m.values[cls]!.push({ value, source, run, expiresAt: this.ttlMs === undefined ? undefined : m.now + this.ttlMs });
      emit(m, cls, `+${value}`);
    }
    check(m, r);
  }
  toString = () => `resolverAdd(live ${this.cls}, ${this.source}, ttl ${this.ttlMs})`;
}

class ResolverRemove implements Cmd {
  constructor(
    readonly cls: number,
    readonly index: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const cls = liveClass(m, this.cls);
    if (cls === undefined) return;
    const values = m.values[cls]!;
    if (values.length === 0) return;
    const run = ['bus:h', ...m.serving].map((s) => activeRun(r, s, cls)).find((x) => x !== undefined);
    if (run === undefined) return;
    const target = values[this.index % values.length]!;
    const made = CLASSES[cls]!.make();
    const instance = r.directives.instances().find((i) => i.directive.kind === made.kind && i.directive.key === made.key);
    const id = instance?.values.find((e) => e.value === target.value)?.id;
    expect(id).toBeDefined();
    expect(run.handle.remove(id!)).toBe(true);
    removeValue(m, cls, target);
    check(m, r);
  }
  toString = () => `resolverRemove(live ${this.cls}, ${this.index})`;
}

class ResolverFail implements Cmd {
  constructor(
    readonly cls: number,
    readonly source: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const cls = liveClass(m, this.cls);
    if (cls === undefined) return;
    const sources = ['bus:h', ...m.serving];
    const source = sources[this.source % sources.length]!;
    const run = activeRun(r, source, cls);
    if (run === undefined) return;
    run.handle.fail(new Error('resolver failed'));
    for (const v of m.values[cls]!.filter((x) => x.run === run)) removeValue(m, cls, v);
    check(m, r);
  }
  toString = () => `resolverFail(live ${this.cls}, ${this.source})`;
}

class ThrowOnNextStart implements Cmd {
  constructor(readonly source: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const sources = ['bus:h', ...m.serving];
    r.puppets.get(sources[this.source % sources.length]!)!.control.throwOnStart = 1;
    check(m, r);
  }
  toString = () => `throwOnNextStart(${this.source})`;
}

class StartProcessor implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => !m.serving.includes(PROCESSORS[this.index]!);
  async run(m: Model, r: Real) {
    const name = PROCESSORS[this.index]!;
    const p = r.puppets.get(name)!;
    r.bus.processor(name, {
      adaptor: { processRequest: (_s, request) => request },
      directives: (d) => (classOf(d as Directive<unknown>) >= 0 ? [p.resolver] : undefined),
    });
    await r.bus.get(name)!.when('serving');
    m.serving.push(name);
    check(m, r);
  }
  toString = () => `startProcessor(${PROCESSORS[this.index]})`;
}

class StopProcessor implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.serving.length > 0;
  async run(m: Model, r: Real) {
    const name = m.serving[this.index % m.serving.length]!;
    await r.bus.remove(name);
    m.serving.splice(m.serving.indexOf(name), 1);
    CLASSES.forEach((_c, cls) => {
      for (const v of m.values[cls]!.filter((x) => x.source === name)) removeValue(m, cls, v);
    });
    check(m, r);
  }
  toString = () => `stopProcessor(${this.index})`;
}

class AdvanceTime implements Cmd {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    r.clock.advance(this.ms);
    advanceModel(m, this.ms);
    check(m, r);
    if (this.ms >= 2 * MAX_BACKOFF_MS + 10) checkNoBackoff(m, r);
  }
  toString = () => `advance(${this.ms})`;
}

const cls = fc.nat(CLASSES.length - 1);
const add = cls.map((c) => new AddDirective(c));
const resolverAdd = fc
  .tuple(fc.nat(7), fc.nat(3), fc.option(fc.constantFrom(5, 15, 30), { nil: undefined }))
  .map(([c, s, ttl]) => new ResolverAdd(c, s, ttl));
const commands = [
  add,
  add,
  fc.nat(7).map((i) => new Release(i)),
  resolverAdd,
  resolverAdd,
  resolverAdd,
  fc.tuple(fc.nat(7), fc.nat(3)).map(([c, i]) => new ResolverRemove(c, i)),
  fc.tuple(fc.nat(7), fc.nat(3)).map(([c, s]) => new ResolverFail(c, s)),
  fc.nat(3).map((s) => new ThrowOnNextStart(s)),
  fc.nat(PROCESSORS.length - 1).map((i) => new StartProcessor(i)),
  fc.nat(3).map((i) => new StopProcessor(i)),
  fc.constantFrom(1, 5, 10, 20, 2 * MAX_BACKOFF_MS + 10).map((ms) => new AdvanceTime(ms)),
];

describe('directive properties', () => {
  it('instances, references, limits, resolvers and subscribers agree with the model after every step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 40, size: '+1' }), async (cmds) => {
        const bus = testBus({ shutdown: { graceMs: 20, terminateTimeoutMs: 20 } });
        const clock = new ManualClock();
        const directives = createDirectives(bus, {
          clock,
          resolverRestart: { delayMs: 5, maxDelayMs: MAX_BACKOFF_MS },
          logger: silentLogger(),
        });
        const puppets = new Map<string, Puppet>([['bus:h', puppet<string>('h')]]);
        for (const name of PROCESSORS) puppets.set(name, puppet<string>(name));
        directives.handle('h', (d) => (classOf(d as Directive<unknown>) >= 0 ? [puppets.get('bus:h')!.resolver] : undefined));
        await bus.start();
        const real: Real = { bus, clock, directives, puppets, held: [] };
        const model: Model = {
          now: 0,
          values: CLASSES.map(() => []),
          refs: CLASSES.map(() => 0),
          unrefAt: CLASSES.map(() => undefined),
          subscribers: [],
          serving: [],
          next: 0,
        };
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds);
        } finally {
          await bus.stop();
        }
        for (const p of puppets.values()) expect(p.runs.filter((run) => run.active)).toEqual([]);
      }),
      { numRuns: Number(process.env.PROSA_PROPERTY_RUNS ?? 100) },
    );
  });
});
