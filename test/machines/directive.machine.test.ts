import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import {
  directiveMachine,
  directiveState,
  type DirectivePorts,
  type DirectiveStateValue,
} from '../../src/machines/directive.machine.js';

function start(maxValues = Infinity, disposeAfterMs = 0) {
  const calls: string[] = [];
  const ports: DirectivePorts = {
    startResolvers: () => void calls.push('start'),
    holdResolvers: () => void calls.push('hold'),
    resumeResolvers: () => void calls.push('resume'),
    dispose: () => void calls.push('dispose'),
  };
  const clock = new SimulatedClock();
  const actor = createActor(directiveMachine, { clock, input: { name: 'D', maxValues, disposeAfterMs, ports } }).start();
  const state = () => directiveState(actor.getSnapshot().value as DirectiveStateValue);
  return { actor, calls, clock, state };
}

describe('directive machine', () => {
  it('waits in pending until attached, then starts its resolvers', () => {
    const { actor, calls, state } = start();
    actor.send({ type: 'directive.refs', count: 1 });
    expect(state()).toBe('pending');
    expect(calls).toEqual([]);
    actor.send({ type: 'directive.attach' });
    expect(calls).toEqual(['start']);
    expect(state()).toBe('idle');
  });

  it.each([
    { busy: 1, values: 0, max: Infinity, expected: 'resolving' },
    { busy: 0, values: 0, max: Infinity, expected: 'idle' },
    { busy: 0, values: 3, max: Infinity, expected: 'idle' },
    { busy: 1, values: 1, max: 2, expected: 'resolving' },
    { busy: 1, values: 2, max: 2, expected: 'full' },
    { busy: 0, values: 1, max: 1, expected: 'full' },
  ])('busy $busy, values $values of $max -> $expected', ({ busy, values, max, expected }) => {
    const { actor, state } = start(max);
    actor.send({ type: 'directive.refs', count: 1 });
    actor.send({ type: 'directive.attach' });
    actor.send({ type: 'directive.busy', count: busy });
    actor.send({ type: 'directive.values', count: values });
    expect(state()).toBe(expected);
  });

  it('holds resolvers on reaching the limit and resumes them below it', () => {
    const { actor, calls, state } = start(2);
    actor.send({ type: 'directive.refs', count: 1 });
    actor.send({ type: 'directive.attach' });
    actor.send({ type: 'directive.values', count: 2 });
    expect(state()).toBe('full');
    actor.send({ type: 'directive.values', count: 2 });
    actor.send({ type: 'directive.values', count: 1 });
    expect(state()).toBe('idle');
    expect(calls).toEqual(['start', 'hold', 'resume']);
  });

  it('disposes at once when the last reference goes and there is no grace period', () => {
    const { actor, calls, state } = start();
    actor.send({ type: 'directive.refs', count: 2 });
    actor.send({ type: 'directive.attach' });
    actor.send({ type: 'directive.refs', count: 1 });
    expect(state()).toBe('idle');
    actor.send({ type: 'directive.refs', count: 0 });
    expect(state()).toBe('disposed');
    expect(actor.getSnapshot().status).toBe('done');
    expect(calls).toEqual(['start', 'dispose']);
  });

  it('waits out the grace period, and a new reference within it keeps the instance', () => {
    const { actor, calls, clock, state } = start(Infinity, 100);
    actor.send({ type: 'directive.refs', count: 1 });
    actor.send({ type: 'directive.attach' });
    actor.send({ type: 'directive.refs', count: 0 });
    expect(state()).toBe('disposing');
    clock.increment(99);
    actor.send({ type: 'directive.refs', count: 1 });
    expect(state()).toBe('idle');
    clock.increment(1_000);
    expect(state()).toBe('idle');
    actor.send({ type: 'directive.refs', count: 0 });
    clock.increment(99);
    expect(state()).toBe('disposing');
    clock.increment(1);
    expect(state()).toBe('disposed');
    expect(calls).toEqual(['start', 'dispose']);
  });

  it('keeps the resolution region while disposing', () => {
    const { actor, state } = start(1, 50);
    actor.send({ type: 'directive.refs', count: 1 });
    actor.send({ type: 'directive.attach' });
    actor.send({ type: 'directive.refs', count: 0 });
    actor.send({ type: 'directive.values', count: 1 });
    expect(actor.getSnapshot().value).toEqual({ live: { references: 'disposing', resolution: 'full' } });
    expect(state()).toBe('disposing');
  });

  it('closes from any state', () => {
    for (const attach of [false, true]) {
      const { actor, calls, state } = start();
      actor.send({ type: 'directive.refs', count: 1 });
      if (attach) actor.send({ type: 'directive.attach' });
      actor.send({ type: 'directive.close' });
      expect(state()).toBe('disposed');
      expect(calls.at(-1)).toBe('dispose');
    }
  });
});
