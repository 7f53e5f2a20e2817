import { describe, expect, it, vi, afterEach } from 'vitest';
import { createActor } from 'xstate';
import { mainMachine, type MainPorts } from '../../src/machines/main.machine.js';

function fakePorts() {
  const calls: string[] = [];
  const ports: MainPorts = {
    startProcessors: () => void calls.push('startAll'),
    startProcessor: (p) => void calls.push(`start:${p}`),
    registerServices: (p) => void calls.push(`register:${p}`),
    unregisterServices: (p) => void calls.push(`unregister:${p}`),
    shutdownProcessors: (reason) => void calls.push(`shutdown:${reason}`),
    release: () => void calls.push('release'),
  };
  return { ports, calls };
}

describe('main machine', () => {
  afterEach(() => vi.useRealTimers());

  it('runs at once when there is no processor, and stops at once', () => {
    const { ports, calls } = fakePorts();
    const main = createActor(mainMachine, { input: { name: 'm', stopTimeoutMs: 100, processors: 0, ports } }).start();
    expect(main.getSnapshot().value).toBe('running');
    main.send({ type: 'main.stop', reason: 'bye' });
    expect(main.getSnapshot().value).toBe('stopped');
    expect(calls).toEqual(['startAll', 'shutdown:bye', 'release']);
  });

  it('waits for every processor to settle its first start', () => {
    const { ports } = fakePorts();
    const main = createActor(mainMachine, { input: { name: 'm', stopTimeoutMs: 100, processors: 2, ports } }).start();
    expect(main.getSnapshot().value).toBe('starting');
    main.send({ type: 'proc.settled', processor: 'a' });
    expect(main.getSnapshot().value).toBe('starting');
    main.send({ type: 'proc.settled', processor: 'b' });
    expect(main.getSnapshot().value).toBe('running');
  });

  it('waits for the processors added while starting too', () => {
    const { ports } = fakePorts();
    const main = createActor(mainMachine, { input: { name: 'm', stopTimeoutMs: 100, processors: 1, ports } }).start();
    main.send({ type: 'proc.added', processor: 'b' });
    main.send({ type: 'proc.settled', processor: 'b' });
    expect(main.getSnapshot().value).toBe('starting');
    main.send({ type: 'proc.settled', processor: 'a' });
    expect(main.getSnapshot().value).toBe('running');
  });

  it('starts processors added while running, and unregisters them when they end', () => {
    const { ports, calls } = fakePorts();
    const main = createActor(mainMachine, { input: { name: 'm', stopTimeoutMs: 100, processors: 0, ports } }).start();
    main.send({ type: 'proc.added', processor: 'x' });
    expect(calls).toContain('start:x');
    expect(main.getSnapshot().context.live).toBe(1);
    main.send({ type: 'proc.ended', processor: 'x' });
    expect(calls).toContain('unregister:x');
    expect(main.getSnapshot().context.live).toBe(0);
  });

  it('routes registrations to its ports in any state', () => {
    const { ports, calls } = fakePorts();
    const main = createActor(mainMachine, { input: { name: 'm', stopTimeoutMs: 100, processors: 1, ports } }).start();
    main.send({ type: 'prosa.register', processor: 'a' });
    main.send({ type: 'prosa.unregister', processor: 'a' });
    expect(calls).toEqual(['startAll', 'register:a', 'unregister:a']);
  });

  it('stops once every processor ended', () => {
    const { ports } = fakePorts();
    const main = createActor(mainMachine, { input: { name: 'm', stopTimeoutMs: 100, processors: 2, ports } }).start();
    main.send({ type: 'main.stop', reason: 'r' });
    expect(main.getSnapshot().value).toBe('stopping');
    main.send({ type: 'proc.ended', processor: 'a' });
    expect(main.getSnapshot().value).toBe('stopping');
    main.send({ type: 'proc.ended', processor: 'b' });
    expect(main.getSnapshot().value).toBe('stopped');
  });

  it('stops after stopTimeoutMs even if a processor never ends', async () => {
    vi.useFakeTimers();
    const { ports, calls } = fakePorts();
    const main = createActor(mainMachine, { input: { name: 'm', stopTimeoutMs: 100, processors: 1, ports } }).start();
    main.send({ type: 'main.stop', reason: 'r' });
    await vi.advanceTimersByTimeAsync(99);
    expect(main.getSnapshot().value).toBe('stopping');
    await vi.advanceTimersByTimeAsync(1);
    expect(main.getSnapshot().value).toBe('stopped');
    expect(calls).toContain('release');
  });
});
