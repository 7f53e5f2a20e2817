/**
 * The peer machine, read against its diagram: every (state, event) pair of the table below
 * is one pure `transition()`, checked for the state it leads to and the named actions it
 * asks for; then real actors under fake timers check the missed-heartbeat timeout.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActor, initialTransition, transition, type AnyEventObject } from 'xstate';
import {
  peerMachine,
  peerState,
  type PeerEvent,
  type PeerPorts,
  type PeerSnapshot,
  type PeerState,
} from '../../src/machines/peer.machine.js';
import { untouchablePorts } from '../support/machines.js';

/** Ports that must never be called: a pure transition executes nothing. */
const untouchable = untouchablePorts<PeerPorts>();

const TIMEOUT_MS = 300;

type StateValue = PeerSnapshot['value'];

const alive = { heard: { standing: 'alive', heartbeat: 'expecting' } } as const;
const leaving = { heard: { standing: 'leaving', heartbeat: 'expecting' } } as const;

function at(value: StateValue): PeerSnapshot {
  return peerMachine.resolveState({ value, context: { instance: 'b', peerTimeoutMs: TIMEOUT_MS, ports: untouchable } });
}

/** The named actions and their params, in order; `timer` for the missed-heartbeat timer (re)started. */
function named(actions: readonly { type: string; params?: unknown }[]): unknown[] {
  return actions.flatMap((a) => {
    if (a.type === 'xstate.raise') return [`timer ${(a.params as { delay?: number }).delay}`];
    if (a.type.startsWith('xstate.')) return [];
    return [a.params === undefined ? a.type : { [a.type]: a.params }];
  });
}

/** The event XState sends itself when the missed-heartbeat timer fires. */
const silence: AnyEventObject = { type: 'xstate.after.peerTimeout.peer.heard.heartbeat.expecting' };

const withdraw = 'withdrawServices';
const endLost = { endInFlight: { why: 'lost' } };
const endGone = { endInFlight: { why: 'gone' } };

const rows: [what: string, from: StateValue, event: PeerEvent | AnyEventObject, to: StateValue, actions: unknown[]][] = [
  ['alive --peer.heartbeat--> alive, its timer started again', alive, { type: 'peer.heartbeat' }, alive, [`timer ${TIMEOUT_MS}`]],
  ['alive --peer.bye--> leaving, its services withdrawn', alive, { type: 'peer.bye' }, leaving, [withdraw]],
  ['alive --peer.gone--> gone', alive, { type: 'peer.gone' }, 'gone', [withdraw, endGone]],
  ['alive --no heartbeat for peerTimeout--> lost', alive, silence, 'lost', [withdraw, endLost]],
  ['leaving --peer.heartbeat--> leaving, its timer started again', leaving, { type: 'peer.heartbeat' }, leaving, [`timer ${TIMEOUT_MS}`]],
  ['leaving ignores another peer.bye', leaving, { type: 'peer.bye' }, leaving, []],
  ['leaving --peer.gone--> gone', leaving, { type: 'peer.gone' }, 'gone', [withdraw, endGone]],
  ['leaving --no heartbeat for peerTimeout--> lost', leaving, silence, 'lost', [withdraw, endLost]],
];

describe('peer machine: transitions', () => {
  it('starts alive, its missed-heartbeat timer running, nothing else asked', () => {
    const [snapshot, actions] = initialTransition(peerMachine, { instance: 'b', peerTimeoutMs: TIMEOUT_MS, ports: untouchable });
    expect(snapshot.value).toEqual(alive);
    expect(peerState(snapshot)).toBe('alive');
    expect(named(actions)).toEqual([`timer ${TIMEOUT_MS}`]);
  });

  it.each(rows)('%s', (_what, from, event, to, actions) => {
    const [next, asked] = transition(peerMachine, at(from), event as PeerEvent);
    expect(next.value).toEqual(to);
    expect(named(asked)).toEqual(actions);
    expect(next.status).toBe(to === 'lost' || to === 'gone' ? 'done' : 'active');
  });

  it('reads each state as its lifecycle name', () => {
    expect(([alive, leaving, 'lost', 'gone'] as const).map((value) => peerState(at(value)))).toEqual<PeerState[]>([
      'alive',
      'leaving',
      'lost',
      'gone',
    ]);
  });
});

function running(timeoutMs = TIMEOUT_MS) {
  const calls: string[] = [];
  const ports: PeerPorts = {
    withdrawServices: (instance) => void calls.push(`withdraw:${instance}`),
    endInFlight: (instance, why) => void calls.push(`end:${instance}:${why}`),
  };
  const actor = createActor(peerMachine, { input: { instance: 'b', peerTimeoutMs: timeoutMs, ports } }).start();
  return { actor, calls, state: () => peerState(actor.getSnapshot()) };
}

describe('peer machine: the missed-heartbeat timeout', () => {
  afterEach(() => vi.useRealTimers());

  it('stays alive while heartbeats come within the timeout, and is lost once they stop', () => {
    vi.useFakeTimers();
    const { actor, calls, state } = running();
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(TIMEOUT_MS - 50);
      actor.send({ type: 'peer.heartbeat' });
    }
    expect(state()).toBe('alive');
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(TIMEOUT_MS - 1);
    expect(state()).toBe('alive');
    vi.advanceTimersByTime(1);
    expect(state()).toBe('lost');
    expect(actor.getSnapshot().status).toBe('done');
    expect(calls).toEqual(['withdraw:b', 'end:b:lost']);
  });

  it('keeps counting while it leaves: heartbeats keep a leaving peer, silence makes it lost', () => {
    vi.useFakeTimers();
    const { actor, calls, state } = running();
    vi.advanceTimersByTime(TIMEOUT_MS - 50);
    actor.send({ type: 'peer.bye' });
    expect(calls).toEqual(['withdraw:b']);
    vi.advanceTimersByTime(49);
    actor.send({ type: 'peer.heartbeat' });
    vi.advanceTimersByTime(TIMEOUT_MS - 1);
    expect(state()).toBe('leaving');
    vi.advanceTimersByTime(1);
    expect(state()).toBe('lost');
    expect(calls).toEqual(['withdraw:b', 'withdraw:b', 'end:b:lost']);
  });

  it('leaves no timer once gone', () => {
    vi.useFakeTimers();
    const { actor, calls, state } = running();
    actor.send({ type: 'peer.bye' });
    actor.send({ type: 'peer.gone' });
    expect(state()).toBe('gone');
    expect(vi.getTimerCount()).toBe(0);
    expect(calls).toEqual(['withdraw:b', 'withdraw:b', 'end:b:gone']);
  });
});
