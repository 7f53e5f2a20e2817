import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, getNextSnapshot } from 'xstate';
import {
  processorMachine,
  type Crash,
  type Mailbox,
  type ProcessorEvent,
  type ProcessorPorts,
} from '../../src/machines/processor.machine.js';
import { restartPolicy, type RestartPolicy } from '../../src/machines/restart-policy.js';

/** Ports that record every call; init/terminate resolve unless told otherwise. */
function fakePorts(overrides: Partial<ProcessorPorts> = {}) {
  const calls: string[] = [];
  let now = 0;
  const ports: ProcessorPorts = {
    init: async () => void calls.push('init'),
    terminate: async () => void calls.push('terminate'),
    registerServices: () => void calls.push('register'),
    unregisterServices: () => void calls.push('unregister'),
    openIntake: (_mailbox: Mailbox) => {
      calls.push('open');
      return () => void calls.push('close');
    },
    watchDrain: () => void calls.push('watchDrain'),
    failInFlight: (kind) => void calls.push(`fail:${kind}`),
    endRun: () => void calls.push('endRun'),
    toCrash: (error): Crash => ({ error, recoverable: true, retryAfterMs: 0, at: (now += 1) }),
    ...overrides,
  };
  return { ports, calls };
}

function input(ports: ProcessorPorts, restart: Partial<RestartPolicy> = {}) {
  return {
    name: 'p',
    restart: restartPolicy(restart),
    drainGraceMs: 1000,
    terminateTimeoutMs: 500,
    ports,
  };
}

const crash = (recoverable: boolean, at: number, retryAfterMs = 0): ProcessorEvent => ({
  type: 'proc.crash',
  crash: { error: new Error('x'), recoverable, retryAfterMs, at },
});

describe('processor machine: pure transitions', () => {
  const { ports } = fakePorts();
  const start = createActor(processorMachine, { input: input(ports) }).getSnapshot();

  it.each([
    ['created', { type: 'proc.start' }, 'initializing'],
    ['created', { type: 'prosa.shutdown', reason: 'r' }, 'stopped'],
  ] as const)('%s --%o--> %s', (from, event, to) => {
    expect(start.value).toBe(from);
    expect(getNextSnapshot(processorMachine, start, event).value).toBe(to);
  });

  it('adopts a table version in any state', () => {
    const next = getNextSnapshot(processorMachine, start, { type: 'prosa.service', version: 7 });
    expect(next.context.tableVersion).toBe(7);
    expect(next.value).toBe('created');
  });
});

