import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActor, initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import {
  directiveMachine,
  directiveState,
  type DirectiveEmitted,
  type DirectiveEvent,
  type DirectiveState,
  type DirectiveStateValue,
} from '../../src/machines/directive.machine.js';

const ATTACHED: DirectiveEvent[] = [{ type: 'directive.attached' }, { type: 'directive.started', busy: false }];

/** What a list of executable actions emits, as `type` (or `type:settled` for the settled flag). */
function emittedBy(actions: readonly { type: string; params: unknown }[]): string[] {
  return actions
    .filter((action) => action.type === 'xstate.emit')
    .map((action) => {
      const event = (action.params as { event: DirectiveEmitted }).event;
      return event.type === 'directive.settledChanged' ? `settled:${event.settled}` : event.type;
    });
}

/** Runs `events` through the pure transition function from the initial state. */
function run(events: readonly DirectiveEvent[], disposeAfterMs = 0) {
  let [snapshot, actions] = initialTransition(directiveMachine, { name: 'D', disposeAfterMs });
  const emitted = emittedBy(actions);
  for (const event of events) {
    [snapshot, actions] = transition(directiveMachine, snapshot, event);
    emitted.push(...emittedBy(actions));
  }
  return { snapshot, emitted, state: stateOf(snapshot) };
}

function stateOf(snapshot: AnyMachineSnapshot): DirectiveState {
  return directiveState(snapshot.value as DirectiveStateValue);
}

const e = (type: Exclude<DirectiveEvent['type'], 'directive.started'>): DirectiveEvent => ({ type }) as DirectiveEvent;

