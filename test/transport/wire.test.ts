/**
 * The NATS transport's wire format and edges, with two buses in this process over a
 * real nats-server, watched and driven by a plain NATS client: what a request looks
 * like on the wire, a caller that is not prosa, payloads over the server's limit,
 * garbage on the control subject, bad settings, an unreachable server.
 */
import { connect, headers, type Msg, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { linkState, type LinkSnapshot } from '../../src/machines/link.machine.js';
import { peerState, type PeerSnapshot } from '../../src/machines/peer.machine.js';
import { attachMetrics } from '../../src/observability/index.js';
import { ServiceError, SimpleStringTvf, type Prosa, type Tvf } from '../../src/index.js';
import { natsTransport, TransportError } from '../../src/transport/index.js';
import { freePort, startNatsServer, type NatsServer } from '../support/nats-server.js';
import { sleep, until, testBus } from '../support/bus.js';

let server: NatsServer;
let watcher: NatsConnection;
const buses: Prosa[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  watcher = await connect({ servers: server.url });
});

afterEach(async () => {
  await Promise.all(buses.map((bus) => bus.stop()));
  buses.length = 0;
});

afterAll(async () => {
  await watcher?.close();
  await server?.stop();
});

function text(value: string): SimpleStringTvf {
  const tvf = new SimpleStringTvf();
  tvf.putString(1, value);
  return tvf;
}

/** A bus with one processor per service, each answering with what `reply` makes of the request. */
function bus(name: string, services: Record<string, (request: Tvf) => Tvf>) {
  const prosa = testBus({ name, shutdown: { graceMs: 100, terminateTimeoutMs: 50 } });
  for (const [service, reply] of Object.entries(services)) {
    prosa.processor(`${name}-${service}`, { services: [service], adaptor: { processRequest: (_s, request) => reply(request) } });
  }
  const transport = natsTransport({ servers: [server.url], heartbeatMs: 50 });
  prosa.attachTransport(transport);
  buses.push(prosa);
  return { prosa, transport };
}


async function serviceError(promise: Promise<unknown>): Promise<ServiceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceError);
  return error as ServiceError;
}

