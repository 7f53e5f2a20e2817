import { describe, expect, it } from 'vitest';
import { createActor, waitFor } from 'xstate';
import { linkMachine, type LinkPorts } from '../../src/machines/link.machine.js';

function link(connect: () => Promise<void> = () => Promise.resolve()) {
  const calls: string[] = [];
  const ports: LinkPorts = {
    connect: () => (calls.push('connect'), connect()),
    linkUp: () => void calls.push('up'),
    linkDown: () => void calls.push('down'),
    withdraw: () => void calls.push('withdraw'),
    close: async () => void calls.push('close'),
  };
  const actor = createActor(linkMachine, { input: { name: 'nats', ports } }).start();
  return { actor, calls };
}

describe('link machine', () => {
  it('connects, goes down and up again, withdraws once and closes', async () => {
    const { actor, calls } = link();
    expect(actor.getSnapshot().value).toBe('connecting');
    await waitFor(actor, (s) => s.value === 'up');
    actor.send({ type: 'link.down' });
    expect(actor.getSnapshot().value).toBe('down');
    actor.send({ type: 'link.up' });
    expect(actor.getSnapshot().value).toBe('up');
    expect(actor.getSnapshot().context.disconnects).toBe(1);
    actor.send({ type: 'link.withdraw' });
    actor.send({ type: 'link.withdraw' });
    expect(actor.getSnapshot().context.withdrawn).toBe(true);
    actor.send({ type: 'link.close' });
    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().value).toBe('closed');
    expect(calls).toEqual(['connect', 'up', 'down', 'up', 'withdraw', 'close']);
  });

  it('fails when the first connect fails, and still closes', async () => {
    const error = new Error('refused');
    const { actor, calls } = link(() => Promise.reject(error));
    await waitFor(actor, (s) => s.value === 'failed');
    expect(actor.getSnapshot().context.error).toBe(error);
    actor.send({ type: 'link.close' });
    await waitFor(actor, (s) => s.status === 'done');
    expect(calls).toEqual(['connect', 'close']);
  });

  it('fails, refusing remote requests, when the client gives up reconnecting', async () => {
    const { actor, calls } = link();
    await waitFor(actor, (s) => s.value === 'up');
    actor.send({ type: 'link.ended', error: 'gave up' });
    expect(actor.getSnapshot().value).toBe('failed');
    expect(actor.getSnapshot().context.error).toBe('gave up');
    expect(calls).toEqual(['connect', 'up', 'down']);
  });

  it('ignores a reconnect notice while up and a disconnect notice while down', async () => {
    const { actor, calls } = link();
    await waitFor(actor, (s) => s.value === 'up');
    actor.send({ type: 'link.up' });
    actor.send({ type: 'link.down' });
    actor.send({ type: 'link.down' });
    expect(calls).toEqual(['connect', 'up', 'down']);
  });
});
