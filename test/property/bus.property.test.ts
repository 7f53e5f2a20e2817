/**
 * Model-based properties of the bus (the bus's central guarantee, docs/bus.md): under any
 * interleaving of start, processors added and removed (one at a time, several at once,
 * or without waiting), requests (fast, slow, throwing, rejecting; sent by `prosa.request`,
 * `Processor.request` or `ctx.request`), crashes (recoverable, fatal), time passing and
 * stop, over two services each with several providers:
 * - no request call throws: each returns a promise that settles exactly once;
 * - the service table lists exactly the serving processors of each service;
 * - no request reaches a processor that is not serving, or that does not offer the service;
 * - a round of requests, one per listed provider, reaches every listed provider once,
 *   whatever left before and wherever the round-robin cursor stood.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProcessorError, ServiceError, type Adaptor, type ProcessorContext, type Prosa, type Tvf } from '../../src/index.js';
import { record, sleep, testBus, valueOf } from '../support/bus.js';

const MODES = ['fast', 'slow', 'throw', 'reject', 'probe'] as const;
type Mode = (typeof MODES)[number];
const SERVICES = ['S', 'T'] as const;
type Service = (typeof SERVICES)[number];
/** What a processor may offer: one service, the other, or both. */
const OFFERS: readonly (readonly Service[])[] = [['S'], ['T'], ['S', 'T'], ['S', 'T']];
const MAX_PROCESSORS = 6;

interface Model {
  started: boolean;
  stopped: boolean;
  /** Processors on the bus and not being removed. */
  names: string[];
  next: number;
}

interface Tracked {
  label: string;
  settledCount: number;
  outcome: string | undefined;
}

interface Real {
  bus: Prosa;
  scheduler: fc.Scheduler;
  contexts: Map<string, ProcessorContext>;
  offers: Map<string, readonly Service[]>;
  requests: Tracked[];
  violations: string[];
  /** Probe requests each processor received. */
  probed: Map<string, number>;
  /** Removals started and not awaited by their command. */
  removals: Promise<unknown>[];
}

function adaptorFor(real: Real, name: string): Adaptor {
  return {
    init: (ctx) => void real.contexts.set(name, ctx),
    processRequest: (service, request) => {
      const state = real.bus.get(name)?.state;
      if (state !== 'serving') real.violations.push(`${name} got a request while ${String(state)}`);
      if (!real.offers.get(name)?.includes(service as Service)) real.violations.push(`${name} got a request for ${service}`);
      const mode = MODES[valueOf(request)]!;
      if (mode === 'probe') {
        real.probed.set(name, (real.probed.get(name) ?? 0) + 1);
        return request;
      }
      if (mode === 'fast') return request;
      if (mode === 'throw') throw new Error('adaptor threw');
      if (mode === 'slow') return real.scheduler.schedule(Promise.resolve(request), `${name} reply`);
      return real.scheduler.schedule(Promise.resolve(), `${name} reject`).then(() => {
        throw new Error('adaptor rejected');
      });
    },
  };
}

/**
 * Sends one request through `call` and tracks how it settles. A call that throws, or
 * returns something other than a promise, is a violation (and counts as settled, so the
 * final check does not report it twice).
 */
function track(real: Real, label: string, call: () => Promise<Tvf>): Tracked {
  const tracked: Tracked = { label, settledCount: 0, outcome: undefined };
  real.requests.push(tracked);
  let promise: Promise<Tvf>;
  try {
    promise = call();
  } catch (error) {
    real.violations.push(`${label} threw synchronously: ${String(error)}`);
    tracked.settledCount++;
    tracked.outcome = 'threw';
    return tracked;
  }
  if (!(promise instanceof Promise)) {
    real.violations.push(`${label} returned ${String(promise)}, not a promise`);
    tracked.settledCount++;
    return tracked;
  }
  promise.then(
    () => {
      tracked.settledCount++;
      tracked.outcome = 'response';
    },
    (error: unknown) => {
      tracked.settledCount++;
      tracked.outcome = error instanceof ServiceError ? error.kind : `not a ServiceError: ${String(error)}`;
    },
  );
  return tracked;
}

function listed(real: Real, service: Service): string[] {
  return [...(real.bus.services()[service] ?? [])].sort();
}