describe('directive machine (pure transitions)', () => {
  it.each<{ name: string; events: DirectiveEvent[]; disposeAfterMs?: number; state: DirectiveState; emitted: string[] }>([
    { name: 'waits in pending', events: [], state: 'pending', emitted: [] },
    {
      name: 'hears no fact in pending (none can flip there)',
      events: [e('directive.becameBusy'), e('directive.limitReached'), e('directive.referenced')],
      state: 'pending',
      emitted: [],
    },
    { name: 'starts its resolvers on attach', events: [e('directive.attached')], state: 'resolving', emitted: ['resolvers.startRequested'] },
    {
      name: 'is idle once started with no resolver at work',
      events: ATTACHED,
      state: 'idle',
      emitted: ['resolvers.startRequested', 'settled:true'],
    },
    {
      name: 'resolves once started with a resolver at work',
      events: [e('directive.attached'), { type: 'directive.started', busy: true }],
      state: 'resolving',
      emitted: ['resolvers.startRequested'],
    },
    {
      name: 'ignores flips while starting: the started report has the last word',
      events: [e('directive.attached'), e('directive.becameBusy'), e('directive.becameQuiet'), { type: 'directive.started', busy: false }],
      state: 'idle',
      emitted: ['resolvers.startRequested', 'settled:true'],
    },
    {
      name: 'leaves idle when a resolver is at work, and comes back',
      events: [...ATTACHED, e('directive.becameBusy'), e('directive.becameQuiet')],
      state: 'idle',
      emitted: ['resolvers.startRequested', 'settled:true', 'settled:false', 'settled:true'],
    },
    {
      name: 'holds its resolvers at the limit',
      events: [...ATTACHED, e('directive.limitReached')],
      state: 'full',
      emitted: ['resolvers.startRequested', 'settled:true', 'resolvers.holdRequested'],
    },
    {
      name: 'resumes them below it',
      events: [...ATTACHED, e('directive.limitReached'), e('directive.limitLeft')],
      state: 'idle',
      emitted: ['resolvers.startRequested', 'settled:true', 'resolvers.holdRequested', 'resolvers.resumeRequested'],
    },
    {
      name: 'keeps the activity while full',
      events: [e('directive.attached'), { type: 'directive.started', busy: true }, e('directive.limitReached'), e('directive.becameQuiet'), e('directive.limitLeft')],
      state: 'idle',
      emitted: ['resolvers.startRequested', 'resolvers.holdRequested', 'settled:true', 'resolvers.resumeRequested'],
    },
    {
      name: 'disposes at once when the last reference goes and there is no grace period',
      events: [...ATTACHED, e('directive.unreferenced')],
      state: 'disposed',
      emitted: ['resolvers.startRequested', 'settled:true', 'settled:false', 'directive.disposed'],
    },
    {
      name: 'waits out a grace period',
      events: [...ATTACHED, e('directive.unreferenced')],
      disposeAfterMs: 100,
      state: 'disposing',
      emitted: ['resolvers.startRequested', 'settled:true'],
    },
    {
      name: 'shows disposing over full',
      events: [...ATTACHED, e('directive.unreferenced'), e('directive.limitReached')],
      disposeAfterMs: 100,
      state: 'disposing',
      emitted: ['resolvers.startRequested', 'settled:true', 'resolvers.holdRequested'],
    },
    {
      name: 'a new reference within the grace period keeps the instance',
      events: [...ATTACHED, e('directive.unreferenced'), e('directive.referenced')],
      disposeAfterMs: 100,
      state: 'idle',
      emitted: ['resolvers.startRequested', 'settled:true'],
    },
    { name: 'closes from pending', events: [e('directive.closeRequested')], state: 'disposed', emitted: ['directive.disposed'] },
    {
      name: 'closes when full, without resuming',
      events: [...ATTACHED, e('directive.limitReached'), e('directive.closeRequested')],
      state: 'disposed',
      emitted: ['resolvers.startRequested', 'settled:true', 'resolvers.holdRequested', 'settled:false', 'directive.disposed'],
    },
  ])('$name', ({ events, disposeAfterMs, state, emitted }) => {
    const result = run(events, disposeAfterMs);
    expect(result.state).toBe(state);
    expect(result.emitted).toEqual(emitted);
    expect(result.snapshot.status).toBe(state === 'disposed' ? 'done' : 'active');
  });

  it('keeps only its input in its context: the facts are its state value', () => {
    const { snapshot } = run([...ATTACHED, e('directive.becameBusy'), e('directive.limitReached')], 5);
    expect(snapshot.context).toEqual({ name: 'D', disposeAfterMs: 5 });
    expect(snapshot.value).toEqual({ live: { references: 'referenced', activity: 'resolving', capacity: 'full' } });
  });

  it('schedules the disposal after the grace period', () => {
    const { snapshot } = run(ATTACHED, 250);
    const [, actions] = transition(directiveMachine, snapshot, e('directive.unreferenced'));
    const delayed = actions.filter((action) => action.type === 'xstate.raise').map((action) => (action.params as { delay?: number }).delay);
    expect(delayed).toEqual([250]);
  });
});

describe('directive machine (running, fake timers)', () => {
  afterEach(() => vi.useRealTimers());

  it('is disposed once the grace period passes, and a new reference within it keeps the instance', () => {
    vi.useFakeTimers();
    const actor = createActor(directiveMachine, { input: { name: 'D', disposeAfterMs: 100 } });
    const emitted: string[] = [];
    actor.on('*', (event) => void emitted.push(event.type));
    actor.start();
    const state = () => directiveState(actor.getSnapshot().value as DirectiveStateValue);
    for (const event of ATTACHED) actor.send(event);
    actor.send(e('directive.unreferenced'));
    vi.advanceTimersByTime(99);
    expect(state()).toBe('disposing');
    actor.send(e('directive.referenced'));
    vi.advanceTimersByTime(1_000);
    expect(state()).toBe('idle');
    actor.send(e('directive.unreferenced'));
    vi.advanceTimersByTime(99);
    expect(state()).toBe('disposing');
    vi.advanceTimersByTime(1);
    expect(state()).toBe('disposed');
    expect(actor.getSnapshot().status).toBe('done');
    expect(emitted.filter((type) => type === 'directive.disposed')).toHaveLength(1);
  });
});
