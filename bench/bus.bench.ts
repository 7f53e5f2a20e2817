/**
 * The bus against its floor and its peer, in one process, rounds interleaved: prosa
 * request/response between two processors (a sync echo adaptor, a 10-field TVF) beside
 * the floor of its design (docs/architecture.md, "The hot path": a request event into a bare XState
 * v5 `fromCallback` actor that replies through a closure) and a Moleculer 0.14 local call,
 * each awaited one at a time and with 1,000 in flight; then the heap each holds per
 * request in flight.
 */
import { ServiceBroker, type Context } from 'moleculer';
import { pino } from 'pino';
import { createActor, fromCallback } from 'xstate';
import { createProsa, type Tvf } from '../src/index.js';
import { benchScale, figure, gcExposed, heapUsed, interleave, timed, type BenchFigure, type BenchSuite } from './lib.js';
import { addClient, IN_FLIGHT, makePayload, makeRecord, type EchoPayload } from './payload.js';

/** Figure names. */
export const BUS = {
  floorSerial: 'xstate callback actor, serial',
  floorInFlight: 'xstate callback actor, 1000 in flight',
  moleculerSerial: 'moleculer local call, serial',
  moleculerInFlight: 'moleculer local call, 1000 in flight',
  serial: 'prosa request/response, serial',
  inFlight: 'prosa request/response, 1000 in flight',
  heapFloor: 'heap held per request in flight: xstate callback actor',
  heapMoleculer: 'heap held per request in flight: moleculer local call',
  heap: 'heap held per request in flight: prosa',
} as const;

/** Calls per round in a full run; `--quick` runs a tenth. */
const OPS = 300_000;
/** Requests held unanswered at once in a heap round. */
const HELD = 10_000;

/** Where a provider keeps the requests it holds unanswered, until `release()`. */
class Holder<T> {
  readonly slots = new Array<T | undefined>(HELD).fill(undefined);
  count = 0;
  constructor(private readonly answer: (held: T) => void) {}

  hold(held: T): void {
    this.slots[this.count++] = held;
  }

  release(): void {
    for (let i = 0; i < this.count; i++) {
      this.answer(this.slots[i]!);
      this.slots[i] = undefined;
    }
    this.count = 0;
  }
}

/**
 * Heap held per request in flight: sends {@link HELD} requests that the provider holds
 * unanswered, and divides the heap they add (after a full collection) by their number.
 * The caller's promises sit in a list allocated beforehand, so only what each request
 * costs the system counts.
 */
function heldBytes(send: () => Promise<unknown>, holder: { readonly count: number; release(): void }): () => Promise<number> {
  const pending = new Array<Promise<unknown> | undefined>(HELD).fill(undefined);
  return async () => {
    const before = heapUsed();
    for (let i = 0; i < HELD; i++) pending[i] = send();
    while (holder.count < HELD) await new Promise((resolve) => setImmediate(resolve));
    const after = heapUsed();
    holder.release();
    await Promise.all(pending);
    pending.fill(undefined);
    return (after - before) / HELD;
  };
}

/** The request event the floor's callback actors receive; they reply through `resolve`. */
interface EchoRequest {
  type: 'req';
  payload: EchoPayload;
  resolve: (payload: EchoPayload) => void;
}

function startFloor() {
  const echo = createActor(
    fromCallback<EchoRequest>(({ receive }) => {
      receive((event) => event.resolve(event.payload));
    }),
  ).start();
  const holder = new Holder<EchoRequest>((event) => event.resolve(event.payload));
  const hold = createActor(
    fromCallback<EchoRequest>(({ receive }) => {
      receive((event) => holder.hold(event));
    }),
  ).start();
  return {
    call: (payload: EchoPayload): Promise<EchoPayload> =>
      new Promise((resolve) => echo.send({ type: 'req', payload, resolve })),
    hold: (payload: EchoPayload): Promise<EchoPayload> =>
      new Promise((resolve) => hold.send({ type: 'req', payload, resolve })),
    holder,
    stop: () => {
      echo.stop();
      hold.stop();
    },
  };
}

async function startMoleculer() {
  const broker = new ServiceBroker({
    logger: false,
    transporter: null,
    metrics: false,
    tracing: false,
    skipProcessEventRegistration: true,
  });
  const holder = new Holder<[resolve: (p: EchoPayload) => void, payload: EchoPayload]>(([resolve, payload]) => resolve(payload));
  broker.createService({
    name: 'echo',
    actions: {
      echo: (ctx: Context<EchoPayload>) => ctx.params,
      hold: (ctx: Context<EchoPayload>) => new Promise<EchoPayload>((resolve) => holder.hold([resolve, ctx.params])),
    },
  });
  await broker.start();
  return { broker, holder };
}

