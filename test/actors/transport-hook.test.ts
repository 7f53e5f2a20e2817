import { afterEach, describe, expect, it } from 'vitest';
import { BusError, RequestMsg, ServiceError, SimpleStringTvf, type Provider, type Prosa, type Transport, type TransportHost, type Tvf } from '../../src/index.js';
import { deferred, sleep, testBus } from '../support/bus.js';

let bus: Prosa | undefined;
afterEach(async () => {
  await bus?.stop();
  bus = undefined;
});

/** A remote provider that answers every request with the tag of where it went. */
class TaggingRemote implements Provider {
  readonly remote = true;
  accepting = true;
  inFlight = 0;
  inFlightHead: RequestMsg | null = null;
  readonly maxInFlight = 100;
  readonly instances = ['far'];
  constructor(readonly processor: string) {}
  deliver(msg: RequestMsg): void {
    queueMicrotask(() => msg.respond(tagged(this.processor)));
  }
  onIdle(): void {}
}

function tagged(tag: string): Tvf {
  const tvf = new SimpleStringTvf();
  tvf.putString(1, tag);
  return tvf;
}

const tagOf = (tvf: Tvf) => tvf.getString(1);

/** A transport that records its lifecycle and hands its host to the test. */
class RecordingTransport implements Transport {
  readonly calls: string[] = [];
  host: TransportHost | undefined;
  constructor(readonly name = 'fake') {}
  async start(host: TransportHost): Promise<void> {
    this.host = host;
    this.calls.push('start');
  }
  withdraw(): void {
    this.calls.push('withdraw');
  }
  async close(): Promise<void> {
    this.calls.push('close');
  }
}

function localTagger(bus: Prosa, name: string, service = 'S') {
  return bus.processor(name, { services: [service], adaptor: { processRequest: () => tagged(name) } });
}

/** A local provider of S, `near`, with room for one request, held until `release()` is called. */
function gatedLocal(bus: Prosa): () => void {
  const gate = deferred();
  bus.processor('near', {
    services: ['S'],
    queue: { maxInFlight: 1 },
    adaptor: { processRequest: async () => (await gate.promise, tagged('near')) },
  });
  return () => gate.resolve();
}

async function tableSettled(bus: Prosa): Promise<void> {
  await new Promise<void>((resolve) => bus.events.on('table', function once() {
    bus.events.off('table', once);
    resolve();
  }));
}