function checkInvariants(real: Real): void {
  expect(real.violations).toEqual([]);
  for (const service of SERVICES) {
    const serving = real.bus
      .processors()
      .filter((p) => p.state === 'serving' && p.services.includes(service))
      .map((p) => p.name)
      .sort();
    expect(listed(real, service), `providers of ${service}`).toEqual(serving);
  }
  const stats = real.bus.stats();
  const errors = Object.values(stats.errors).reduce((a, b) => a + b, 0);
  expect(stats.responses + errors + stats.inFlight).toBe(stats.requests);
  expect(stats.requests).toBe(real.requests.filter((t) => t.outcome !== 'threw').length);
}

type Command = fc.AsyncCommand<Model, Real>;

class AddProcessor implements Command {
  constructor(readonly offer: number) {}
  check = (m: Readonly<Model>) => !m.stopped && m.names.length < MAX_PROCESSORS;
  async run(m: Model, r: Real) {
    const name = `p${m.next++}`;
    const services = OFFERS[this.offer % OFFERS.length]!;
    m.names.push(name);
    r.offers.set(name, services);
    r.bus.processor(name, {
      services,
      restart: { delayMs: 1, maxDelayMs: 4, maxRestarts: 3, windowMs: 1_000 },
      adaptor: adaptorFor(r, name),
    });
    await sleep(0);
    checkInvariants(r);
  }
  toString = () => `add(${OFFERS[this.offer % OFFERS.length]!.join('+')})`;
}

/** Takes the processors at `indices` (modulo what is left, each once) out of the model. */
function takeNames(m: Model, indices: readonly number[]): string[] {
  const taken: string[] = [];
  for (const index of indices) {
    if (m.names.length === 0) break;
    taken.push(m.names.splice(index % m.names.length, 1)[0]!);
  }
  return taken;
}

/** Removes one or more processors at once, sends a request to each service meanwhile, and waits. */
class RemoveProcessors implements Command {
  constructor(readonly indices: readonly number[]) {}
  check = (m: Readonly<Model>) => !m.stopped && m.names.length > 0;
  async run(m: Model, r: Real) {
    const names = takeNames(m, this.indices);
    const removals = names.map((name) => r.bus.remove(name));
    for (const service of SERVICES) track(r, `request(${service}) during remove`, () => r.bus.request(service, record(0)));
    await r.scheduler.waitFor(Promise.all(removals));
    checkInvariants(r);
  }
  toString = () => `remove(${this.indices.join(', ')})`;
}

type Leaving = 'remove' | 'fatal' | 'recoverable';

/**
 * `shift` requests move the round-robin cursor of `service`; then all but `keep` of its
 * listed providers leave at once, in the order `picks` gives, each its own way (removed,
 * fatal crash, recoverable crash); then a request to each service, and the removals are
 * awaited.
 */
class LeaveMany implements Command {
  constructor(
    readonly service: Service,
    readonly shift: number,
    readonly keep: number,
    readonly picks: readonly number[],
    readonly ways: readonly Leaving[],
  ) {}
  check = (m: Readonly<Model>) => m.started && !m.stopped;
  async run(m: Model, r: Real) {
    for (let i = 0; i < this.shift; i++) track(r, `shift(${this.service})`, () => r.bus.request(this.service, record(0)));
    const candidates = listed(r, this.service).filter((name) => m.names.includes(name));
    const removals: Promise<unknown>[] = [];
    for (let i = 0; candidates.length > this.keep; i++) {
      const [name] = candidates.splice(this.picks[i % this.picks.length]! % candidates.length, 1);
      const way = this.ways[i % this.ways.length]!;
      if (way === 'remove') {
        m.names.splice(m.names.indexOf(name!), 1);
        removals.push(r.bus.remove(name!));
      } else {
        r.contexts.get(name!)?.fail(new ProcessorError('crash', { recoverable: way === 'recoverable' }));
      }
    }
    for (const other of SERVICES) track(r, `request(${other}) after many left`, () => r.bus.request(other, record(0)));
    await r.scheduler.waitFor(Promise.all(removals));
    checkInvariants(r);
  }
  toString = () => `leave-many(${this.service}, shift ${this.shift}, keep ${this.keep}, [${this.picks.join(', ')}], [${this.ways.join(', ')}])`;
}

/** Starts removing a processor and goes on without waiting (awaited at the end of the run). */
class RemoveLater implements Command {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => !m.stopped && m.names.length > 0;
  async run(m: Model, r: Real) {
    const [name] = takeNames(m, [this.index]);
    r.removals.push(r.bus.remove(name!));
    checkInvariants(r);
  }
  toString = () => `remove-later(${this.index})`;
}

