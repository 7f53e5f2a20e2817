/**
 * Model-based properties of the bus (DESIGN.md's central guarantee): under any
 * interleaving of start, processors added and removed, requests (fast, slow, throwing),
 * crashes (recoverable, fatal), time passing and stop, every request settles exactly
 * once, the service table lists exactly the serving processors, and no request reaches
 * a processor that is not serving.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ProcessorError,
  ServiceError,
  type Adaptor,
  type ProcessorContext,
  type Prosa,
} from '../../src/index.js';
import { record, sleep, testBus, valueOf } from '../support/bus.js';

type Mode = 'fast' | 'slow' | 'throw' | 'reject';

interface Model {
  started: boolean;
  stopped: boolean;
  names: string[];
  next: number;
}

interface Tracked {
  settledCount: number;
  outcome: string | undefined;
}

interface Real {
  bus: Prosa;
  scheduler: fc.Scheduler;
  contexts: Map<string, ProcessorContext>;
  requests: Tracked[];
  violations: string[];
}

function adaptorFor(real: Real, name: string): Adaptor {
  return {
    init: (ctx) => void real.contexts.set(name, ctx),
    processRequest: (_service, request) => {
      const state = real.bus.get(name)?.state;
      if (state !== 'serving') real.violations.push(`${name} got a request while ${String(state)}`);
      const mode = (['fast', 'slow', 'throw', 'reject'] as const)[valueOf(request)]!;
      if (mode === 'fast') return request;
      if (mode === 'throw') throw new Error('adaptor threw');
      if (mode === 'slow') return real.scheduler.schedule(Promise.resolve(request), `${name} reply`);
      return real.scheduler.schedule(Promise.resolve(), `${name} reject`).then(() => {
        throw new Error('adaptor rejected');
      });
    },
  };
}

function checkInvariants(real: Real): void {
  expect(real.violations).toEqual([]);
  const serving = real.bus
    .processors()
    .filter((p) => p.state === 'serving')
    .map((p) => p.name)
    .sort();
  const listed = [...(real.bus.services()['S'] ?? [])].sort();
  expect(listed).toEqual(serving);
  const stats = real.bus.stats();
  const errors = Object.values(stats.errors).reduce((a, b) => a + b, 0);
  expect(stats.responses + errors + stats.inFlight).toBe(stats.requests);
  expect(stats.requests).toBe(real.requests.length);
}

class AddProcessor implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => !m.stopped && m.names.length < 4;
  async run(m: Model, r: Real) {
    const name = `p${m.next++}`;
    m.names.push(name);
    r.bus.processor(name, {
      services: ['S'],
      restart: { delayMs: 1, maxDelayMs: 4, maxRestarts: 3, windowMs: 1_000 },
      adaptor: adaptorFor(r, name),
    });
    await sleep(0);
    checkInvariants(r);
  }
  toString = () => 'add';
}

class RemoveProcessor implements fc.AsyncCommand<Model, Real> {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => !m.stopped && m.names.length > 0;
  async run(m: Model, r: Real) {
    const [name] = m.names.splice(this.index % m.names.length, 1);
    await r.scheduler.waitFor(r.bus.remove(name!));
    checkInvariants(r);
  }
  toString = () => `remove(${this.index})`;
}

class Start implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => !m.started && !m.stopped;
  async run(m: Model, r: Real) {
    m.started = true;
    await r.scheduler.waitFor(r.bus.start());
    checkInvariants(r);
  }
  toString = () => 'start';
}

class Request implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly mode: Mode,
    readonly timeoutMs: number,
  ) {}
  check = () => true;
  async run(_m: Model, r: Real) {
    const tracked: Tracked = { settledCount: 0, outcome: undefined };
    r.requests.push(tracked);
    const modeIndex = ['fast', 'slow', 'throw', 'reject'].indexOf(this.mode);
    r.bus.request('S', record(modeIndex), { timeoutMs: this.timeoutMs }).then(
      () => {
        tracked.settledCount++;
        tracked.outcome = 'response';
      },
      (error: unknown) => {
        tracked.settledCount++;
        tracked.outcome = error instanceof ServiceError ? error.kind : `not a ServiceError: ${String(error)}`;
      },
    );
    checkInvariants(r);
  }
  toString = () => `request(${this.mode}, ${this.timeoutMs})`;
}

class Crash implements fc.AsyncCommand<Model, Real> {
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

class Wait implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(_m: Model, r: Real) {
    await sleep(this.ms);
    checkInvariants(r);
  }
  toString = () => `wait(${this.ms})`;
}

class ReleaseOne implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(_m: Model, r: Real) {
    if (r.scheduler.count() > 0) await r.scheduler.waitOne();
    checkInvariants(r);
  }
  toString = () => 'release-one';
}

class Stop implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => !m.stopped;
  async run(m: Model, r: Real) {
    m.stopped = true;
    await r.scheduler.waitFor(r.bus.stop());
    checkInvariants(r);
  }
  toString = () => 'stop';
}

const commands = [
  fc.constant(new AddProcessor()),
  fc.nat(3).map((i) => new RemoveProcessor(i)),
  fc.constant(new Start()),
  fc
    .tuple(fc.constantFrom<Mode>('fast', 'slow', 'throw', 'reject'), fc.constantFrom(5, 20, 1_000))
    .map(([mode, timeoutMs]) => new Request(mode, timeoutMs)),
  fc.tuple(fc.nat(3), fc.boolean()).map(([i, recoverable]) => new Crash(i, recoverable)),
  fc.constantFrom(0, 3, 12).map((ms) => new Wait(ms)),
  fc.constant(new ReleaseOne()),
  fc.constant(new Stop()),
];

describe('bus properties', () => {
  it('every request settles exactly once; the table lists exactly the serving processors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.commands(commands, { maxCommands: 25 }), async (scheduler, cmds) => {
        const real: Real = {
          bus: testBus({ shutdown: { graceMs: 15, terminateTimeoutMs: 10 }, deadlineTickMs: 2 }),
          scheduler,
          contexts: new Map(),
          requests: [],
          violations: [],
        };
        const model: Model = { started: false, stopped: false, names: [], next: 0 };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        // whatever the commands did, stop and let everything settle
        await scheduler.waitFor(real.bus.stop());
        await scheduler.waitAll();
        await sleep(0);
        expect(real.violations).toEqual([]);
        for (const tracked of real.requests) expect(tracked.settledCount).toBe(1);
        expect(real.requests.every((t) => !t.outcome?.startsWith('not a'))).toBe(true);
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
