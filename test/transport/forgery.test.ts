/**
 * An attacker with a plain NATS client on the same server as the instances, and no
 * server-side security to stop it: what prosa itself refuses (docs/transport.md,
 * "Security"). Forged or replayed announcements must not take a live instance's services
 * away, replies must come from an instance that serves, and floods of fake peers and
 * services stay bounded.
 */
import { connect, headers, type Msg, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SimpleStringTvf, type Prosa, type Tvf } from '../../src/index.js';
import { natsTransport, type NatsTransport } from '../../src/transport/index.js';
import { captureLogs } from '../support/log-capture.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { sleep, until, testBus } from '../support/bus.js';
import { FakeInstance, legacyAnnouncement, type Wire } from './support/attacker.js';

let server: NatsServer;
let attacker: NatsConnection;
const buses: Prosa[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  attacker = await connect({ servers: server.url });
});

afterEach(async () => {
  await Promise.all(buses.map((bus) => bus.stop()));
  buses.length = 0;
});

afterAll(async () => {
  await attacker?.close();
  await server?.stop();
});

function text(value: string): SimpleStringTvf {
  const tvf = new SimpleStringTvf();
  tvf.putString(1, value);
  return tvf;
}

type Reply = (request: Tvf) => Tvf | Promise<Tvf>;

function bus(name: string, services: Record<string, Reply>, options: { logger?: Logger; heartbeatMs?: number } = {}) {
  const prosa = testBus({ name, shutdown: { graceMs: 100, terminateTimeoutMs: 50 } });
  for (const [service, reply] of Object.entries(services)) {
    prosa.processor(`${name}-${service}`, { services: [service], adaptor: { processRequest: (_s, request) => reply(request) } });
  }
  const transport = natsTransport({ servers: [server.url], heartbeatMs: options.heartbeatMs ?? 50, logger: options.logger });
  prosa.attachTransport(transport);
  buses.push(prosa);
  return { prosa, transport };
}


function publish(wire: Wire | Uint8Array, subject = 'prosa.ctl'): void {
  if (wire instanceof Uint8Array) attacker.publish(subject, wire);
  else attacker.publish(subject, wire.data, { headers: wire.headers });
}

/** Copies every message on `prosa.ctl` that `transport`'s instance sent. */
function capture(transport: NatsTransport): Msg[] {
  const seen: Msg[] = [];
  attacker.subscribe('prosa.ctl', {
    callback: (error, message) => {
      if (error !== null) return;
      try {
        if ((JSON.parse(new TextDecoder().decode(message.data)) as { instance?: string }).instance === transport.instance) seen.push(message);
      } catch {
        // not JSON
      }
    },
  });
  return seen;
}

function copy(message: Msg, body?: (parsed: Record<string, unknown>) => Record<string, unknown>): Wire {
  const h = headers();
  for (const [key, values] of message.headers ?? []) h.set(key, values[0]!);
  if (body === undefined) return { data: message.data, headers: h };
  const parsed = JSON.parse(new TextDecoder().decode(message.data)) as Record<string, unknown>;
  return { data: new TextEncoder().encode(JSON.stringify(body(parsed))), headers: h };
}

