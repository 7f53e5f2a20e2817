/**
 * The peers prosa's bus is compared with, measured in the same run as the bus:
 * a Moleculer 0.14 local call, and the floor of our own design (DESIGN.md, "The hot path"):
 * a request event into a bare XState v5 callback actor that replies through a closure.
 * Each is measured serially (one call awaited at a time) and with 1,000 calls in flight.
 */
import { ServiceBroker } from 'moleculer';
import { createActor, fromCallback } from 'xstate';
import { benchScale, measureRounds, roundsExtra, type BenchFigure, type BenchSuite, type RoundRates } from './lib.js';

/** Names of the peer figures, for `comparedTo` in other suites (e.g. `bench/bus.bench.ts`). */
export const PEER = {
  moleculerSerial: 'moleculer local call, serial',
  moleculerInFlight: 'moleculer local call, 1000 in flight',
  xstateSerial: 'xstate callback actor, serial',
  xstateInFlight: 'xstate callback actor, 1000 in flight',
} as const;

/** Calls per round in a full run; `--quick` runs a tenth of them. */
export const PEER_OPS = 300_000;

/** Calls in flight per batch in the "1000 in flight" figures. */
export const PEER_IN_FLIGHT = 1_000;

/** The payload every peer echoes: a 10-field plain object, passed by reference. */
export interface EchoPayload {
  id: number;
  service: string;
  amount: number;
  currency: string;
  merchant: string;
  terminal: string;
  pan: string;
  expiry: string;
  approved: boolean;
  timestamp: number;
}

/** Makes the benchmark payload. Fixed values, so every run and every suite sends the same. */
export function makePayload(): EchoPayload {
  return {
    id: 1,
    service: 'echo',
    amount: 12_345,
    currency: 'EUR',
    merchant: 'M0000001',
    terminal: 'T0001',
    pan: '4970100000000000',
    expiry: '2912',
    approved: true,
    timestamp: 1_700_000_000_000,
  };
}

/** The request event the callback actor receives; it replies through `resolve`. */
interface EchoRequest {
  type: 'req';
  payload: EchoPayload;
  resolve: (payload: EchoPayload) => void;
}

/** A figure from measured rounds; the spread goes in `extra` so noise is visible. */
function figure(name: string, measured: RoundRates, ops: number, comparedTo?: string): BenchFigure {
  return {
    name,
    opsPerSec: measured.median,
    ...(comparedTo === undefined ? {} : { comparedTo }),
    extra: roundsExtra(measured, ops),
  };
}

/** Throws unless `echoed` is the very object sent: the peers must pass it by reference. */
function checkEcho(peer: string, sent: EchoPayload, echoed: EchoPayload): void {
  if (echoed !== sent) throw new Error(`${peer} did not echo the payload by reference`);
}

async function moleculerFigures(ops: number, batches: number): Promise<BenchFigure[]> {
  const broker = new ServiceBroker({
    logger: false,
    transporter: null,
    metrics: false,
    tracing: false,
    skipProcessEventRegistration: true,
  });
  broker.createService({
    name: 'echo',
    actions: { echo: (ctx) => ctx.params },
  });
  await broker.start();
  try {
    const payload = makePayload();
    checkEcho('moleculer', payload, await broker.call<EchoPayload, EchoPayload>('echo.echo', payload));

    // The loops are written out per peer, not shared through a `call` parameter, so each
    // peer's call site stays monomorphic and neither pays for the other's inline caches.
    const serial = await measureRounds(ops, async () => {
      for (let i = 0; i < ops; i++) await broker.call<EchoPayload, EchoPayload>('echo.echo', payload);
    });
    const batch = new Array<Promise<EchoPayload>>(PEER_IN_FLIGHT);
    const inFlight = await measureRounds(batches * PEER_IN_FLIGHT, async () => {
      for (let b = 0; b < batches; b++) {
        for (let j = 0; j < PEER_IN_FLIGHT; j++) batch[j] = broker.call<EchoPayload, EchoPayload>('echo.echo', payload);
        await Promise.all(batch);
      }
    });
    return [
      figure(PEER.moleculerSerial, serial, ops),
      figure(PEER.moleculerInFlight, inFlight, batches * PEER_IN_FLIGHT),
    ];
  } finally {
    await broker.stop();
  }
}

async function xstateFigures(ops: number, batches: number): Promise<BenchFigure[]> {
  const echo = fromCallback<EchoRequest>(({ receive }) => {
    receive((event) => event.resolve(event.payload));
  });
  const actor = createActor(echo).start();
  const call = (payload: EchoPayload): Promise<EchoPayload> =>
    new Promise((resolve) => actor.send({ type: 'req', payload, resolve }));
  try {
    const payload = makePayload();
    checkEcho('xstate callback actor', payload, await call(payload));

    const serial = await measureRounds(ops, async () => {
      for (let i = 0; i < ops; i++) await call(payload);
    });
    const batch = new Array<Promise<EchoPayload>>(PEER_IN_FLIGHT);
    const inFlight = await measureRounds(batches * PEER_IN_FLIGHT, async () => {
      for (let b = 0; b < batches; b++) {
        for (let j = 0; j < PEER_IN_FLIGHT; j++) batch[j] = call(payload);
        await Promise.all(batch);
      }
    });
    return [
      figure(PEER.xstateSerial, serial, ops, PEER.moleculerSerial),
      figure(PEER.xstateInFlight, inFlight, batches * PEER_IN_FLIGHT, PEER.moleculerInFlight),
    ];
  } finally {
    actor.stop();
  }
}

export default {
  name: 'peers',
  async run() {
    const ops = benchScale().ops(PEER_OPS);
    const batches = Math.max(1, Math.round(ops / PEER_IN_FLIGHT));
    return [...(await moleculerFigures(ops, batches)), ...(await xstateFigures(ops, batches))];
  },
} satisfies BenchSuite;
