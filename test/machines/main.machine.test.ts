import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActor, initialTransition, transition, type StateValue } from 'xstate';
import {
  mainMachine,
  mainState,
  type MainEvent,
  type MainMachineContext,
  type MainPorts,
} from '../../src/machines/main.machine.js';

function fakePorts() {
  const calls: string[] = [];
  const ports: MainPorts = {
    startProcessors: () => void calls.push('startAll'),
    startProcessor: (p) => void calls.push(`start:${p}`),
    stopProcessors: (reason) => void calls.push(`stop:${reason}`),
    release: () => void calls.push('release'),
  };
  return { ports, calls };
}

const input = (processors: number, ports = fakePorts().ports) => ({ name: 'm', stopTimeoutMs: 100, processors, ports });

describe('main machine: pure transitions', () => {
  const [initial] = initialTransition(mainMachine, input(2));
  const at = (value: StateValue, context: Partial<MainMachineContext> = {}) =>
    mainMachine.resolveState({ value, context: { ...initial.context, ...context } });
  /** The port actions of a transition, with their params, in order. */
  const portCalls = (actions: readonly { type: string; params?: unknown }[]) =>
    actions.filter((a) => !a.type.startsWith('xstate.')).map((a) => (a.params === undefined ? a.type : `${a.type}(${Object.values(a.params as object).join()})`));

  const stop: MainEvent = { type: 'main.stopRequested', reason: 'bye' };

  it.each<[StateValue, Partial<MainMachineContext>, MainEvent, string, string[], Partial<MainMachineContext>]>([
    [{ active: 'starting' }, {}, { type: 'proc.settled', processor: 'a' }, 'starting', [], { pendingStart: 1 }],
    [{ active: 'starting' }, { pendingStart: 1 }, { type: 'proc.settled', processor: 'b' }, 'running', [], { pendingStart: 0 }],
    [{ active: 'starting' }, {}, { type: 'proc.added', processor: 'c' }, 'starting', ['startProcessor(c)'], { live: 3, pendingStart: 3 }],
    [{ active: 'running' }, { pendingStart: 0 }, { type: 'proc.added', processor: 'c' }, 'running', ['startProcessor(c)'], { live: 3, pendingStart: 1 }],
    [{ active: 'running' }, { pendingStart: 1 }, { type: 'proc.settled', processor: 'c' }, 'running', [], { pendingStart: 0 }],
    [{ active: 'starting' }, {}, stop, 'stopping', ['stopProcessors(bye)'], { stopReason: 'bye' }],
    [{ active: 'running' }, { pendingStart: 0 }, stop, 'stopping', ['stopProcessors(bye)'], { stopReason: 'bye' }],
    ['stopping', {}, { type: 'proc.ended', processor: 'a' }, 'stopping', [], { live: 1 }],
    ['stopping', { live: 1 }, { type: 'proc.ended', processor: 'b' }, 'stopped', ['release'], { live: 0 }],
    ['stopping', {}, { type: 'proc.added', processor: 'late' }, 'stopping', [], { live: 2 }],
    [{ active: 'running' }, { pendingStart: 0 }, { type: 'proc.ended', processor: 'a' }, 'running', [], { live: 1 }],
  ])('%o %o --%o--> %s, calling %o', (from, context, event, to, calls, after) => {
    const [next, actions] = transition(mainMachine, at(from, context), event);
    expect(mainState(next.value)).toBe(to);
    expect(portCalls(actions)).toEqual(calls);
    expect(next.context).toMatchObject(after);
  });

  it('starts every processor on entering, and runs at once when there is none', () => {
    const [snapshot, actions] = initialTransition(mainMachine, input(0));
    expect(mainState(snapshot.value)).toBe('running');
    expect(portCalls(actions)).toEqual(['startProcessors']);
  });

  it('gives every state a description', () => {
    const walk = (node: { key: string; description?: string; states: Record<string, unknown> }) => {
      expect(node.description, node.key).toEqual(expect.any(String));
      for (const child of Object.values(node.states)) walk(child as typeof node);
    };
    for (const state of Object.values(mainMachine.root.states)) walk(state as never);
  });
});

describe('main machine: as an actor', () => {
  afterEach(() => vi.useRealTimers());

  it('runs at once when there is no processor, and stops at once', () => {
    const { ports, calls } = fakePorts();
    const main = createActor(mainMachine, { input: input(0, ports) }).start();
    expect(mainState(main.getSnapshot().value)).toBe('running');
    main.send({ type: 'main.stopRequested', reason: 'bye' });
    expect(mainState(main.getSnapshot().value)).toBe('stopped');
    expect(calls).toEqual(['startAll', 'stop:bye', 'release']);
  });

  it('waits for the processors added while starting too', () => {
    const { ports } = fakePorts();
    const main = createActor(mainMachine, { input: input(1, ports) }).start();
    main.send({ type: 'proc.added', processor: 'b' });
    main.send({ type: 'proc.settled', processor: 'b' });
    expect(mainState(main.getSnapshot().value)).toBe('starting');
    main.send({ type: 'proc.settled', processor: 'a' });
    expect(mainState(main.getSnapshot().value)).toBe('running');
  });

  it('stops after stopTimeoutMs even if a processor never ends', async () => {
    vi.useFakeTimers();
    const { ports, calls } = fakePorts();
    const main = createActor(mainMachine, { input: input(1, ports) }).start();
    main.send({ type: 'main.stopRequested', reason: 'r' });
    await vi.advanceTimersByTimeAsync(99);
    expect(mainState(main.getSnapshot().value)).toBe('stopping');
    await vi.advanceTimersByTimeAsync(1);
    expect(mainState(main.getSnapshot().value)).toBe('stopped');
    expect(calls).toContain('release');
  });
});
