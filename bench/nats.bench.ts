/**
 * Remote request/response over NATS: two prosa instances (a caller with no provider, a
 * provider that echoes) linked by the NATS transport, beside two Moleculer 0.14 brokers
 * linked by Moleculer's NATS transporter, both in this process and over the same
 * `nats-server` (started here on a free loopback port). Each is measured serially (one
 * call awaited at a time) and with 1,000 calls in flight. The payload is the same
 * 10-field record: `makeRecord()` of `bench/bus.bench.ts` for prosa (TVF text on the
 * wire), `makePayload()` of `bench/peers.bench.ts` for Moleculer (its JSON serializer).
 *
 * When `nats-server` is not installed the suite prints a note and reports nothing.
 */
import { ServiceBroker } from 'moleculer';
import { pino } from 'pino';
import { createProsa, natsTransport, type Prosa, type Tvf } from '../src/index.js';
import { findNatsServer, startNatsServer, type NatsServer } from '../test/support/nats-server.js';
import { benchScale, measureRounds, roundsExtra, type BenchFigure, type BenchSuite, type RoundRates } from './lib.js';
import { makeRecord } from './bus.bench.js';
import { makePayload, PEER_IN_FLIGHT as IN_FLIGHT, type EchoPayload } from './peers.bench.js';

/** Names of the figures. */
export const NATS_FIGURE = {
  moleculerSerial: 'moleculer NATS call, serial',
  moleculerInFlight: 'moleculer NATS call, 1000 in flight',
  prosaSerial: 'prosa remote request over NATS, serial',
  prosaInFlight: 'prosa remote request over NATS, 1000 in flight',
} as const;

/** Calls per round in a full run (`--quick` runs a tenth): serial calls cost a round trip each. */
const SERIAL_OPS = 4_000;
const IN_FLIGHT_OPS = 20_000;

function figure(name: string, measured: RoundRates, ops: number, comparedTo?: string): BenchFigure {
  return {
    name,
    opsPerSec: measured.median,
    ...(comparedTo === undefined ? {} : { comparedTo }),
    extra: roundsExtra(measured, ops),
  };
}

async function moleculerFigures(server: NatsServer, serialOps: number, batches: number): Promise<BenchFigure[]> {
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
  try {
    await caller.waitForServices(['echo'], 10_000);
    const payload = makePayload();
    const echoed = await caller.call<EchoPayload, EchoPayload>('echo.echo', payload);
    if (echoed.pan !== payload.pan) throw new Error('moleculer did not echo the payload');
    const serial = await measureRounds(serialOps, async () => {
      for (let i = 0; i < serialOps; i++) await caller.call<EchoPayload, EchoPayload>('echo.echo', payload);
    });
    const batch = new Array<Promise<EchoPayload>>(IN_FLIGHT);
    const inFlight = await measureRounds(batches * IN_FLIGHT, async () => {
      for (let b = 0; b < batches; b++) {
        for (let j = 0; j < IN_FLIGHT; j++) batch[j] = caller.call<EchoPayload, EchoPayload>('echo.echo', payload);
        await Promise.all(batch);
      }
    });
    return [
      figure(NATS_FIGURE.moleculerSerial, serial, serialOps),
      figure(NATS_FIGURE.moleculerInFlight, inFlight, batches * IN_FLIGHT),
    ];
  } finally {
    await Promise.all([caller.stop(), provider.stop()]);
  }
}

function prosaInstance(server: NatsServer, name: string, echo: boolean): Prosa {
  const prosa = createProsa({ name, logger: pino({ level: 'silent' }), requestTimeoutMs: 30_000 });
  if (echo) prosa.processor('echo', { services: ['ECHO'], adaptor: { processRequest: (_service, request) => request } });
  prosa.attachTransport(natsTransport({ servers: [server.url], subjectPrefix: 'bench' }));
  return prosa;
}

async function prosaFigures(server: NatsServer, serialOps: number, batches: number): Promise<BenchFigure[]> {
  const caller = prosaInstance(server, 'caller', false);
  const provider = prosaInstance(server, 'provider', true);
  await Promise.all([caller.start(), provider.start()]);
  try {
    const deadline = Date.now() + 10_000;
    while (caller.services()['ECHO'] === undefined) {
      if (Date.now() > deadline) throw new Error('the caller never saw the provider');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const record = makeRecord();
    const echoed = await caller.request('ECHO', record);
    if (!echoed.equals(record)) throw new Error('prosa did not echo the record');
    const serial = await measureRounds(serialOps, async () => {
      for (let i = 0; i < serialOps; i++) await caller.request('ECHO', record);
    });
    const batch = new Array<Promise<Tvf>>(IN_FLIGHT);
    const inFlight = await measureRounds(batches * IN_FLIGHT, async () => {
      for (let b = 0; b < batches; b++) {
        for (let j = 0; j < IN_FLIGHT; j++) batch[j] = caller.request('ECHO', record);
        await Promise.all(batch);
      }
    });
    return [
      figure(NATS_FIGURE.prosaSerial, serial, serialOps, NATS_FIGURE.moleculerSerial),
      figure(NATS_FIGURE.prosaInFlight, inFlight, batches * IN_FLIGHT, NATS_FIGURE.moleculerInFlight),
    ];
  } finally {
    await Promise.all([caller.stop(), provider.stop()]);
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
      return [...(await moleculerFigures(server, serialOps, batches)), ...(await prosaFigures(server, serialOps, batches))];
    } finally {
      await server.stop();
    }
  },
} satisfies BenchSuite;
