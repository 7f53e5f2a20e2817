/**
 * The link machine, read against its diagram: every (state, event) pair of the table below
 * is one pure `transition()` (no actor, no port called), checked for the state it leads to
 * and the named actions it asks for; then a few runs of a real actor, with fake timers for
 * the flush timeout, check what the ports see.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActor, initialTransition, transition, waitFor, type AnyEventObject } from 'xstate';
import {
  FLUSH_TIMEOUT_MS,
  linkMachine,
  linkState,
  type LinkEvent,
  type LinkMachineContext,
  type LinkPorts,
  type LinkSnapshot,
} from '../../src/machines/link.machine.js';
import { untouchablePorts } from '../support/machines.js';

/** Ports that must never be called: a pure transition executes nothing. */
const untouchable = untouchablePorts<LinkPorts>();

type StateValue = LinkSnapshot['value'];

/** A link snapshot at `value`, with context fields as given. */
function at(value: StateValue, context: Partial<LinkMachineContext> = {}): LinkSnapshot {
  return linkMachine.resolveState({
    value,
    context: { name: 'nats', ports: untouchable, withdrawn: false, disconnects: 0, error: undefined, ...context },
  });
}

/** The named actions (not XState's own: spawning, timers) and their params, in order. */
function named(actions: readonly { type: string; params?: unknown }[]): unknown[] {
  return actions.filter((a) => !a.type.startsWith('xstate.')).map((a) => (a.params === undefined ? a.type : { [a.type]: a.params }));
}

const refused = new Error('refused');
/** Events XState makes itself: the invoked actors' outcomes and the flush timeout. */
const done = (id: string): AnyEventObject => ({ type: `xstate.done.actor.${id}`, output: undefined, actorId: id });
const failed = (id: string, error: unknown): AnyEventObject => ({ type: `xstate.error.actor.${id}`, error, actorId: id });
const flushTimeout: AnyEventObject = { type: 'xstate.after.flushTimeout.link.closing.flushing' };

const up = { open: 'up' } as const;
const down = { open: 'down' } as const;
const connecting = { open: 'connecting' } as const;
const failedState = { open: 'failed' } as const;
const flushing = { closing: 'flushing' } as const;
const disconnecting = { closing: 'disconnecting' } as const;

interface Row {
  /** What the row says, as the diagram would. */
  what: string;
  from: LinkSnapshot;
  event: LinkEvent | AnyEventObject;
  to: StateValue;
  actions: unknown[];
  context?: Partial<LinkMachineContext>;
}

