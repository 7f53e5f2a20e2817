import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActor } from 'xstate';
import { peerMachine, type PeerPorts } from '../../src/machines/peer.machine.js';

function peer(timeoutMs = 300) {
  const calls: string[] = [];
  const ports: PeerPorts = {
    withdrawServices: (instance) => void calls.push(`withdraw:${instance}`),
    endInFlight: (instance, why) => void calls.push(`end:${instance}:${why}`),
  };
  const actor = createActor(peerMachine, { input: { instance: 'b', peerTimeoutMs: timeoutMs, ports } }).start();
  return { actor, calls };
}

describe('peer machine', () => {
  afterEach(() => vi.useRealTimers());

  it('stays alive while heartbeats come within the timeout, and is lost once they stop', () => {
    vi.useFakeTimers();
    const { actor, calls } = peer(300);
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(250);
      actor.send({ type: 'peer.heartbeat' });
    }
    expect(actor.getSnapshot().value).toBe('alive');
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(299);
    expect(actor.getSnapshot().value).toBe('alive');
    vi.advanceTimersByTime(1);
    expect(actor.getSnapshot().value).toBe('lost');
    expect(actor.getSnapshot().status).toBe('done');
    expect(calls).toEqual(['withdraw:b', 'end:b:lost']);
  });

  it('withdraws the services at once on bye, and ends what is left when gone', () => {
    vi.useFakeTimers();
    const { actor, calls } = peer(300);
    actor.send({ type: 'peer.bye' });
    expect(actor.getSnapshot().matches('leaving')).toBe(true);
    expect(calls).toEqual(['withdraw:b']);
    vi.advanceTimersByTime(200);
    actor.send({ type: 'peer.heartbeat' });
    vi.advanceTimersByTime(200);
    expect(actor.getSnapshot().matches('leaving')).toBe(true);
    actor.send({ type: 'peer.gone' });
    expect(actor.getSnapshot().value).toBe('gone');
    expect(calls).toEqual(['withdraw:b', 'withdraw:b', 'end:b:gone']);
  });

  it('is lost when a leaving peer falls silent without saying gone', () => {
    vi.useFakeTimers();
    const { actor, calls } = peer(300);
    actor.send({ type: 'peer.bye' });
    vi.advanceTimersByTime(300);
    expect(actor.getSnapshot().value).toBe('lost');
    expect(calls).toEqual(['withdraw:b', 'withdraw:b', 'end:b:lost']);
  });

  it('goes straight to gone from alive', () => {
    const { actor, calls } = peer();
    actor.send({ type: 'peer.gone' });
    expect(actor.getSnapshot().value).toBe('gone');
    expect(calls).toEqual(['withdraw:b', 'end:b:gone']);
  });
});