describe('NATS transport: wire format', () => {
  it('puts a frame head (version, remaining time, origin) and the TVF text on the wire, with no NATS header', async () => {
    const seen: { subject: string; reply: string; data: string; headers: number }[] = [];
    const tap = watcher.subscribe('prosa.svc.>', {
      callback: (_error, message) => {
        seen.push({
          subject: message.subject,
          reply: message.reply ?? '',
          data: new TextDecoder().decode(message.data),
          headers: message.headers === undefined ? 0 : [...message.headers].length,
        });
      },
    });
    await watcher.flush();
    const a = bus('a', {});
    const b = bus('b', { 'pay.auth': (request) => request });
    await Promise.all([a.prosa.start(), b.prosa.start()]);
    await until(() => a.prosa.services()['pay.auth'] !== undefined);
    const reply = await a.prosa.request('pay.auth', text('hello'), { timeoutMs: 1_500 });
    expect(reply.getString(1)).toBe('hello');
    // the tap's copy travels on its own connection: it may land after the reply
    await until(() => seen.length > 0);
    await sleep(20);
    tap.unsubscribe();
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request!.subject).toBe('prosa.svc.pay%2Eauth');
    expect(request!.headers).toBe(0);
    expect(request!.reply).toMatch(/^prosa\.in\.[A-Za-z0-9_-]{22}\.[0-9]+$/);
    const match = /^prosa2 ([0-9]+) ([^\n]*)\n(.*)$/s.exec(request!.data);
    expect(match, request!.data).not.toBeNull();
    const [, remaining, origin, body] = match!;
    expect(Number(remaining)).toBeGreaterThan(1_400);
    expect(Number(remaining)).toBeLessThanOrEqual(1_500);
    expect(origin).toBe(`${a.transport.instance}/-`);
    expect(body).toBe('1;5;hello;');
  });

  it('answers a frame of another version, or one it cannot read, with a protocol error naming what it reads', async () => {
    const b = bus('b', { ECHO: (request) => request });
    await b.prosa.start();
    const ask = (frame: string) => watcher.request('prosa.svc.ECHO', new TextEncoder().encode(frame), { timeout: 1_000 });
    // b's queue subscription may not have reached the server when start() resolves: ask
    // again while nobody responds
    let good = await ask('prosa2 1000 raw/-\n1;2;hi;').catch((error: unknown) => error);
    for (let i = 0; i < 40 && good instanceof Error && /503|no responders/i.test(String(good)); i++) {
      await sleep(50);
      good = await ask('prosa2 1000 raw/-\n1;2;hi;').catch((error: unknown) => error);
    }
    if (good instanceof Error) throw good;
    expect((good as Msg).headers).toBeUndefined();
    expect(new TextDecoder().decode((good as Msg).data)).toBe('1;2;hi;');
    for (const [frame, why] of [
      ['prosa3 1000 raw/-\n1;2;hi;', /version is "prosa3": this instance reads frame version 2 \('prosa2 <timeout-ms> <origin>'/],
      ['prosa 1000 raw/-\n1;2;hi;', /version is "prosa"/],
      ['prosa2 soon raw/-\n1;2;hi;', /no timeout/],
      [`prosa2 1000 ${'o'.repeat(2_000)}\n1;2;hi;`, /no end of line within its first 1024 bytes/],
      ['prosa2 1000 raw/-\nnot;tvf', /not a TVF text/],
    ] as const) {
      const bad = await ask(frame);
      expect(bad.headers?.get('prosa-error'), frame).toBe('protocol');
      expect(bad.headers?.get('prosa-instance')).toBe(b.transport.instance);
      expect(bad.headers?.get('prosa-error-message'), frame).toMatch(why);
    }
    const late = await ask('prosa2 0 raw/-\n1;2;hi;');
    expect(late.headers?.get('prosa-error')).toBe('timeout');
  });

  it('serves a caller that is not prosa: a plain NATS request with a TVF text and a timeout header', async () => {
    const b = bus('b', { ECHO: (request) => (request.putString(2, 'from b'), request) });
    await b.prosa.start();
    const h = headers();
    h.set('prosa-timeout-ms', '1000');
    // The watcher is another connection: b's queue subscription may not have reached the
    // server yet when start() resolves, so ask again while nobody responds.
    const ask = () => watcher.request('prosa.svc.ECHO', new TextEncoder().encode('1;2;hi;'), { timeout: 1_000, headers: h });
    let reply = await ask().catch((error: unknown) => error);
    for (let i = 0; i < 40 && reply instanceof Error && /503|no responders/i.test(String(reply)); i++) {
      await sleep(50);
      reply = await ask().catch((error: unknown) => error);
    }
    if (reply instanceof Error) throw reply;
    expect(new TextDecoder().decode((reply as { data: Uint8Array }).data)).toBe('1;2;hi;2;6;from b;');
    // without a frame or the header it answers a protocol error, in headers, naming both
    const bad = await watcher.request('prosa.svc.ECHO', new TextEncoder().encode('1;2;hi;'), { timeout: 1_000 });
    expect(bad.headers?.get('prosa-error')).toBe('protocol');
    expect(bad.headers?.get('prosa-error-message')).toMatch(/no frame \('prosa2 <timeout-ms> <origin>'.*prosa-timeout-ms/);
    // a text that is not TVF is a protocol error too
    const garbage = await watcher.request('prosa.svc.ECHO', new TextEncoder().encode('not;tvf'), { timeout: 1_000, headers: h });
    expect(garbage.headers?.get('prosa-error')).toBe('protocol');
    expect(garbage.headers?.get('prosa-instance')).toBe(b.transport.instance);
  });

  it('ends a request or a reply over the server max_payload in a protocol error, at once', async () => {
    const big = 'x'.repeat(1_100_000); // the server's default max_payload is 1 MiB
    const a = bus('a', {});
    const b = bus('b', { ECHO: (request) => request, GROW: () => text(big) });
    await Promise.all([a.prosa.start(), b.prosa.start()]);
    await until(() => a.prosa.services()['GROW'] !== undefined);
    const tooBig = await serviceError(a.prosa.request('ECHO', text(big), { timeoutMs: 5_000 }));
    expect(tooBig.kind).toBe('protocol');
    expect(tooBig.detail).toMatch(/max_payload/);
    const t0 = performance.now();
    const replyTooBig = await serviceError(a.prosa.request('GROW', text('small'), { timeoutMs: 5_000 }));
    expect(replyTooBig.kind).toBe('protocol');
    expect(replyTooBig.processor).toBe(b.transport.instance);
    expect(replyTooBig.detail).toMatch(/reply is larger/);
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect((await a.prosa.request('ECHO', text('still fine'))).getString(1)).toBe('still fine');
  });

  it('ignores what is not an announcement on the control subject', async () => {
    const a = bus('a', {});
    const b = bus('b', { ECHO: (request) => request });
    await Promise.all([a.prosa.start(), b.prosa.start()]);
    watcher.publish('prosa.ctl', new TextEncoder().encode('{"v":1,"kind":"heartbeat"'));
    watcher.publish('prosa.ctl', new TextEncoder().encode('{"v":2,"kind":"heartbeat","instance":"x","name":"x","intervalMs":10,"services":["ECHO"]}'));
    watcher.publish('prosa.ctl', new TextEncoder().encode('[]'));
    await until(() => a.prosa.services()['ECHO'] !== undefined);
    await sleep(100);
    expect(a.transport.peers().map((peer) => peer.name)).toEqual(['b']);
    expect(a.prosa.services({ detail: true })['ECHO']).toEqual([
      { processor: 'nats', remote: true, instances: [b.transport.instance] },
    ]);
  });
});

describe('NATS transport: metrics', () => {
  it('counts the requests sent to another instance apart, in prosa_remote_requests_total', async () => {
    const a = bus('a', { LOCAL: (request) => request });
    const b = bus('b', { ECHO: (request) => request });
    const metrics = attachMetrics(a.prosa);
    try {
      await Promise.all([a.prosa.start(), b.prosa.start()]);
      await until(() => a.prosa.services()['ECHO'] !== undefined);
      await a.prosa.request('ECHO', text('far'));
      await a.prosa.request('ECHO', text('far'));
      await a.prosa.request('LOCAL', text('near'));
      const remote = await metrics.registry.getSingleMetric('prosa_remote_requests_total')!.get();
      const count = (service: string, outcome: string) =>
        remote.values.find((v) => v.labels['service'] === service && v.labels['outcome'] === outcome)?.value;
      expect(count('ECHO', 'response')).toBe(2);
      expect(count('LOCAL', 'response')).toBe(0);
      const all = await metrics.registry.getSingleMetric('prosa_requests_total')!.get();
      expect(all.values.find((v) => v.labels['service'] === 'LOCAL' && v.labels['outcome'] === 'response')?.value).toBe(1);
    } finally {
      metrics.close();
    }
  });
});

describe('NATS transport: inspection', () => {
  it('shows the link and each peer to the XState inspector, with their states', async () => {
    const states: string[] = [];
    const inspect = (event: InspectionEvent) => {
      if (event.type !== '@xstate.snapshot') return;
      const id = (event.actorRef as { id?: string }).id ?? '';
      // the inspector gets the machines' own snapshots; their lifecycle states read as the machines define them
      if (id.startsWith('link:')) states.push(`link:${linkState(event.snapshot as LinkSnapshot)}`);
      if (id.startsWith('peer:')) states.push(`peer:${peerState(event.snapshot as PeerSnapshot)}`);
    };
    const a = testBus({ name: 'a', inspect });
    a.attachTransport(natsTransport({ servers: [server.url], heartbeatMs: 50 }));
    buses.push(a);
    const b = bus('b', { ECHO: (request) => request });
    await Promise.all([a.start(), b.prosa.start()]);
    await until(() => a.services()['ECHO'] !== undefined);
    await b.prosa.stop();
    await until(() => states.includes('peer:gone'));
    expect(states).toContain('link:up');
    expect(states).toContain('peer:alive');
  });
});

describe('NATS transport: settings and start', () => {
  it('names every bad setting in one TransportError', () => {
    let error: unknown;
    try {
      natsTransport({ servers: [], heartbeatMs: 1, prefer: 'nearest' as 'spread', subjectPrefix: 'a..b' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TransportError);
    const message = (error as TransportError).message;
    for (const field of ['servers', 'heartbeatMs', 'prefer', 'subjectPrefix']) expect(message).toContain(field);
    expect((error as TransportError).kind).toBe('InvalidSettings');
    expect((error as TransportError).recoverable).toBe(false);
    expect(() => natsTransport({ servers: ['nats://127.0.0.1:1'], unknownOption: 1 } as never)).toThrow(/unknownOption/);
  });

  it('rejects start() with a recoverable ConnectFailed when no server answers', async () => {
    const port = await freePort();
    const prosa = testBus({ name: 'lonely' });
    buses.push(prosa);
    prosa.attachTransport(natsTransport({ servers: [`nats://127.0.0.1:${port}`], timeout: 500 }));
    const error = await prosa.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).kind).toBe('ConnectFailed');
    expect((error as TransportError).recoverable).toBe(true);
    expect((error as TransportError).message).toContain(String(port));
  });

  it('uses the subject prefix, so instances with another prefix do not see each other', async () => {
    const a = bus('a', {});
    const other = testBus({ name: 'other' });
    other.processor('o', { services: ['ECHO'], adaptor: { processRequest: (_s, r) => r } });
    other.attachTransport(natsTransport({ servers: [server.url], heartbeatMs: 50, subjectPrefix: 'acme.prosa' }));
    buses.push(other);
    await Promise.all([a.prosa.start(), other.start()]);
    await sleep(150);
    expect(a.prosa.services()).toEqual({});
    expect((await serviceError(a.prosa.request('ECHO', text('x')))).kind).toBe('unreachable');
  });
});