describe('bus: transport hook', () => {
  it('starts an attached transport with the bus, withdraws it first on stop and closes it last', async () => {
    bus = testBus();
    const transport = new RecordingTransport();
    bus.attachTransport(transport);
    expect(transport.calls).toEqual([]);
    await bus.start();
    expect(transport.calls).toEqual(['start']);
    expect(transport.host?.name).toBe('test');
    let stateAtWithdraw: string | undefined;
    transport.withdraw = () => void (stateAtWithdraw = bus!.state, transport.calls.push('withdraw'));
    await bus.stop();
    expect(stateAtWithdraw).toBe('running');
    expect(transport.calls).toEqual(['start', 'withdraw', 'close']);
    await bus.stop();
    expect(transport.calls).toEqual(['start', 'withdraw', 'close']);
  });

  it('refuses a second transport of the same name, and any transport once stopped', async () => {
    bus = testBus();
    bus.attachTransport(new RecordingTransport('t'));
    expect(() => bus!.attachTransport(new RecordingTransport('t'))).toThrow(BusError);
    await bus.stop();
    expect(() => bus!.attachTransport(new RecordingTransport('u'))).toThrow(/stopped/);
  });

  it('rejects start() when the transport fails to start', async () => {
    bus = testBus();
    const transport = new RecordingTransport();
    transport.start = () => Promise.reject(new Error('no server'));
    bus.attachTransport(transport);
    await expect(bus.start()).rejects.toThrow('no server');
  });

  it('adds and removes remote providers through Main, listed as remote in services({ detail: true })', async () => {
    bus = testBus();
    const transport = new RecordingTransport();
    bus.attachTransport(transport);
    localTagger(bus, 'near');
    await bus.start();
    const remote = new TaggingRemote('fake');
    transport.host!.addRemote('S', remote);
    transport.host!.addRemote('R', remote);
    transport.host!.addRemote('R', remote);
    await tableSettled(bus);
    expect(bus.services()).toEqual({ S: ['near', 'fake'], R: ['fake'] });
    expect(bus.services({ detail: true })).toEqual({
      S: [
        { processor: 'near', remote: false },
        { processor: 'fake', remote: true, instances: ['far'] },
      ],
      R: [{ processor: 'fake', remote: true, instances: ['far'] }],
    });
    expect(bus.serviceTable.localServices()).toEqual(['S']);
    expect(tagOf(await bus.request('R', tagged('x')))).toBe('fake');
    transport.host!.removeRemote('R', remote);
    await tableSettled(bus);
    expect(bus.services()).toEqual({ S: ['near', 'fake'] });
    const error = await bus.request('R', tagged('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).kind).toBe('unreachable');
  });

  it('prefers local providers under local-first, and remote ones under spread', async () => {
    bus = testBus();
    const transport = new RecordingTransport();
    bus.attachTransport(transport);
    localTagger(bus, 'near-1');
    localTagger(bus, 'near-2');
    await bus.start();
    const remote = new TaggingRemote('fake');
    transport.host!.addRemote('S', remote);
    await tableSettled(bus);

    const tags = async (n: number) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(tagOf(await bus!.request('S', tagged('x'))));
      return out.sort();
    };
    expect(bus.serviceTable.routing).toBe('local-first');
    expect(await tags(4)).toEqual(['near-1', 'near-1', 'near-2', 'near-2']);

    remote.accepting = false; // e.g. the link is down: spread falls back to local
    transport.host!.setRouting('spread');
    expect(await tags(2)).toEqual(['near-1', 'near-2']);
    remote.accepting = true;
    expect(await tags(3)).toEqual(['fake', 'fake', 'fake']);

    transport.host!.setRouting('local-first');
    expect(await tags(2)).toEqual(['near-1', 'near-2']);
  });

  it('sends to a remote provider under local-first when every local one is full', async () => {
    bus = testBus();
    const transport = new RecordingTransport();
    bus.attachTransport(transport);
    const release = gatedLocal(bus);
    await bus.start();
    transport.host!.addRemote('S', new TaggingRemote('fake'));
    await tableSettled(bus);
    const first = bus.request('S', tagged('x'));
    expect(tagOf(await bus.request('S', tagged('x')))).toBe('fake');
    release();
    expect(tagOf(await first)).toBe('near');
  });

  it('serves requestLocal with local providers only, never a remote one', async () => {
    bus = testBus();
    const transport = new RecordingTransport();
    bus.attachTransport(transport);
    const release = gatedLocal(bus);
    await bus.start();
    const host = transport.host!;
    host.addRemote('S', new TaggingRemote('fake'));
    host.addRemote('ONLY-REMOTE', new TaggingRemote('fake'));
    await tableSettled(bus);
    host.setRouting('spread');
    const first = host.requestLocal('S', tagged('x'), 1000, 'far/caller');
    const full = await host.requestLocal('S', tagged('x'), 1000, 'far/caller').catch((e: unknown) => e);
    expect((full as ServiceError).kind).toBe('overloaded');
    const none = await host.requestLocal('ONLY-REMOTE', tagged('x'), 1000, 'far/caller').catch((e: unknown) => e);
    expect((none as ServiceError).kind).toBe('unreachable');
    release();
    expect(tagOf(await first)).toBe('near');
    const unknown = await host.requestLocal('NOBODY', tagged('x'), 1000, 'far').catch((e: unknown) => e);
    expect((unknown as ServiceError).kind).toBe('unreachable');
  });

  it('starts a transport attached to a running bus at once, and detaches it', async () => {
    bus = testBus();
    await bus.start();
    const transport = new RecordingTransport();
    const detach = bus.attachTransport(transport);
    await sleep(0);
    expect(transport.calls).toEqual(['start']);
    await detach();
    expect(transport.calls).toEqual(['start', 'withdraw', 'close']);
    await bus.stop();
    expect(transport.calls).toEqual(['start', 'withdraw', 'close']);
  });
});