describe('NATS transport under attack: announcements', () => {
  it("a forged, re-signed or replayed bye, gone or heartbeat does not take a live instance's services away", async () => {
    const a = bus('a', {});
    const b = bus('b', { ECHO: (r) => r });
    const seen = capture(b.transport);
    await attacker.flush();
    await Promise.all([a.prosa.start(), b.prosa.start()]);
    await until(() => a.prosa.services()['ECHO'] !== undefined);
    // b serves a second service: announcements from before it lack it
    const before = seen.length;
    b.prosa.processor('b-OTHER', { services: ['OTHER'], adaptor: { processRequest: (_s, r) => r } });
    await until(() => a.prosa.services()['OTHER'] !== undefined && seen.length > before + 2);
    // every change a sees of b, even one undone by b's next heartbeat
    const peerStates: string[] = [];
    a.transport.events.on('peer', (peer) => {
      if (peer.instance === b.transport.instance) peerStates.push(`${peer.state}:${peer.services.join(',')}`);
    });

    const id = b.transport.instance!;
    const impostor = new FakeInstance('b');
    const old = seen[0]!; // a heartbeat or hello with ECHO only
    const latest = seen[seen.length - 1]!;
    for (const kind of ['bye', 'gone', 'heartbeat']) {
      publish(legacyAnnouncement(kind, id, 'b', [])); // the unsigned form of version 1
      publish({ data: copy(latest, (body) => ({ ...body, kind, services: [] })).data }); // no signature at all
      publish(copy(latest, (body) => ({ ...body, kind, services: [], seq: Number(body['seq']) + 1 }))); // b's signature, another body
      publish(impostor.announce(kind, [], { instance: id })); // signed, but with another key than b's
      publish(impostor.announce(kind, [], { instance: id, key: JSON.parse(new TextDecoder().decode(latest.data)).key })); // b's key, the impostor's signature
    }
    publish(copy(old)); // replayed as it was: a heartbeat without OTHER
    publish(copy(latest)); // replayed: the same seq again
    await attacker.flush();
    await sleep(200);

    expect(peerStates).toEqual([]);
    expect(a.transport.peers().find((peer) => peer.instance === id)).toMatchObject({ state: 'alive', services: ['ECHO', 'OTHER'] });
    expect(a.transport.stats()!.refused.announcements).toBeGreaterThanOrEqual(17);
    // b itself is still served
    expect((await a.prosa.request('OTHER', text('still here'))).getString(1)).toBe('still here');
  });

  it('takes a peer that claims an existing name for another instance, never for the one it names', async () => {
    const a = bus('a', {});
    const b = bus('b', { ECHO: (r) => r });
    await Promise.all([a.prosa.start(), b.prosa.start()]);
    await until(() => a.prosa.services()['ECHO'] !== undefined);
    const impostor = new FakeInstance('b');
    publish(impostor.announce('hello', ['ECHO']));
    publish(impostor.announce('bye', []));
    await until(() => a.transport.peers().some((peer) => peer.instance === impostor.instance && peer.state === 'leaving'));
    const real = a.transport.peers().find((peer) => peer.instance === b.transport.instance);
    expect(real).toMatchObject({ name: 'b', state: 'alive', services: ['ECHO'] });
    expect(impostor.instance).not.toBe(b.transport.instance);
    expect(a.prosa.services({ detail: true })['ECHO']).toEqual([{ processor: 'nats', remote: true, instances: [b.transport.instance] }]);
  });
});

describe('NATS transport under attack: replies', () => {
  it("ignores replies sprayed on another instance's reply subjects, and acknowledgements and errors from instances it does not follow", async () => {
    const a = bus('a', {});
    const b = bus('b', {
      SLOW: async () => {
        await sleep(300);
        return text('genuine');
      },
    });
    // the attacker learns the instance ids from the announcements...
    const ids = new Set<string>();
    attacker.subscribe('prosa.ctl', {
      callback: (_error, message) => {
        try {
          ids.add((JSON.parse(new TextDecoder().decode(message.data)) as { instance: string }).instance);
        } catch {
          // not JSON
        }
      },
    });
    // ...and, reading the requests, answers each at once with an error: in no instance's
    // name, and in the name of an instance of its own that nobody follows
    const stranger = new FakeInstance('b');
    attacker.subscribe('prosa.svc.>', {
      callback: (_error, message) => {
        if (message.reply === undefined) return;
        for (const instance of ['', stranger.instance]) {
          const h = headers();
          h.set('prosa-error', 'unreachable');
          h.set('prosa-error-message', 'forged');
          if (instance !== '') h.set('prosa-instance', instance);
          attacker.publish(message.reply, new Uint8Array(0), { headers: h });
        }
      },
    });
    await attacker.flush();
    await Promise.all([a.prosa.start(), b.prosa.start()]);
    await until(() => a.prosa.services()['SLOW'] !== undefined && ids.has(a.transport.instance!));
    const pending = a.prosa.request('SLOW', text('x'), { timeoutMs: 2_000 });
    // guesses reply subjects: the instance it learnt and the next request ids
    for (let id = 0; id < 50; id++) {
      attacker.publish(`prosa.in.${a.transport.instance}.${id}`, new TextEncoder().encode('1;6;forged;'));
    }
    const reply = await pending;
    expect(reply.getString(1)).toBe('genuine');
    expect(a.transport.stats()!.refused.replies).toBeGreaterThanOrEqual(2);
  });
});

