/**
 * Remote request/response over NATS, three ways over the same `nats-server` (started here
 * on a free loopback port), all alive at once in this process, rounds interleaved:
 *
 * - the floor: the bare `nats` client, a caller connection publishing each request with a
 *   reply subject under its own wildcard inbox (a `Map` from request id to its promise)
 *   and a provider connection in a queue group answering `msg.respond(msg.data)`: the
 *   shape prosa's transport has, without the bus;
 * - prosa: two instances (a caller with no provider, a provider that echoes) linked by
 *   the NATS transport;
 * - Moleculer 0.14: two brokers linked by Moleculer's NATS transporter.
 *
 * Each is measured serially (one call awaited at a time) and with 1,000 calls in flight.
 * The payload is the same 10-field record: its TVF text as bytes for the floor (what
 * prosa puts on the wire after its request frame head, docs/transport.md; a reply is that
 * text alone), `makeRecord()` for prosa, `makePayload()` for Moleculer (its JSON
 * serializer). When `nats-server` is not installed the suite prints a note and
 * reports nothing.
 */
import { connect, type NatsConnection } from 'nats';
import { ServiceBroker } from 'moleculer';
import { pino } from 'pino';
import { createProsa, type Prosa, type Tvf } from '../src/index.js';
import { natsTransport } from '../src/transport/index.js';
import { encodeRecord } from '../src/transport/wire.js';
import { findNatsServer, startNatsServer, type NatsServer } from '../test/support/nats-server.js';
import { benchScale, figure, interleave, timed, type BenchFigure, type BenchSuite } from './lib.js';
import { IN_FLIGHT, makePayload, makeRecord, type EchoPayload } from './payload.js';

/** Names of the figures. */
export const NATS_FIGURE = {
  floorSerial: 'bare nats client publish + reply subject, serial',
  floorInFlight: 'bare nats client publish + reply subject, 1000 in flight',
  moleculerSerial: 'moleculer NATS call, serial',
  moleculerInFlight: 'moleculer NATS call, 1000 in flight',
  prosaSerial: 'prosa remote request over NATS, serial',
  prosaInFlight: 'prosa remote request over NATS, 1000 in flight',
} as const;

/** Calls per round in a full run (`--quick` runs a tenth): serial calls cost a round trip each. */
const SERIAL_OPS = 4_000;
const IN_FLIGHT_OPS = 20_000;

/** The floor: two bare connections; `call` publishes with a reply subject and awaits the answer. */
async function startFloor(server: NatsServer) {
  const [caller, provider] = await Promise.all([connect({ servers: server.url }), connect({ servers: server.url })]);
  const subject = 'floor.svc.ECHO';
  const inbox = 'floor.in.caller.';
  provider.subscribe(subject, { queue: subject, callback: (error, msg) => void (error === null && msg.respond(msg.data)) });
  const pending = new Map<number, (data: Uint8Array) => void>();
  caller.subscribe(`${inbox}>`, {
    callback: (error, msg) => {
      if (error !== null) return;
      const id = Number(msg.subject.slice(inbox.length));
      const resolve = pending.get(id);
      if (resolve !== undefined) {
        pending.delete(id);
        resolve(msg.data);
      }
    },
  });
  await Promise.all([caller.flush(), provider.flush()]); // both subscriptions are on the server
  let nextId = 0;
  return {
    call: (data: Uint8Array): Promise<Uint8Array> =>
      new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        caller.publish(subject, data, { reply: inbox + id });
      }),
    stop: () => Promise.all([caller, provider].map((c: NatsConnection) => c.close())),
  };
}

async function startMoleculer(server: NatsServer) {
  const broker = (nodeID: string) =>
    new ServiceBroker({
      nodeID,
      namespace: 'bench',
      logger: false,
      transporter: { type: 'NATS', options: { servers: [server.url] } },
      metrics: false,
      tracing: false,
      skipProcessEventRegistration: true,
    });
  const caller = broker('caller');
  const provider = broker('provider');
  provider.createService({ name: 'echo', actions: { echo: (ctx) => ctx.params } });
  await Promise.all([caller.start(), provider.start()]);
  await caller.waitForServices(['echo'], 10_000);
  return { caller, stop: () => Promise.all([caller.stop(), provider.stop()]) };
}

function prosaInstance(server: NatsServer, name: string, echo: boolean): Prosa {
  const prosa = createProsa({ name, logger: pino({ level: 'silent' }), requestTimeoutMs: 30_000 });
  if (echo) prosa.processor('echo', { services: ['ECHO'], adaptor: { processRequest: (_service, request) => request } });
  prosa.attachTransport(natsTransport({ servers: [server.url], subjectPrefix: 'bench' }));
  return prosa;
}