class Start implements Command {
  check = (m: Readonly<Model>) => !m.started && !m.stopped;
  async run(m: Model, r: Real) {
    m.started = true;
    await r.scheduler.waitFor(r.bus.start());
    checkInvariants(r);
  }
  toString = () => 'start';
}

type Via = 'bus' | 'processor' | 'ctx';

class Request implements Command {
  constructor(
    readonly service: Service,
    readonly mode: Exclude<Mode, 'probe'>,
    readonly timeoutMs: number,
    readonly via: Via,
    readonly from: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const payload = record(MODES.indexOf(this.mode));
    const options = { timeoutMs: this.timeoutMs };
    const from = m.names.length === 0 ? undefined : m.names[this.from % m.names.length]!;
    const ctx = from === undefined ? undefined : r.contexts.get(from);
    const processor = from === undefined ? undefined : r.bus.get(from);
    const label = `request(${this.service}) via ${this.via}`;
    if (this.via === 'ctx' && ctx !== undefined) track(r, label, () => ctx.request(this.service, payload, options));
    else if (this.via === 'processor' && processor !== undefined) track(r, label, () => processor.request(this.service, payload, options));
    else track(r, label, () => r.bus.request(this.service, payload, options));
    checkInvariants(r);
  }
  toString = () => `request(${this.service}, ${this.mode}, ${this.timeoutMs}, ${this.via}:${this.from})`;
}

/**
 * One request per listed provider of `service`, sent back to back: each listed provider
 * gets exactly one, every one is answered. With no provider listed: `unreachable`.
 */
class Probe implements Command {
  constructor(readonly service: Service) {}
  check = (m: Readonly<Model>) => m.started && !m.stopped;
  async run(_m: Model, r: Real) {
    const providers = listed(r, this.service);
    r.probed.clear();
    const rounds: Tracked[] = [];
    for (let i = 0; i < Math.max(1, providers.length); i++) {
      rounds.push(track(r, `probe(${this.service})`, () => r.bus.request(this.service, record(MODES.indexOf('probe')), { timeoutMs: 1_000 })));
    }
    await sleep(0);
    expect(rounds.map((t) => t.outcome)).toEqual(rounds.map(() => (providers.length === 0 ? 'unreachable' : 'response')));
    expect(Object.fromEntries(r.probed)).toEqual(Object.fromEntries(providers.map((name) => [name, 1])));
    checkInvariants(r);
  }
  toString = () => `probe(${this.service})`;
}

/** `count` fast requests to `service` in a row through `prosa.request`: moves the round-robin cursor. */
class Burst implements Command {
  constructor(
    readonly service: Service,
    readonly count: number,
  ) {}
  check = () => true;
  async run(_m: Model, r: Real) {
    for (let i = 0; i < this.count; i++) track(r, `burst(${this.service})`, () => r.bus.request(this.service, record(0)));
    checkInvariants(r);
  }
  toString = () => `burst(${this.service}, ${this.count})`;
}

