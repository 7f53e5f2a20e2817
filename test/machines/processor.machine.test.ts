import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, initialTransition, transition, type StateValue } from 'xstate';
import {
  processorMachine,
  processorState,
  PROCESSOR_STATES,
  FINAL_PROCESSOR_STATES,
  type Crash,
  type Mailbox,
  type ProcessorEvent,
  type ProcessorMachineContext,
  type ProcessorPorts,
} from '../../src/machines/processor.machine.js';
import { restartPolicy, type RestartPolicy } from '../../src/machines/restart-policy.js';

/** Ports that record every call; init/terminate resolve unless told otherwise. */
function fakePorts(overrides: Partial<ProcessorPorts> = {}) {
  const calls: string[] = [];
  const ports: ProcessorPorts = {
    init: async () => void calls.push('init'),
    terminate: async () => void calls.push('terminate'),
    registerServices: () => void calls.push('register'),
    unregisterServices: () => void calls.push('unregister'),
    openMailbox: (_mailbox: Mailbox) => {
      calls.push('open');
      return () => void calls.push('close');
    },
    watchDrain: () => {
      calls.push('watchDrain');
      return () => void calls.push('unwatchDrain');
    },
    failInFlight: (kind) => void calls.push(`fail:${kind}`),
    endRun: () => void calls.push('endRun'),
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

const aCrash = (recoverable: boolean, at: number, retryAfterMs = 0): Crash => ({ error: new Error('x'), recoverable, retryAfterMs, at });
const crashed = (recoverable: boolean, at: number, retryAfterMs = 0): ProcessorEvent => ({
  type: 'proc.crashed',
  crash: aCrash(recoverable, at, retryAfterMs),
});

describe('processor machine: pure transitions', () => {
  const [initial] = initialTransition(processorMachine, input(fakePorts().ports));

  /** A snapshot in `value`, with the initial context changed by `context`. */
  const at = (value: StateValue, context: Partial<ProcessorMachineContext> = {}) =>
    processorMachine.resolveState({ value, context: { ...initial.context, ...context } });

  /** The effects of a transition: port actions (with their params) and the actors it invokes, in order. */
  function effects(actions: readonly { type: string; params?: unknown }[]): string[] {
    return actions.flatMap((action) => {
      if (action.type === 'xstate.spawnChild') return [`invoke:${(action.params as { id: string }).id}`];
      if (action.type.startsWith('xstate.')) return [];
      const kind = (action.params as { kind?: string } | undefined)?.kind;
      return [kind === undefined ? action.type : `${action.type}:${kind}`];
    });
  }

  const done = (id: string) => ({ type: `xstate.done.actor.${id}` }) as unknown as ProcessorEvent;
  const stop: ProcessorEvent = { type: 'proc.stopRequested', reason: 'r' };
  const drained: ProcessorEvent = { type: 'proc.drained' };
  const crash = crashed(true, 5);

  it.each<[StateValue, ProcessorEvent, string, string[]]>([
    ['created', { type: 'proc.startRequested' }, 'initializing', ['invoke:init']],
    ['created', stop, 'stopped', []],
    ['created', crash, 'created', []],
    [{ active: 'initializing' }, done('init'), 'serving', ['registerServices', 'invoke:mailbox']],
    [{ active: 'initializing' }, crash, 'crashed', ['failInFlight:unreachable', 'endRun', 'invoke:terminate']],
    [{ active: 'initializing' }, stop, 'terminating', ['failInFlight:shutdown', 'endRun', 'invoke:terminate']],
    [{ active: 'serving' }, crash, 'crashed', ['unregisterServices', 'failInFlight:unreachable', 'endRun', 'invoke:terminate']],
    [{ active: 'serving' }, stop, 'draining', ['unregisterServices', 'invoke:drain']],
    [{ active: 'draining' }, drained, 'terminating', ['failInFlight:shutdown', 'endRun', 'invoke:terminate']],
    [
      { active: 'draining' },
      crash,
      'terminating',
      ['failInFlight:unreachable', 'failInFlight:shutdown', 'endRun', 'invoke:terminate'],
    ],
    ['terminating', done('terminate'), 'stopped', []],
    ['terminating', crash, 'terminating', []],
    ['crashed', stop, 'crashed', []],
    ['restarting', stop, 'stopped', []],
  ])('%o --%o--> %s, doing %o', (from, event, to, expected) => {
    const [next, actions] = transition(processorMachine, at(from), event);
    expect(processorState(next.value)).toBe(to);
    expect(effects(actions)).toEqual(expected);
  });

  it.each<[string, Partial<ProcessorMachineContext>, string]>([
    ['a recoverable crash within the budget', { lastCrash: aCrash(true, 0), crashTimes: [0] }, 'restarting'],
    ['a fatal crash', { lastCrash: aCrash(false, 0), crashTimes: [0] }, 'failed'],
    ['a crash past the budget', { lastCrash: aCrash(true, 0), crashTimes: Array.from({ length: 11 }, (_, i) => i) }, 'failed'],
    ['a crash after a stop was asked', { lastCrash: aCrash(true, 0), crashTimes: [0], stopRequested: true }, 'stopped'],
  ])('after cleaning up from %s it goes to %s', (_, context, to) => {
    const [next] = transition(processorMachine, at('crashed', context), done('terminate'));
    expect(processorState(next.value)).toBe(to);
  });

  it('records a crash from the event: backoff, window, no clock read', () => {
    const [next] = transition(processorMachine, at({ active: 'serving' }, { consecutiveCrashes: 2, crashTimes: [1] }), crashed(true, 7, 40));
    expect(next.context).toMatchObject({
      lastCrash: { at: 7, retryAfterMs: 40 },
      consecutiveCrashes: 3,
      crashTimes: [1, 7],
      restartDelayMs: 100 * 2 ** 2 + 40,
    });
  });

  it('marks a stop asked in any state that takes it, so no restart follows', () => {
    for (const from of ['created', { active: 'initializing' }, { active: 'serving' }, 'crashed', 'restarting'] as StateValue[]) {
      const [next] = transition(processorMachine, at(from), stop);
      expect(next.context.stopRequested, JSON.stringify(from)).toBe(true);
    }
  });

  it('names every leaf state in PROCESSOR_STATES, each with a description', () => {
    const leaves: string[] = [];
    const walk = (node: { key: string; description?: string; states: Record<string, unknown> }) => {
      expect(node.description, node.key).toEqual(expect.any(String));
      const children = Object.values(node.states) as (typeof node)[];
      if (children.length === 0) leaves.push(node.key);
      for (const child of children) walk(child);
    };
    for (const state of Object.values(processorMachine.root.states)) walk(state as never);
    expect([...leaves].sort()).toEqual([...PROCESSOR_STATES].sort());
    expect([...FINAL_PROCESSOR_STATES].sort()).toEqual(['failed', 'stopped']);
  });
});

describe('processor machine: lifecycle with ports', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const state = (actor: { getSnapshot(): { value: StateValue } }) => processorState(actor.getSnapshot().value);

  async function serving(restart: Partial<RestartPolicy> = {}, overrides: Partial<ProcessorPorts> = {}) {
    const fake = fakePorts(overrides);
    const actor = createActor(processorMachine, { input: input(fake.ports, restart) }).start();
    actor.send({ type: 'proc.startRequested' });
    await vi.advanceTimersByTimeAsync(0);
    expect(state(actor)).toBe('serving');
    return { actor, ...fake };
  }

  it('goes created -> initializing -> serving, registering and opening the mailbox', async () => {
    const { calls } = await serving();
    expect(calls).toEqual(['init', 'register', 'open']);
  });

  it('drains, terminates and stops on a stop', async () => {
    const { actor, calls } = await serving();
    calls.length = 0;
    actor.send({ type: 'proc.stopRequested', reason: 'test' });
    expect(state(actor)).toBe('draining');
    // Leaving serving unregisters at once; XState then stops the mailbox and starts the drain watch.
    expect(calls).toEqual(['unregister', 'close', 'watchDrain']);
    actor.send({ type: 'proc.drained' });
    expect(state(actor)).toBe('terminating');
    expect(calls).toContain('unwatchDrain');
    await vi.advanceTimersByTimeAsync(0);
    expect(state(actor)).toBe('stopped');
    expect(calls.filter((c) => c === 'terminate')).toHaveLength(1);
  });

  it('goes on to terminate when the drain watch reports nothing in flight', async () => {
    const { actor } = await serving({}, { watchDrain: (drained) => (drained(), () => undefined) });
    actor.send({ type: 'proc.stopRequested', reason: 'test' });
    expect(state(actor)).toBe('terminating');
  });

  it('ends draining after the grace period, failing what is left with shutdown', async () => {
    const { actor, calls } = await serving();
    actor.send({ type: 'proc.stopRequested', reason: 'test' });
    await vi.advanceTimersByTimeAsync(999);
    expect(state(actor)).toBe('draining');
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toContain('fail:shutdown');
    await vi.advanceTimersByTimeAsync(0);
    expect(state(actor)).toBe('stopped');
  });

  it('a terminate that hangs cannot hold the stop past its timeout', async () => {
    const { actor } = await serving({}, { terminate: () => new Promise<void>(() => {}) });
    actor.send({ type: 'proc.stopRequested', reason: 'test' });
    actor.send({ type: 'proc.drained' });
    await vi.advanceTimersByTimeAsync(499);
    expect(state(actor)).toBe('terminating');
    await vi.advanceTimersByTimeAsync(1);
    expect(state(actor)).toBe('stopped');
  });

  it('restarts with exponential backoff capped at maxDelayMs', async () => {
    const { actor, calls } = await serving({ delayMs: 100, maxDelayMs: 300, maxRestarts: 10, resetAfterMs: 10_000 });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      actor.send(crashed(true, i));
      expect(state(actor)).toBe('crashed');
      await vi.advanceTimersByTimeAsync(0); // cleanup (terminate) resolves
      expect(state(actor)).toBe('restarting');
      const delay = actor.getSnapshot().context.restartDelayMs;
      delays.push(delay);
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(state(actor)).toBe('restarting');
      await vi.advanceTimersByTimeAsync(1);
      expect(state(actor)).toBe('serving');
    }
    expect(delays).toEqual([100, 200, 300, 300]);
    expect(calls.filter((c) => c === 'fail:unreachable')).toHaveLength(4);
  });

  it('adds retryAfterMs to the backoff', async () => {
    const { actor } = await serving({ delayMs: 100 });
    actor.send(crashed(true, 0, 250));
    await vi.advanceTimersByTimeAsync(0);
    expect(actor.getSnapshot().context.restartDelayMs).toBe(350);
  });

  it('resets the backoff once serving stays up for resetAfterMs', async () => {
    const { actor } = await serving({ delayMs: 100, resetAfterMs: 1000 });
    actor.send(crashed(true, 0));
    await vi.advanceTimersByTimeAsync(100);
    expect(state(actor)).toBe('serving');
    await vi.advanceTimersByTimeAsync(1000);
    expect(actor.getSnapshot().context.consecutiveCrashes).toBe(0);
    actor.send(crashed(true, 2000));
    await vi.advanceTimersByTimeAsync(0);
    expect(actor.getSnapshot().context.restartDelayMs).toBe(100);
  });

  it('fails for good on a fatal error', async () => {
    const { actor, calls } = await serving();
    actor.send(crashed(false, 0));
    await vi.advanceTimersByTimeAsync(0);
    expect(state(actor)).toBe('failed');
    expect(actor.getSnapshot().status).toBe('done');
    expect(calls).toContain('terminate');
  });

  it('fails once more than maxRestarts crashes fall within windowMs', async () => {
    const { actor } = await serving({ delayMs: 1, maxDelayMs: 1, maxRestarts: 2, windowMs: 1000 });
    for (const at of [0, 10]) {
      actor.send(crashed(true, at));
      await vi.advanceTimersByTimeAsync(1);
      expect(state(actor)).toBe('serving');
    }
    actor.send(crashed(true, 20));
    await vi.advanceTimersByTimeAsync(0);
    expect(state(actor)).toBe('failed');
  });

  it('forgives crashes that fell out of the window', async () => {
    const { actor } = await serving({ delayMs: 1, maxDelayMs: 1, maxRestarts: 1, windowMs: 100 });
    for (const at of [0, 200, 400]) {
      actor.send(crashed(true, at));
      await vi.advanceTimersByTimeAsync(1);
      expect(state(actor)).toBe('serving');
    }
  });

  it('a failed init is a crash like any other, and the processor restarts after the backoff', async () => {
    let attempts = 0;
    let actor: ReturnType<typeof createActor<typeof processorMachine>> | undefined;
    const fake = fakePorts({
      init: async () => {
        // The running system reports a failed init as the run's crash (src/actors/run.ts).
        if (attempts++ === 0) actor!.send({ type: 'proc.crashed', crash: { ...aCrash(true, 0), error: new Error('init failed') } });
      },
    });
    actor = createActor(processorMachine, { input: input(fake.ports, { delayMs: 50 }) }).start();
    actor.send({ type: 'proc.startRequested' });
    await vi.advanceTimersByTimeAsync(0);
    expect(state(actor)).toBe('restarting');
    expect((actor.getSnapshot().context.lastCrash?.error as Error).message).toBe('init failed');
    await vi.advanceTimersByTimeAsync(50);
    expect(state(actor)).toBe('serving');
  });

  it('does not restart while the bus stops', async () => {
    const { actor } = await serving({ delayMs: 100 });
    actor.send(crashed(true, 0));
    await vi.advanceTimersByTimeAsync(0);
    expect(state(actor)).toBe('restarting');
    actor.send({ type: 'proc.stopRequested', reason: 'stop' });
    expect(state(actor)).toBe('stopped');
  });

  it('a stop during the crash cleanup ends in stopped, not restarting', async () => {
    const { actor } = await serving({}, { terminate: () => new Promise<void>((r) => setTimeout(r, 10)) });
    actor.send(crashed(true, 0));
    actor.send({ type: 'proc.stopRequested', reason: 'stop' });
    await vi.advanceTimersByTimeAsync(10);
    expect(state(actor)).toBe('stopped');
  });
});