const rows: Row[] = [
  { what: 'connecting --connected--> up, serving', from: at(connecting), event: done('connect'), to: up, actions: [{ linkUp: { again: false, serve: true } }] },
  {
    what: 'connecting --connect failed--> failed, with the error',
    from: at(connecting),
    event: failed('connect', refused),
    to: failedState,
    actions: [],
    context: { error: refused },
  },
  { what: 'connecting --link.close--> closing, without a flush', from: at(connecting), event: { type: 'link.close' }, to: disconnecting, actions: ['endLink'] },
  {
    what: 'connecting --link.withdraw--> connecting, withdrawn',
    from: at(connecting),
    event: { type: 'link.withdraw' },
    to: connecting,
    actions: ['withdraw'],
    context: { withdrawn: true },
  },
  {
    what: 'connecting, withdrawn --connected--> up, not serving',
    from: at(connecting, { withdrawn: true }),
    event: done('connect'),
    to: up,
    actions: [{ linkUp: { again: false, serve: false } }],
  },
  { what: 'up --link.down--> down, counted', from: at(up), event: { type: 'link.down' }, to: down, actions: ['linkDown'], context: { disconnects: 1 } },
  { what: 'up ignores link.up', from: at(up), event: { type: 'link.up' }, to: up, actions: [] },
  {
    what: 'up --link.ended--> failed: remote requests end',
    from: at(up),
    event: { type: 'link.ended', error: refused },
    to: failedState,
    actions: ['linkDown'],
    context: { error: refused, disconnects: 0 },
  },
  { what: 'up --link.close--> closing, flushing first', from: at(up), event: { type: 'link.close' }, to: flushing, actions: ['endLink'] },
  { what: 'up --link.withdraw--> up, withdrawn', from: at(up), event: { type: 'link.withdraw' }, to: up, actions: ['withdraw'], context: { withdrawn: true } },
  { what: 'a second link.withdraw does nothing', from: at(up, { withdrawn: true }), event: { type: 'link.withdraw' }, to: up, actions: [] },
  {
    what: 'down --link.up--> up again, serving',
    from: at(down, { disconnects: 1 }),
    event: { type: 'link.up' },
    to: up,
    actions: [{ linkUp: { again: true, serve: true } }],
  },
  {
    what: 'down, withdrawn --link.up--> up again, not serving',
    from: at(down, { disconnects: 2, withdrawn: true }),
    event: { type: 'link.up' },
    to: up,
    actions: [{ linkUp: { again: true, serve: false } }],
  },
  { what: 'down ignores link.down', from: at(down, { disconnects: 1 }), event: { type: 'link.down' }, to: down, actions: [], context: { disconnects: 1 } },
  {
    what: 'down --link.ended--> failed (requests ended already)',
    from: at(down),
    event: { type: 'link.ended', error: refused },
    to: failedState,
    actions: [],
    context: { error: refused },
  },
  { what: 'down --link.withdraw--> down, withdrawn', from: at(down), event: { type: 'link.withdraw' }, to: down, actions: ['withdraw'], context: { withdrawn: true } },
  { what: 'down --link.close--> closing, without a flush', from: at(down), event: { type: 'link.close' }, to: disconnecting, actions: ['endLink'] },
  { what: 'failed ignores link.up', from: at(failedState), event: { type: 'link.up' }, to: failedState, actions: [] },
  { what: 'failed --link.withdraw--> failed, withdrawn', from: at(failedState), event: { type: 'link.withdraw' }, to: failedState, actions: ['withdraw'] },
  { what: 'failed --link.close--> closing, without a flush', from: at(failedState), event: { type: 'link.close' }, to: disconnecting, actions: ['endLink'] },
  { what: 'flushing --flushed--> disconnecting', from: at(flushing), event: done('flush'), to: disconnecting, actions: [] },
  { what: 'flushing --flush failed--> disconnecting', from: at(flushing), event: failed('flush', refused), to: disconnecting, actions: [] },
  { what: 'flushing --flushTimeout--> disconnecting', from: at(flushing), event: flushTimeout, to: disconnecting, actions: [] },
  { what: 'closing ignores link.close', from: at(flushing), event: { type: 'link.close' }, to: flushing, actions: [] },
  { what: 'closing ignores link.withdraw', from: at(disconnecting), event: { type: 'link.withdraw' }, to: disconnecting, actions: [], context: { withdrawn: false } },
  { what: 'closing ignores link.ended', from: at(disconnecting), event: { type: 'link.ended', error: refused }, to: disconnecting, actions: [], context: { error: undefined } },
  { what: 'disconnecting --disconnected--> closed', from: at(disconnecting), event: done('disconnect'), to: 'closed', actions: [] },
  { what: 'disconnecting --disconnect failed--> closed', from: at(disconnecting), event: failed('disconnect', refused), to: 'closed', actions: [] },
];

describe('link machine: transitions', () => {
  it('starts connecting, with the connect actor invoked and nothing else asked', () => {
    const [snapshot, actions] = initialTransition(linkMachine, { name: 'nats', ports: untouchable });
    expect(snapshot.value).toEqual(connecting);
    expect(linkState(snapshot)).toBe('connecting');
    expect(snapshot.context).toMatchObject({ withdrawn: false, disconnects: 0, error: undefined });
    expect(actions.map((a) => a.type)).toEqual(['xstate.spawnChild']);
    expect(named(actions)).toEqual([]);
  });

  it.each(rows.map((row) => [row.what, row] as const))('%s', (_what, row) => {
    const [next, actions] = transition(linkMachine, row.from, row.event as LinkEvent);
    expect(next.value).toEqual(row.to);
    expect(named(actions)).toEqual(row.actions);
    if (row.context !== undefined) expect(next.context).toMatchObject(row.context);
  });

  it('ends only in closed, and reads each state as its lifecycle name', () => {
    expect(transition(linkMachine, at(disconnecting), done('disconnect') as unknown as LinkEvent)[0].status).toBe('done');
    expect(
      [connecting, up, down, failedState, flushing, disconnecting, 'closed' as const].map((value) => linkState(at(value))),
    ).toEqual(['connecting', 'up', 'down', 'failed', 'closing', 'closing', 'closed']);
    for (const row of rows) if (row.to !== 'closed') expect(transition(linkMachine, row.from, row.event as LinkEvent)[0].status).toBe('active');
  });

  it('waits for the flush at most FLUSH_TIMEOUT_MS', () => {
    const [, actions] = transition(linkMachine, at(up), { type: 'link.close' });
    const timer = actions.find((a) => a.type === 'xstate.raise') as { params: { delay: number; event: AnyEventObject } } | undefined;
    expect(timer?.params.delay).toBe(FLUSH_TIMEOUT_MS);
    expect(timer?.params.event.type).toBe(flushTimeout.type);
  });
});