class Crash implements Command {
  constructor(
    readonly index: number,
    readonly recoverable: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.started && m.names.length > 0;
  async run(m: Model, r: Real) {
    const name = m.names[this.index % m.names.length]!;
    r.contexts.get(name)?.fail(new ProcessorError('crash', { recoverable: this.recoverable }));
    checkInvariants(r);
  }
  toString = () => `crash(${this.index}, ${this.recoverable ? 'recoverable' : 'fatal'})`;
}

class Wait implements Command {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(_m: Model, r: Real) {
    await sleep(this.ms);
    checkInvariants(r);
  }
  toString = () => `wait(${this.ms})`;
}

class ReleaseOne implements Command {
  check = () => true;
  async run(_m: Model, r: Real) {
    if (r.scheduler.count() > 0) await r.scheduler.waitOne();
    checkInvariants(r);
  }
  toString = () => 'release-one';
}

class Stop implements Command {
  check = (m: Readonly<Model>) => !m.stopped;
  async run(m: Model, r: Real) {
    m.stopped = true;
    await r.scheduler.waitFor(r.bus.stop());
    checkInvariants(r);
  }
  toString = () => 'stop';
}

const service = fc.constantFrom<Service>(...SERVICES);
const request = fc
  .record({
    service,
    mode: fc.constantFrom<Exclude<Mode, 'probe'>>('fast', 'slow', 'throw', 'reject'),
    timeoutMs: fc.constantFrom(5, 20, 1_000),
    via: fc.constantFrom<Via>('bus', 'processor', 'ctx'),
    from: fc.nat(MAX_PROCESSORS - 1),
  })
  .map((r) => new Request(r.service, r.mode, r.timeoutMs, r.via, r.from));
/** Processors added (and the bus started) before the commands: several providers per service from the first command on. */
const initial = fc.record({
  offers: fc.array(fc.nat(OFFERS.length - 1), { minLength: 0, maxLength: MAX_PROCESSORS }),
  started: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
});
const commands = [
  fc.oneof(
    // adds and requests weigh more, so the round-robin cursor stands anywhere when providers leave
    { weight: 4, arbitrary: fc.nat(OFFERS.length - 1).map((offer) => new AddProcessor(offer)) },
    {
      weight: 2,
      arbitrary: fc.array(fc.nat(MAX_PROCESSORS - 1), { minLength: 2, maxLength: 4 }).map((indices) => new RemoveProcessors(indices)),
    },
    { weight: 1, arbitrary: fc.nat(MAX_PROCESSORS - 1).map((i) => new RemoveLater(i)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          service,
          fc.nat(MAX_PROCESSORS - 1),
          fc.integer({ min: 0, max: 2 }),
          fc.array(fc.nat(MAX_PROCESSORS - 1), { minLength: 1, maxLength: MAX_PROCESSORS }),
          fc.array(fc.constantFrom<Leaving>('remove', 'fatal', 'recoverable'), { minLength: 1, maxLength: 3 }),
        )
        .map(([s, shift, keep, picks, ways]) => new LeaveMany(s, shift, keep, picks, ways)),
    },
    { weight: 1, arbitrary: fc.constant(new Start()) },
    { weight: 6, arbitrary: request },
    { weight: 2, arbitrary: fc.tuple(service, fc.integer({ min: 1, max: 5 })).map(([s, n]) => new Burst(s, n)) },
    { weight: 2, arbitrary: service.map((s) => new Probe(s)) },
    { weight: 2, arbitrary: fc.tuple(fc.nat(MAX_PROCESSORS - 1), fc.boolean()).map(([i, recoverable]) => new Crash(i, recoverable)) },
    { weight: 1, arbitrary: fc.constantFrom(0, 3, 12).map((ms) => new Wait(ms)) },
    { weight: 2, arbitrary: fc.constant(new ReleaseOne()) },
    { weight: 1, arbitrary: fc.constant(new Stop()) },
  ),
];

describe('bus properties', () => {
  it('no request call throws and each settles exactly once; the table lists exactly the serving processors; every listed provider is reached', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), initial, fc.commands(commands, { maxCommands: 40, size: 'large' }), async (scheduler, first, cmds) => {
        const real: Real = {
          bus: testBus({ shutdown: { graceMs: 15, terminateTimeoutMs: 10 }, deadlineTickMs: 2 }),
          scheduler,
          contexts: new Map(),
          offers: new Map(),
          requests: [],
          violations: [],
          probed: new Map(),
          removals: [],
        };
        const model: Model = { started: false, stopped: false, names: [], next: 0 };
        const setup = first.offers.map((offer) => new AddProcessor(offer) as Command);
        if (first.started) setup.push(new Start());
        await fc.asyncModelRun(() => ({ model, real }), [...setup, ...cmds]);
        // whatever the commands did, stop and let everything settle
        await scheduler.waitFor(Promise.all([real.bus.stop(), ...real.removals]));
        await scheduler.waitAll();
        await sleep(0);
        expect(real.violations).toEqual([]);
        for (const tracked of real.requests) expect(tracked.settledCount, tracked.label).toBe(1);
        expect(real.requests.filter((t) => t.outcome?.startsWith('not a'))).toEqual([]);
        const stats = real.bus.stats();
        const count = (kind: string) => real.requests.filter((t) => t.outcome === kind).length;
        expect(stats.inFlight).toBe(0);
        expect(stats.responses).toBe(count('response'));
        for (const [kind, n] of Object.entries(stats.errors)) expect(n).toBe(count(kind));
      }),
      { numRuns: Number(process.env.PROSA_PROPERTY_RUNS ?? 60) },
    );
  });

  it('round-robin shares stay within one of each other', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 60 }), async (providers, requests) => {
        const bus = testBus();
        const counts = new Array<number>(providers).fill(0);
        for (let i = 0; i < providers; i++) {
          bus.processor(`p${i}`, { services: ['S'], adaptor: { processRequest: (_s, r) => (counts[i]!++, r) } });
        }
        await bus.start();
        for (let i = 0; i < requests; i++) await bus.request('S', record(0));
        await bus.stop();
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(requests);
      }),
      { numRuns: 40 },
    );
  });
});