describe('NATS transport under attack: floods', () => {
  it('keeps peers and remote services within their bounds under a flood of fake peers, and keeps serving', async () => {
    const logs = captureLogs({ level: 'warn' });
    // heartbeats far enough apart that the work of taking the flood cannot make b look lost
    const a = bus('a', {}, { logger: logs.logger, heartbeatMs: 500 });
    const b = bus('b', { ECHO: (r) => r }, { heartbeatMs: 500 });
    await Promise.all([a.prosa.start(), b.prosa.start()]);
    await until(() => a.prosa.services()['ECHO'] !== undefined);
    const fakes = 1_200; // the default maxPeers is 1000
    for (let i = 0; i < fakes; i++) {
      const services = Array.from({ length: 12 }, (_, j) => `FAKE-${i}-${j}`); // over maxRemoteServices (10000) in all
      const fake = new FakeInstance(`fake${i}`);
      publish(legacyAnnouncement('heartbeat', fake.instance, fake.name, services, 10_000));
      publish(fake.announce('heartbeat', services, {}, 'prosa.ctl', 10_000));
      if (i % 100 === 99) await attacker.flush();
    }
    await attacker.flush();
    await until(() => a.transport.peers().length >= 1_000, 10_000);
    await sleep(300);
    const peers = a.transport.peers();
    expect(peers.length).toBeLessThanOrEqual(1_000);
    expect(a.transport.stats()!.refused).toMatchObject({ peers: expect.any(Number), services: expect.any(Number) });
    expect(a.transport.stats()!.refused.peers).toBeGreaterThan(0);
    expect(a.transport.stats()!.refused.services).toBeGreaterThan(0);
    const remote = peers.reduce((sum, peer) => sum + peer.services.length, 0);
    expect(remote).toBeLessThanOrEqual(10_000);
    expect(Object.keys(a.prosa.services()).length).toBeLessThanOrEqual(10_001);
    expect((await a.prosa.request('ECHO', text('served'), { timeoutMs: 2_000 })).getString(1)).toBe('served');
    // warned, counted, not one line per refused message (thousands of them)
    const warnings = logs.lines().filter((line) => /refused/.test(line.msg ?? ''));
    const refused = a.transport.stats()!.refused;
    expect(refused.announcements + refused.peers + refused.services).toBeGreaterThan(2_000);
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.length).toBeLessThan(20);
  }, 30_000);

  it('answers a burst of hellos with a few heartbeats, not one each', async () => {
    const a = bus('a', { ECHO: (r) => r }, { heartbeatMs: 1_000 });
    await a.prosa.start();
    let fromA = 0;
    attacker.subscribe('prosa.ctl', {
      callback: (_error, message) => {
        if (new TextDecoder().decode(message.data).includes(`"instance":"${a.transport.instance}"`)) fromA++;
      },
    });
    await attacker.flush();
    await sleep(50);
    const before = fromA;
    const hellos = 300;
    for (let i = 0; i < hellos; i++) publish(new FakeInstance(`hello${i}`).announce('hello', []));
    await attacker.flush();
    await until(() => a.transport.peers().length === hellos, 10_000);
    await sleep(100);
    // each hello was taken (a follows every one), but a burst is answered by a heartbeat per event-loop turn
    expect(fromA - before).toBeGreaterThan(0);
    expect(fromA - before).toBeLessThan(hellos / 5);
  }, 20_000);
});