describe('processor machine: lifecycle with ports', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  async function serving(restart: Partial<RestartPolicy> = {}, overrides: Partial<ProcessorPorts> = {}) {
    const fake = fakePorts(overrides);
    const actor = createActor(processorMachine, { input: input(fake.ports, restart) }).start();
    actor.send({ type: 'proc.start' });
    await vi.advanceTimersByTimeAsync(0);
    expect(actor.getSnapshot().value).toBe('registering');
    actor.send({ type: 'proc.registered' });
    expect(actor.getSnapshot().value).toBe('serving');
    return { actor, ...fake };
  }

  it('goes created -> initializing -> registering -> serving, opening the mailbox', async () => {
    const { calls } = await serving();
    expect(calls).toEqual(['init', 'register', 'open']);
  });

  it('drains, terminates and stops on shutdown', async () => {
    const { actor, calls } = await serving();
    calls.length = 0;
    actor.send({ type: 'prosa.shutdown', reason: 'test' });
    expect(actor.getSnapshot().value).toBe('draining');
    // XState stops the invoked mailbox after the entry actions of the next state.
    expect(calls).toEqual(['unregister', 'watchDrain', 'close']);
    actor.send({ type: 'proc.drained' });
    expect(actor.getSnapshot().value).toBe('terminating');
    await vi.advanceTimersByTimeAsync(0);
    expect(actor.getSnapshot().value).toBe('stopped');
    expect(calls).toContain('terminate');
    expect(calls.filter((c) => c === 'terminate')).toHaveLength(1);
  });

  it('ends draining after the grace period, failing what is left with shutdown', async () => {
    const { actor, calls } = await serving();
    actor.send({ type: 'prosa.shutdown', reason: 'test' });
    await vi.advanceTimersByTimeAsync(999);
    expect(actor.getSnapshot().value).toBe('draining');
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toContain('fail:shutdown');
    await vi.advanceTimersByTimeAsync(0);
    expect(actor.getSnapshot().value).toBe('stopped');
  });

  it('a terminate that hangs cannot hold the stop past its timeout', async () => {
    const { actor } = await serving({}, { terminate: () => new Promise<void>(() => {}) });
    actor.send({ type: 'prosa.shutdown', reason: 'test' });
    actor.send({ type: 'proc.drained' });
    await vi.advanceTimersByTimeAsync(499);
    expect(actor.getSnapshot().value).toBe('terminating');
    await vi.advanceTimersByTimeAsync(1);
    expect(actor.getSnapshot().value).toBe('stopped');
  });

  it('restarts with exponential backoff capped at maxDelayMs', async () => {
    const { actor, calls } = await serving({ delayMs: 100, maxDelayMs: 300, maxRestarts: 10, resetAfterMs: 10_000 });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      actor.send(crash(true, i));
      expect(actor.getSnapshot().value).toBe('crashed');
      await vi.advanceTimersByTimeAsync(0); // cleanup (terminate) resolves
      expect(actor.getSnapshot().value).toBe('restarting');
      const delay = actor.getSnapshot().context.restartDelayMs;
      delays.push(delay);
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(actor.getSnapshot().value).toBe('restarting');
      await vi.advanceTimersByTimeAsync(1);
      expect(actor.getSnapshot().value).toBe('registering');
      actor.send({ type: 'proc.registered' });
    }
    expect(delays).toEqual([100, 200, 300, 300]);
    expect(calls.filter((c) => c === 'fail:unreachable')).toHaveLength(4);
  });

  it('adds retryAfterMs to the backoff', async () => {
    const { actor } = await serving({ delayMs: 100 });
    actor.send(crash(true, 0, 250));
    await vi.advanceTimersByTimeAsync(0);
    expect(actor.getSnapshot().context.restartDelayMs).toBe(350);
  });

  it('resets the backoff once serving stays up for resetAfterMs', async () => {
    const { actor } = await serving({ delayMs: 100, resetAfterMs: 1000 });
    actor.send(crash(true, 0));
    await vi.advanceTimersByTimeAsync(100);
    actor.send({ type: 'proc.registered' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(actor.getSnapshot().context.consecutiveCrashes).toBe(0);
    actor.send(crash(true, 2000));
    await vi.advanceTimersByTimeAsync(0);
    expect(actor.getSnapshot().context.restartDelayMs).toBe(100);
  });

  it('fails for good on a fatal error', async () => {
    const { actor, calls } = await serving();
    actor.send(crash(false, 0));
    await vi.advanceTimersByTimeAsync(0);
    expect(actor.getSnapshot().value).toBe('failed');
    expect(actor.getSnapshot().status).toBe('done');
    expect(calls).toContain('terminate');
  });

  it('fails once more than maxRestarts crashes fall within windowMs', async () => {
    const { actor } = await serving({ delayMs: 1, maxDelayMs: 1, maxRestarts: 2, windowMs: 1000 });
    for (const at of [0, 10]) {
      actor.send(crash(true, at));
      await vi.advanceTimersByTimeAsync(1);
      actor.send({ type: 'proc.registered' });
      expect(actor.getSnapshot().value).toBe('serving');
    }
    actor.send(crash(true, 20));
    await vi.advanceTimersByTimeAsync(0);
    expect(actor.getSnapshot().value).toBe('failed');
  });

  it('forgives crashes that fell out of the window', async () => {
    const { actor } = await serving({ delayMs: 1, maxDelayMs: 1, maxRestarts: 1, windowMs: 100 });
    for (const at of [0, 200, 400]) {
      actor.send(crash(true, at));
      await vi.advanceTimersByTimeAsync(1);
      actor.send({ type: 'proc.registered' });
      expect(actor.getSnapshot().value).toBe('serving');
    }
  });

  it('crashes when init fails and restarts after the backoff', async () => {
    let attempts = 0;
    const fake = fakePorts({
      init: async () => {
        if (attempts++ === 0) throw new Error('init failed');
      },
    });
    const actor = createActor(processorMachine, { input: input(fake.ports, { delayMs: 50 }) }).start();
    actor.send({ type: 'proc.start' });
    await vi.advanceTimersByTimeAsync(0);
    expect(actor.getSnapshot().value).toBe('restarting');
    expect((actor.getSnapshot().context.lastCrash?.error as Error).message).toBe('init failed');
    await vi.advanceTimersByTimeAsync(50);
    expect(actor.getSnapshot().value).toBe('registering');
  });

  it('does not restart while the bus stops', async () => {
    const { actor } = await serving({ delayMs: 100 });
    actor.send(crash(true, 0));
    await vi.advanceTimersByTimeAsync(0);
    expect(actor.getSnapshot().value).toBe('restarting');
    actor.send({ type: 'prosa.shutdown', reason: 'stop' });
    expect(actor.getSnapshot().value).toBe('stopped');
  });

  it('a shutdown during the crash cleanup ends in stopped, not restarting', async () => {
    const { actor } = await serving({}, { terminate: () => new Promise<void>((r) => setTimeout(r, 10)) });
    actor.send(crash(true, 0));
    actor.send({ type: 'prosa.shutdown', reason: 'stop' });
    await vi.advanceTimersByTimeAsync(10);
    expect(actor.getSnapshot().value).toBe('stopped');
  });
});