/** A running link whose ports record what they are asked; `connect` and `flush` as given. */
function running(options: { connect?: (signal: AbortSignal) => Promise<void>; flush?: () => Promise<void> } = {}) {
  const calls: string[] = [];
  const ports: LinkPorts = {
    connect: (signal) => (calls.push('connect'), (options.connect ?? (() => Promise.resolve()))(signal)),
    linkUp: ({ again, serve }) => void calls.push(`up again=${again} serve=${serve}`),
    linkDown: () => void calls.push('down'),
    withdraw: () => void calls.push('withdraw'),
    end: () => void calls.push('end'),
    flush: () => (calls.push('flush'), (options.flush ?? (() => Promise.resolve()))()),
    disconnect: async () => void calls.push('disconnect'),
  };
  const actor = createActor(linkMachine, { input: { name: 'nats', ports } }).start();
  return { actor, calls };
}

describe('link machine: runs', () => {
  afterEach(() => vi.useRealTimers());

  it('connects, goes down and up again, withdraws once, and closes flushing first', async () => {
    const { actor, calls } = running();
    await waitFor(actor, (s) => linkState(s) === 'up');
    actor.send({ type: 'link.down' });
    actor.send({ type: 'link.up' });
    actor.send({ type: 'link.withdraw' });
    actor.send({ type: 'link.withdraw' });
    actor.send({ type: 'link.down' });
    actor.send({ type: 'link.up' });
    expect(actor.getSnapshot().context).toMatchObject({ disconnects: 2, withdrawn: true });
    actor.send({ type: 'link.close' });
    await waitFor(actor, (s) => s.status === 'done');
    expect(calls).toEqual([
      'connect',
      'up again=false serve=true',
      'down',
      'up again=true serve=true',
      'withdraw',
      'down',
      'up again=true serve=false',
      'end',
      'flush',
      'disconnect',
    ]);
  });

  it('fails when the first connect fails, and still closes, without a flush', async () => {
    const { actor, calls } = running({ connect: () => Promise.reject(refused) });
    await waitFor(actor, (s) => linkState(s) === 'failed');
    expect(actor.getSnapshot().context.error).toBe(refused);
    actor.send({ type: 'link.close' });
    await waitFor(actor, (s) => s.status === 'done');
    expect(calls).toEqual(['connect', 'end', 'disconnect']);
  });

  it('aborts the connect when the link closes while connecting', async () => {
    let seen: AbortSignal | undefined;
    const { actor, calls } = running({ connect: (signal) => ((seen = signal), new Promise<void>(() => undefined)) });
    expect(seen?.aborted).toBe(false);
    actor.send({ type: 'link.close' });
    expect(seen?.aborted).toBe(true);
    await waitFor(actor, (s) => s.status === 'done');
    expect(calls).toEqual(['connect', 'end', 'disconnect']);
  });

  it('disconnects after FLUSH_TIMEOUT_MS when the flush never ends', async () => {
    vi.useFakeTimers();
    const { actor, calls } = running({ flush: () => new Promise<void>(() => undefined) });
    await vi.waitFor(() => expect(linkState(actor.getSnapshot())).toBe('up'));
    actor.send({ type: 'link.close' });
    expect(actor.getSnapshot().value).toEqual(flushing);
    await vi.advanceTimersByTimeAsync(FLUSH_TIMEOUT_MS - 1);
    expect(calls).not.toContain('disconnect');
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.slice(-3)).toEqual(['end', 'flush', 'disconnect']);
    await vi.waitFor(() => expect(actor.getSnapshot().status).toBe('done'));
  });
});