async function startProsa(server: NatsServer) {
  const caller = prosaInstance(server, 'caller', false);
  const provider = prosaInstance(server, 'provider', true);
  await Promise.all([caller.start(), provider.start()]);
  const deadline = Date.now() + 10_000;
  while (caller.services()['ECHO'] === undefined) {
    if (Date.now() > deadline) throw new Error('the caller never saw the provider');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { caller, stop: () => Promise.all([caller.stop(), provider.stop()]) };
}

async function measure(server: NatsServer, serialOps: number, batches: number): Promise<BenchFigure[]> {
  const floor = await startFloor(server);
  const moleculer = await startMoleculer(server);
  const prosa = await startProsa(server);
  try {
    const record = makeRecord();
    const bytes = encodeRecord(record);
    const payload = makePayload();
    if (Buffer.compare(await floor.call(bytes), bytes) !== 0) throw new Error('the bare client did not echo the bytes');
    if (!(await prosa.caller.request('ECHO', record)).equals(record)) throw new Error('prosa did not echo the record');
    if ((await moleculer.caller.call<EchoPayload, EchoPayload>('echo.echo', payload)).pan !== payload.pan) {
      throw new Error('moleculer did not echo the payload');
    }

    // One loop per system (not one loop taking a `call`), so each call site stays
    // monomorphic; prosa is listed between its two peers, so it always runs next to each.
    const serial = await interleave({
      floor: timed(serialOps, async () => {
        for (let i = 0; i < serialOps; i++) await floor.call(bytes);
      }),
      prosa: timed(serialOps, async () => {
        for (let i = 0; i < serialOps; i++) await prosa.caller.request('ECHO', record);
      }),
      moleculer: timed(serialOps, async () => {
        for (let i = 0; i < serialOps; i++) await moleculer.caller.call<EchoPayload, EchoPayload>('echo.echo', payload);
      }),
    });
    const flightOps = batches * IN_FLIGHT;
    const floorBatch = new Array<Promise<Uint8Array>>(IN_FLIGHT);
    const prosaBatch = new Array<Promise<Tvf>>(IN_FLIGHT);
    const moleculerBatch = new Array<Promise<EchoPayload>>(IN_FLIGHT);
    const inFlight = await interleave({
      floor: timed(flightOps, async () => {
        for (let b = 0; b < batches; b++) {
          for (let j = 0; j < IN_FLIGHT; j++) floorBatch[j] = floor.call(bytes);
          await Promise.all(floorBatch);
        }
      }),
      prosa: timed(flightOps, async () => {
        for (let b = 0; b < batches; b++) {
          for (let j = 0; j < IN_FLIGHT; j++) prosaBatch[j] = prosa.caller.request('ECHO', record);
          await Promise.all(prosaBatch);
        }
      }),
      moleculer: timed(flightOps, async () => {
        for (let b = 0; b < batches; b++) {
          for (let j = 0; j < IN_FLIGHT; j++) moleculerBatch[j] = moleculer.caller.call<EchoPayload, EchoPayload>('echo.echo', payload);
          await Promise.all(moleculerBatch);
        }
      }),
    });
    const wire = { payloadBytes: bytes.length };
    return [
      figure(NATS_FIGURE.floorSerial, serial.floor, { opsPerRound: serialOps, extra: wire }),
      figure(NATS_FIGURE.prosaSerial, serial.prosa, {
        comparedTo: [NATS_FIGURE.floorSerial, NATS_FIGURE.moleculerSerial],
        opsPerRound: serialOps,
      }),
      figure(NATS_FIGURE.moleculerSerial, serial.moleculer, { opsPerRound: serialOps }),
      figure(NATS_FIGURE.floorInFlight, inFlight.floor, { opsPerRound: flightOps, extra: wire }),
      figure(NATS_FIGURE.prosaInFlight, inFlight.prosa, {
        comparedTo: [NATS_FIGURE.floorInFlight, NATS_FIGURE.moleculerInFlight],
        opsPerRound: flightOps,
      }),
      figure(NATS_FIGURE.moleculerInFlight, inFlight.moleculer, { opsPerRound: flightOps }),
    ];
  } finally {
    await Promise.all([floor.stop(), moleculer.stop(), prosa.stop()]);
  }
}

export default {
  name: 'nats',
  async run() {
    if (findNatsServer() === undefined) {
      console.log('nats: nats-server is not installed (scripts/ensure-nats-server.sh installs it); suite skipped');
      return [];
    }
    const scale = benchScale();
    const serialOps = scale.ops(SERIAL_OPS);
    const batches = Math.max(1, Math.round(scale.ops(IN_FLIGHT_OPS) / IN_FLIGHT));
    const server = await startNatsServer();
    try {
      return await measure(server, serialOps, batches);
    } finally {
      await server.stop();
    }
  },
} satisfies BenchSuite;
