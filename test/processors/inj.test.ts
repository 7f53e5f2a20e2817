import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Prosa } from '../../src/actors/prosa.js';
import type { ProcessorContext } from '../../src/actors/adaptor.js';
import { injectorFactory, stubFactory, type InjectorReport } from '../../src/processors/index.js';
import { directivesOf, LookupService } from '../../src/directives/index.js';
import { DeadRemote, EchoRemote, HandTransport, VanishingRemote } from '../support/remote.js';
import { addProcessor } from '../support/processors.js';
import { testBus, sleep } from '../support/bus.js';

let prosa: Prosa | undefined;
afterEach(async () => {
  // Prosa.stop() after the bus has stopped makes XState warn: stop only what still runs.
  if (prosa !== undefined && prosa.state !== 'stopped') await prosa.stop();
  prosa = undefined;
});

function injector(bus: Prosa, settings: Record<string, unknown>, options: { directives?: boolean } = {}) {
  const { product } = addProcessor(bus, injectorFactory, 'inj-1', { service: 'ECHO', ...settings }, options);
  return {
    report: () => product.report!() as InjectorReport,
    quiesce: () => product.quiesce!(),
  };
}

/**
 * Watches for a busy retry: more than `limit` requests settled within one turn of the
 * event loop (no timer or I/O ran between them) is a microtask loop, which would freeze
 * the process; the guard breaks it by quiescing the injector, and records it.
 */
function spinGuard(bus: Prosa, inj: ReturnType<typeof injector>, limit = 500) {
  const guard = { spun: false, mostInOneTurn: 0 };
  let inTurn = 0;
  let armed = false;
  bus.observe({
    requestSettled: () => {
      if (!armed) {
        armed = true;
        setImmediate(() => {
          armed = false;
          inTurn = 0;
        });
      }
      inTurn++;
      guard.mostInOneTurn = Math.max(guard.mostInOneTurn, inTurn);
      if (inTurn > limit && !guard.spun) {
        guard.spun = true;
        void inj.quiesce();
      }
    },
  });
  return guard;
}

/** A started bus whose injector's only providers are remote ones the test adds by hand. */
async function remoteInjector(settings: Record<string, unknown>) {
  const bus = testBus();
  prosa = bus;
  const transport = new HandTransport();
  bus.attachTransport(transport);
  const inj = injector(bus, settings);
  const guard = spinGuard(bus, inj);
  await bus.start();
  return { bus, transport, inj, guard };
}

/** A provider comes (back): the injector resumes and is served. Quiesces it. */
async function expectServedAgain(transport: HandTransport, inj: ReturnType<typeof injector>): Promise<void> {
  const back = new EchoRemote('nats');
  transport.host!.addRemote('ECHO', back);
  await sleep(100);
  await inj.quiesce();
  expect(back.delivered).toBeGreaterThan(20);
}

/** Runs for `ms`, then quiesces the injector; returns its report. */
async function runFor(bus: Prosa, inj: ReturnType<typeof injector>, ms: number): Promise<InjectorReport> {
  await bus.start();
  await sleep(ms);
  await inj.quiesce();
  return inj.report();
}