async function startProsa() {
  const bus = createProsa({ name: 'bench', logger: pino({ level: 'silent' }), requestTimeoutMs: 60_000 });
  bus.processor('stub', { services: ['ECHO'], adaptor: { processRequest: (_service, request) => request } });
  const holder = new Holder<[resolve: (t: Tvf) => void, request: Tvf]>(([resolve, request]) => resolve(request));
  bus.processor('holder', {
    services: ['HOLD'],
    queue: { maxInFlight: 2 * HELD },
    adaptor: { processRequest: (_service, request) => new Promise<Tvf>((resolve) => holder.hold([resolve, request])) },
  });
  const client = addClient(bus);
  await bus.start();
  return { bus, ctx: client(), holder };
}

export default {
  name: 'bus',
  async run(): Promise<BenchFigure[]> {
    const ops = benchScale().ops(OPS);
    const batches = Math.max(1, Math.round(ops / IN_FLIGHT));
    const flightOps = batches * IN_FLIGHT;
    const floor = startFloor();
    const { broker, holder: moleculerHolder } = await startMoleculer();
    const { bus, ctx, holder: prosaHolder } = await startProsa();
    try {
      const payload = makePayload();
      const record = makeRecord();
      if ((await floor.call(payload)) !== payload) throw new Error('the floor did not echo the payload by reference');
      if ((await broker.call('echo.echo', payload)) !== payload) throw new Error('moleculer did not echo the payload by reference');
      if ((await ctx.request('ECHO', record)) !== record) throw new Error('the stub did not echo the record');

      // The loops are written out per system, not shared through a `call` parameter, so each
      // call site stays monomorphic and no system pays for another's inline caches. prosa is
      // listed between the two, so its rounds always run next to each peer's.
      const serial = await interleave({
        floor: timed(ops, async () => {
          for (let i = 0; i < ops; i++) await floor.call(payload);
        }),
        prosa: timed(ops, async () => {
          for (let i = 0; i < ops; i++) await ctx.request('ECHO', record);
        }),
        moleculer: timed(ops, async () => {
          for (let i = 0; i < ops; i++) await broker.call<EchoPayload, EchoPayload>('echo.echo', payload);
        }),
      });
      const floorBatch = new Array<Promise<EchoPayload>>(IN_FLIGHT);
      const prosaBatch = new Array<Promise<Tvf>>(IN_FLIGHT);
      const moleculerBatch = new Array<Promise<EchoPayload>>(IN_FLIGHT);
      const inFlight = await interleave({
        floor: timed(flightOps, async () => {
          for (let b = 0; b < batches; b++) {
            for (let j = 0; j < IN_FLIGHT; j++) floorBatch[j] = floor.call(payload);
            await Promise.all(floorBatch);
          }
        }),
        prosa: timed(flightOps, async () => {
          for (let b = 0; b < batches; b++) {
            for (let j = 0; j < IN_FLIGHT; j++) prosaBatch[j] = ctx.request('ECHO', record);
            await Promise.all(prosaBatch);
          }
        }),
        moleculer: timed(flightOps, async () => {
          for (let b = 0; b < batches; b++) {
            for (let j = 0; j < IN_FLIGHT; j++) moleculerBatch[j] = broker.call<EchoPayload, EchoPayload>('echo.echo', payload);
            await Promise.all(moleculerBatch);
          }
        }),
      });
      const heap = await interleave({
        floor: heldBytes(() => floor.hold(payload), floor.holder),
        prosa: heldBytes(() => ctx.request('HOLD', record), prosaHolder),
        moleculer: heldBytes(() => broker.call('echo.hold', payload), moleculerHolder),
      });

      const heapExtra = { requestsHeld: HELD, gcExposed: gcExposed() ? 'yes' : 'no (run through npm run bench)' };
      return [
        figure(BUS.floorSerial, serial.floor, { opsPerRound: ops }),
        figure(BUS.serial, serial.prosa, { comparedTo: [BUS.floorSerial, BUS.moleculerSerial], opsPerRound: ops }),
        figure(BUS.moleculerSerial, serial.moleculer, { opsPerRound: ops }),
        figure(BUS.floorInFlight, inFlight.floor, { opsPerRound: flightOps }),
        figure(BUS.inFlight, inFlight.prosa, { comparedTo: [BUS.floorInFlight, BUS.moleculerInFlight], opsPerRound: flightOps }),
        figure(BUS.moleculerInFlight, inFlight.moleculer, { opsPerRound: flightOps }),
        figure(BUS.heapFloor, heap.floor, { unit: 'B', extra: heapExtra }),
        figure(BUS.heap, heap.prosa, { unit: 'B', comparedTo: [BUS.heapFloor, BUS.heapMoleculer], extra: heapExtra }),
        figure(BUS.heapMoleculer, heap.moleculer, { unit: 'B', extra: heapExtra }),
      ];
    } finally {
      floor.stop();
      await Promise.all([broker.stop(), bus.stop()]);
    }
  },
} satisfies BenchSuite;
