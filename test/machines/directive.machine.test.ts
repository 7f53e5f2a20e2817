import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import {
  directiveMachine,
  directiveState,
  type DirectiveEvent,
  type DirectivePorts,
  type DirectiveStateValue,
} from '../../src/machines/directive.machine.js';

function start(disposeAfterMs = 0) {
  const calls: string[] = [];
  const ports: DirectivePorts = {
    startResolvers: () => void calls.push('start'),
    holdResolvers: () => void calls.push('hold'),
    resumeResolvers: () => void calls.push('resume'),
    dispose: () => void calls.push('dispose'),
  };
  const clock = new SimulatedClock();
  const actor = createActor(directiveMachine, { clock, input: { name: 'D', maxValues: 2, disposeAfterMs, ports } }).start();
  const state = () => directiveState(actor.getSnapshot().value as DirectiveStateValue);
  const send = (...types: DirectiveEvent['type'][]) => {
    for (const type of types) actor.send({ type } as DirectiveEvent);
  };
  return { actor, calls, clock, state, send };
}

describe('directive machine', () => {
  it('waits in pending until attached, then starts its resolvers', () => {
    const { calls, state, send } = start();
    send('directive.referenced', 'directive.busy');
    expect(state()).toBe('pending');
    expect(calls).toEqual([]);
    send('directive.attach');
    expect(calls).toEqual(['start']);
    expect(state()).toBe('resolving');
  });

  it.each([
    { facts: [], expected: 'idle' },
    { facts: ['directive.busy'], expected: 'resolving' },
    { facts: ['directive.busy', 'directive.quiet'], expected: 'idle' },
    { facts: ['directive.busy', 'directive.full'], expected: 'full' },
    { facts: ['directive.full', 'directive.busy'], expected: 'full' },
    { facts: ['directive.full', 'directive.belowLimit'], expected: 'idle' },
    { facts: ['directive.busy', 'directive.full', 'directive.belowLimit'], expected: 'resolving' },
  ] as { facts: DirectiveEvent['type'][]; expected: string }[])('after $facts: $expected', ({ facts, expected }) => {
    const { state, send } = start();
    send('directive.referenced', 'directive.attach', ...facts);
    expect(state()).toBe(expected);
  });

  it('holds resolvers on reaching the limit and resumes them below it', () => {
    const { calls, state, send } = start();
    send('directive.referenced', 'directive.attach', 'directive.full');
    expect(state()).toBe('full');
    send('directive.belowLimit');
    expect(state()).toBe('idle');
    expect(calls).toEqual(['start', 'hold', 'resume']);
  });

  it('disposes at once when the last reference goes and there is no grace period', () => {
    const { actor, calls, state, send } = start();
    send('directive.referenced', 'directive.attach');
    expect(state()).toBe('idle');
    send('directive.unreferenced');
    expect(state()).toBe('disposed');
    expect(actor.getSnapshot().status).toBe('done');
    expect(calls).toEqual(['start', 'dispose']);
  });

  it('waits out the grace period, and a new reference within it keeps the instance', () => {
    const { calls, clock, state, send } = start(100);
    send('directive.referenced', 'directive.attach', 'directive.unreferenced');
    expect(state()).toBe('disposing');
    clock.increment(99);
    send('directive.referenced');
    expect(state()).toBe('idle');
    clock.increment(1_000);
    expect(state()).toBe('idle');
    send('directive.unreferenced');
    clock.increment(99);
    expect(state()).toBe('disposing');
    clock.increment(1);
    expect(state()).toBe('disposed');
    expect(calls).toEqual(['start', 'dispose']);
  });

  it('keeps the resolution region while disposing', () => {
    const { actor, calls, state, send } = start(50);
    send('directive.referenced', 'directive.attach', 'directive.unreferenced', 'directive.full');
    expect(actor.getSnapshot().value).toEqual({ live: { references: 'disposing', resolution: 'full' } });
    expect(state()).toBe('disposing');
    expect(calls).toEqual(['start', 'hold']);
  });

  it('closes from any state', () => {
    for (const attach of [false, true]) {
      const { calls, state, send } = start();
      send('directive.referenced');
      if (attach) send('directive.attach');
      send('directive.close');
      expect(state()).toBe('disposed');
      expect(calls.at(-1)).toBe('dispose');
    }
  });
});