describe('injector', () => {
  // Behaviour, not a benchmark: rates this machine carries easily, generous bounds.
  it.each([200, 2000])('keeps the achieved rate within 10 percent of maxSpeed %d/s over 2.5 s', async (maxSpeed) => {
    prosa = testBus();
    addProcessor(prosa, stubFactory, 'stub-1', { services: ['ECHO'] });
    const inj = injector(prosa, { maxSpeed, maxConcurrent: 16 });
    const report = await runFor(prosa, inj, 2500);
    expect(report.sendRate).toBeGreaterThan(maxSpeed * 0.9);
    expect(report.sendRate).toBeLessThan(maxSpeed * 1.1);
    expect(report.tps).toBeGreaterThan(maxSpeed * 0.9);
    expect(report.activeMs).toBeGreaterThan(2000);
    expect(report.responses).toBe(report.sent);
    expect(Object.values(report.errors).every((n) => n === 0)).toBe(true);
    expect(report.latencyMs.count).toBe(report.responses);
    expect(report.latencyMs.p50).toBeLessThanOrEqual(report.latencyMs.p90);
    expect(report.latencyMs.p90).toBeLessThanOrEqual(report.latencyMs.p99);
    expect(report.latencyMs.p99).toBeLessThanOrEqual(report.latencyMs.max);
  });

  it('waits out a rate too low for one timer without a busy timer or a warning', async () => {
    // At 1e-9 requests/s the next send is ~32 years away, past the longest timer Node
    // takes (2^31-1 ms): a longer delay is cut to 1 ms, with a TimeoutOverflowWarning.
    const warnings: string[] = [];
    const onWarning = (warning: Error) => void warnings.push(warning.name);
    process.on('warning', onWarning);
    const timers = vi.spyOn(globalThis, 'setTimeout');
    try {
      prosa = testBus();
      addProcessor(prosa, stubFactory, 'stub-1', { services: ['ECHO'] });
      const inj = injector(prosa, { maxSpeed: 1e-9 });
      const report = await runFor(prosa, inj, 100);
      await new Promise((resolve) => setImmediate(resolve));
      expect(report.sent).toBeLessThanOrEqual(1);
      expect(timers.mock.calls.filter(([, ms]) => typeof ms === 'number' && ms > 2 ** 31 - 1)).toEqual([]);
      expect(timers.mock.calls.filter(([fn]) => fn.name === 'tick').length).toBeLessThan(5);
      expect(warnings).toEqual([]);
    } finally {
      timers.mockRestore();
      process.off('warning', onWarning);
    }
  });

  it('keeps going through errors and counts them by kind', async () => {
    prosa = testBus();
    addProcessor(prosa, stubFactory, 'stub-1', { services: ['ECHO'], errorRate: 0.5, seed: 1 });
    const inj = injector(prosa, { maxSpeed: 500 });
    const report = await runFor(prosa, inj, 1500);
    expect(report.sendRate).toBeGreaterThan(450);
    expect(report.errors.protocol / report.sent).toBeGreaterThan(0.4);
    expect(report.errors.protocol / report.sent).toBeLessThan(0.6);
    expect(report.responses + report.errors.protocol).toBe(report.sent);
  });

  it('backs off when the service times out, and keeps sending', async () => {
    prosa = testBus();
    addProcessor(prosa, stubFactory, 'stub-1', { services: ['ECHO'], latencyMs: 150 });
    const inj = injector(prosa, { maxSpeed: 400, maxConcurrent: 64, timeoutMs: 50 });
    await prosa.start();
    await sleep(600);
    const early = inj.report();
    await sleep(600);
    await inj.quiesce();
    const report = inj.report();
    // Every request times out (but for a rare reply winning the race on a stalled
    // machine); at full speed it would have sent ~480.
    expect(report.errors.timeout + report.responses).toBe(report.sent);
    expect(report.errors.timeout).toBeGreaterThanOrEqual(report.sent * 0.9);
    expect(report.sent).toBeLessThan(480 / 2);
    expect(report.currentSpeed).toBeLessThan(400);
    expect(report.sent - early.sent).toBeGreaterThan(2);
  });

  it('waits for its service to appear before sending: no start-up failures', async () => {
    prosa = testBus();
    const inj = injector(prosa, { maxSpeed: 1000 });
    await prosa.start();
    await sleep(200);
    expect(inj.report()).toMatchObject({ sent: 0, activeMs: 0 });
    addProcessor(prosa, stubFactory, 'stub-1', { services: ['ECHO'] });
    await sleep(300);
    await inj.quiesce();
    const report = inj.report();
    expect(report.responses).toBeGreaterThan(100);
    expect(report.errors.unreachable + report.startupMisses).toBe(0);
    expect(prosa.stats().errors.unreachable).toBe(0);
  });

  it('waits for a remote provider as for a local one: served once a transport adds it', async () => {
    prosa = testBus();
    const transport = new HandTransport();
    prosa.attachTransport(transport);
    const inj = injector(prosa, { maxSpeed: 1000 });
    await prosa.start();
    await sleep(150);
    expect(inj.report()).toMatchObject({ sent: 0, activeMs: 0 });
    const remote = new EchoRemote('nats');
    transport.host!.addRemote('ECHO', remote);
    await sleep(250);
    await inj.quiesce();
    const report = inj.report();
    expect(report.responses).toBeGreaterThan(100);
    expect(remote.delivered).toBe(report.sent);
    expect(report.errors.unreachable + report.startupMisses).toBe(0);
    // quiesced: its LookupService reference is released, so the instance is gone
    expect(directivesOf(prosa).info(LookupService({ service: 'ECHO' }))).toBeUndefined();
  });

  it('without a directive registry, counts start-up misses apart and retries after retryDelayMs', async () => {
    prosa = testBus();
    const inj = injector(prosa, { maxSpeed: 1000, retryDelayMs: 50 }, { directives: false });
    await prosa.start();
    await sleep(175);
    const waiting = inj.report();
    expect(waiting.startupMisses).toBeGreaterThanOrEqual(2);
    expect(waiting.startupMisses).toBeLessThanOrEqual(5);
    addProcessor(prosa, stubFactory, 'stub-1', { services: ['ECHO'] });
    await sleep(300);
    await inj.quiesce();
    const report = inj.report();
    expect(report.responses).toBeGreaterThan(100);
    expect(report.errors.unreachable).toBe(0);
    expect(report.sent).toBe(report.responses + report.startupMisses);
  });

  it('counts a lost provider as unreachable errors, waits for it, and resumes when it is back', async () => {
    prosa = testBus();
    const stub = addProcessor(prosa, stubFactory, 'stub-1', { services: ['ECHO'], latencyMs: 5 });
    let ctx: ProcessorContext | undefined;
    stub.product.adaptor.init = (c) => void (ctx = c); // to crash it as its own background work would
    const inj = injector(prosa, { maxSpeed: 500, maxConcurrent: 4 });
    await prosa.start();
    await sleep(200);
    ctx!.fail(new Error('boom'));
    await sleep(600); // restart delay is 100 ms
    await inj.quiesce();
    const report = inj.report();
    expect(report.errors.unreachable).toBeGreaterThan(0);
    expect(report.errors.unreachable).toBeLessThanOrEqual(4);
    expect(report.responses).toBeGreaterThan(150);
  });

  it('pauses without an error when its only remote provider leaves with nothing in flight, and resumes when one is back', async () => {
    const { bus, transport, inj, guard } = await remoteInjector({ maxSpeed: 500, maxConcurrent: 4 });
    const remote = new EchoRemote('nats');
    transport.host!.addRemote('ECHO', remote);
    await sleep(100);
    // EchoRemote answers on a microtask: nothing is in flight at a timer's turn.
    transport.host!.removeRemote('ECHO', remote); // a graceful stop (bye) of its instance
    const left = inj.report();
    await sleep(150);
    const paused = inj.report();
    expect(guard.spun).toBe(false);
    expect(paused.errors.unreachable).toBe(0);
    expect(paused.sent).toBe(left.sent); // it waits for the lookup, sending nothing
    expect(bus.stats().errors.unreachable).toBe(0);
    await expectServedAgain(transport, inj);
    expect(inj.report().responses).toBe(inj.report().sent);
  });

  it('counts one unreachable per request a vanished provider held, then waits: no busy retry', async () => {
    const { bus, transport, inj, guard } = await remoteInjector({ maxSpeed: 500, maxConcurrent: 4 });
    const remote = new VanishingRemote('nats');
    transport.host!.addRemote('ECHO', remote);
    await sleep(50);
    expect(inj.report().inFlight).toBe(4);
    // its instance is lost (or says gone): out of the table, what it held ends in unreachable
    expect(remote.vanish(transport.host!, 'ECHO')).toBe(4);
    await sleep(150);
    const paused = inj.report();
    expect(guard.spun).toBe(false);
    expect(paused.errors.unreachable).toBe(4);
    expect(paused.sent).toBe(4);
    expect(bus.stats().requests).toBe(4);
    await expectServedAgain(transport, inj);
    expect(guard.spun).toBe(false);
  });

  it('retries a listed provider that fails every request in unreachable only after retryDelayMs each time', async () => {
    const { transport, inj, guard } = await remoteInjector({ maxSpeed: 1000, maxConcurrent: 16, retryDelayMs: 50 });
    const dead = new DeadRemote('nats'); // an instance killed, not yet found lost
    transport.host!.addRemote('ECHO', dead);
    // Ticks keep coming: the event loop is free.
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    await sleep(500);
    clearInterval(ticker);
    await inj.quiesce();
    const report = inj.report();
    expect(guard.spun).toBe(false);
    expect(ticks).toBeGreaterThan(10);
    // about one try per retryDelayMs (500 / 50 = 10), not a stream at full speed (500)
    expect(report.sent).toBeGreaterThanOrEqual(3);
    expect(report.sent).toBeLessThanOrEqual(25);
    expect(report.errors.unreachable).toBe(report.sent);
  });

  it('pauses on a shutdown error from a provider whose instance stops, and resumes with the next provider', async () => {
    const { transport, inj, guard } = await remoteInjector({ maxSpeed: 500, maxConcurrent: 4, retryDelayMs: 20 });
    const stopping = new DeadRemote('nats', 'shutdown'); // an instance that began to stop
    transport.host!.addRemote('ECHO', stopping);
    await sleep(60);
    expect(inj.report().errors.shutdown).toBeGreaterThan(0);
    transport.host!.removeRemote('ECHO', stopping); // then it said bye
    // its own bus did not stop: a far shutdown does not end its sending
    await expectServedAgain(transport, inj);
    expect(guard.spun).toBe(false);
  });

  it('quiesce stops sending and waits for the replies in flight; a stop after it ends nothing in shutdown', async () => {
    prosa = testBus();
    addProcessor(prosa, stubFactory, 'stub-1', { services: ['ECHO'], latencyMs: 30 });
    const inj = injector(prosa, { maxSpeed: 2000, maxConcurrent: 32 });
    await prosa.start();
    await sleep(300);
    expect(inj.report().inFlight).toBeGreaterThan(0);
    await inj.quiesce();
    const quiet = inj.report();
    expect(quiet.inFlight).toBe(0);
    await sleep(50);
    expect(inj.report().sent).toBe(quiet.sent);
    await prosa.stop();
    expect(prosa.stats().errors.shutdown).toBe(0);
    expect(prosa.stats().responses).toBe(quiet.sent);
  });

  it('stops sending when the bus stops under it; every request settles', async () => {
    prosa = testBus();
    addProcessor(prosa, stubFactory, 'stub-1', { services: ['ECHO'], latencyMs: 5 });
    const inj = injector(prosa, { maxSpeed: 1000 });
    await prosa.start();
    await sleep(200);
    await prosa.stop();
    const report = inj.report();
    expect(report.inFlight).toBe(0);
    expect(report.sent).toBe(report.responses + Object.values(report.errors).reduce((a, b) => a + b, 0));
    const sent = report.sent;
    await sleep(50);
    expect(inj.report().sent).toBe(sent);
  });

  it('draws no XState warning from start to stop (its LookupService actor is made outside any action)', async () => {
    const warn = vi.spyOn(console, 'warn');
    try {
      prosa = testBus();
      addProcessor(prosa, stubFactory, 'stub-1', { services: ['ECHO'] });
      const inj = injector(prosa, { maxSpeed: 500 });
      await runFor(prosa, inj, 100);
      await prosa.stop();
      expect(inj.report().responses).toBeGreaterThan(0);
      expect(warn.mock.calls.map((args) => String(args[0]))).toEqual([]);
    } finally {
      warn.mockRestore();
    }
  });
});
