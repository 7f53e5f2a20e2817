/**
 * Processors on worker threads (docs/threads.md), in one process, rounds interleaved:
 * - request/response to an echo processor on `threads: 1` beside the same on `threads: 0`
 *   and beside the floor, a bare `worker_threads` MessagePort echo of the same record's
 *   text (what must cross at the least), serial and 1,000 in flight;
 * - isolation: the latency (p50, p99, counted from when each request was due) of an echo
 *   processor on the main thread, paced one request per millisecond, while a neighbour burns 50 ms of CPU per request, with the
 *   neighbour on `threads: 1`, on `threads: 0`, and with no neighbour at all;
 * - throughput of a CPU-bound kind (5 ms of CPU per request, 8 in flight) on `threads: 2`
 *   beside `threads: 1`.
 */
import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import { createProsa, SimpleStringTvf, threadAdaptor, type ProcessorContext, type Prosa, type Tvf } from '../src/index.js';
import { benchScale, figure, interleave, timed, type BenchFigure, type BenchSuite } from './lib.js';
import { addClient, IN_FLIGHT, makeRecord } from './payload.js';
import { burn, echo } from './threads-adaptors.js';

/** Figure names. */
export const THREADS = {
  floorSerial: 'bare MessagePort echo, serial',
  floorInFlight: 'bare MessagePort echo, 1000 in flight',
  oneSerial: 'threads: 1 request/response, serial',
  oneInFlight: 'threads: 1 request/response, 1000 in flight',
  zeroSerial: 'threads: 0 request/response, serial',
  zeroInFlight: 'threads: 0 request/response, 1000 in flight',
  p99Alone: 'echo p99 latency, no neighbour',
  p99One: 'echo p99 latency, 50 ms CPU neighbour on threads: 1',
  p99Zero: 'echo p99 latency, 50 ms CPU neighbour on threads: 0',
  p50Alone: 'echo p50 latency, no neighbour',
  p50One: 'echo p50 latency, 50 ms CPU neighbour on threads: 1',
  p50Zero: 'echo p50 latency, 50 ms CPU neighbour on threads: 0',
  cpuTwo: 'CPU-bound kind (5 ms per request), threads: 2',
  cpuOne: 'CPU-bound kind (5 ms per request), threads: 1',
} as const;

const MODULE = new URL('./threads-adaptors.ts', import.meta.url).href;
/** Calls per round in a full run; `--quick` runs a tenth. */
const SERIAL_OPS = 20_000;
const FLIGHT_OPS = 50_000;
/** Echo requests per isolation round, one per millisecond. */
const PACED = 1_000;
/** CPU-bound requests per round, and how many in flight. */
const CPU_OPS = 200;
const CPU_IN_FLIGHT = 8;

/** The floor: a worker that posts back every message it gets; replies matched by id. */
function startFloor() {
  const worker = new Worker(
    "const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => parentPort.postMessage(m));",
    { eval: true },
  );
  const waiting = new Map<number, (text: string) => void>();
  worker.on('message', (message: { id: number; payload: string }) => {
    const resolve = waiting.get(message.id)!;
    waiting.delete(message.id);
    resolve(message.payload);
  });
  let nextId = 1;
  return {
    call(payload: string): Promise<string> {
      const id = nextId++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        worker.postMessage({ id, payload });
      });
    },
    stop: () => worker.terminate(),
  };
}

/** Percentile `p` (0..1) of `values`, sorted in place. */
function percentile(values: number[], p: number): number {
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.floor(p * values.length))]!;
}

/**
 * Sends `count` echo requests paced one per millisecond while `neighbour` (if any) keeps
 * one 50 ms CPU request in flight at all times; returns the echo latencies.
 */
async function pacedLatencies(ctx: ProcessorContext, count: number, neighbour: string | undefined): Promise<number[]> {
  const latencies: number[] = [];
  const record = makeRecord();
  const work = new SimpleStringTvf();
  work.putUnsigned(1, 50);
  let running = neighbour !== undefined;
  // One turn of the event loop between the neighbour's requests, as for requests from
  // outside: a main-thread neighbour whose replies come in microtasks alone would never
  // let the paced echo's timers run at all.
  const burning = (async () => {
    while (running) {
      await ctx.request(neighbour!, work, { timeoutMs: 60_000 });
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  // Request i is due at start + i ms, and its latency counts from then (as for a request
  // arriving from outside): a request sent late because the event loop was busy waited
  // that long too. Every request overdue when the loop gets a turn goes at once.
  const sent: Promise<void>[] = [];
  const start = performance.now();
  let next = 0;
  while (next < count) {
    const now = performance.now();
    for (; next < count && start + next <= now; next++) {
      const due = start + next;
      sent.push(ctx.request('ECHO', record).then(() => void latencies.push(performance.now() - due)));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(sent);
  running = false;
  await burning;
  return latencies;
}

async function startBus(): Promise<{ bus: Prosa; ctx: ProcessorContext }> {
  const bus = createProsa({ name: 'bench-threads', logger: pino({ level: 'silent' }), requestTimeoutMs: 60_000 });
  const queue = { maxInFlight: 100_000 };
  bus.processor('zero', { services: ['ZERO'], queue, adaptor: echo });
  bus.processor('one', { services: ['ONE'], queue, adaptor: threadAdaptor({ module: MODULE, export: 'echo', threads: 1 }) });
  bus.processor('echo', { services: ['ECHO'], adaptor: echo });
  bus.processor('burn-zero', { services: ['BURN0'], adaptor: burn });
  bus.processor('burn-one', { services: ['BURN1'], adaptor: threadAdaptor({ module: MODULE, export: 'burn', threads: 1 }) });
  bus.processor('cpu-one', { services: ['CPU1'], adaptor: threadAdaptor({ module: MODULE, export: 'burn', threads: 1 }) });
  bus.processor('cpu-two', { services: ['CPU2'], adaptor: threadAdaptor({ module: MODULE, export: 'burn', threads: 2 }) });
  const client = addClient(bus);
  await bus.start();
  for (const processor of bus.processors()) {
    if (processor.state !== 'serving') throw new Error(`processor ${processor.name} is ${processor.state}: ${String(processor.lastError)}`);
  }
  return { bus, ctx: client() };
}

export default {
  name: 'threads',
  async run(): Promise<BenchFigure[]> {
    const scale = benchScale();
    const serialOps = scale.ops(SERIAL_OPS);
    const batches = Math.max(1, Math.round(scale.ops(FLIGHT_OPS) / IN_FLIGHT));
    const flightOps = batches * IN_FLIGHT;
    const floor = startFloor();
    const { bus, ctx } = await startBus();
    try {
      const record = makeRecord();
      const text = (record as SimpleStringTvf).serialize();
      if ((await floor.call(text)) !== text) throw new Error('the floor did not echo the record');
      const crossed = await ctx.request('ONE', record);
      if ((crossed as SimpleStringTvf).serialize() !== text) throw new Error('threads: 1 did not echo the record');

      const serial = await interleave({
        floor: timed(serialOps, async () => {
          for (let i = 0; i < serialOps; i++) await floor.call(text);
        }),
        one: timed(serialOps, async () => {
          for (let i = 0; i < serialOps; i++) await ctx.request('ONE', record);
        }),
        zero: timed(serialOps, async () => {
          for (let i = 0; i < serialOps; i++) await ctx.request('ZERO', record);
        }),
      });
      const floorBatch = new Array<Promise<string>>(IN_FLIGHT);
      const busBatch = new Array<Promise<Tvf>>(IN_FLIGHT);
      const inFlight = await interleave({
        floor: timed(flightOps, async () => {
          for (let b = 0; b < batches; b++) {
            for (let j = 0; j < IN_FLIGHT; j++) floorBatch[j] = floor.call(text);
            await Promise.all(floorBatch);
          }
        }),
        one: timed(flightOps, async () => {
          for (let b = 0; b < batches; b++) {
            for (let j = 0; j < IN_FLIGHT; j++) busBatch[j] = ctx.request('ONE', record);
            await Promise.all(busBatch);
          }
        }),
        zero: timed(flightOps, async () => {
          for (let b = 0; b < batches; b++) {
            for (let j = 0; j < IN_FLIGHT; j++) busBatch[j] = ctx.request('ZERO', record);
            await Promise.all(busBatch);
          }
        }),
      });

      const paced = scale.ops(PACED);
      const p50: Record<'alone' | 'one' | 'zero', number[]> = { alone: [], one: [], zero: [] };
      const latency = (key: keyof typeof p50, neighbour: string | undefined) => async () => {
        const latencies = await pacedLatencies(ctx, paced, neighbour);
        p50[key].push(percentile(latencies, 0.5));
        return percentile(latencies, 0.99);
      };
      // No warm-up round: its p50 would be recorded too, and the JIT is warm by now.
      const p99 = await interleave(
        { alone: latency('alone', undefined), one: latency('one', 'BURN1'), zero: latency('zero', 'BURN0') },
        undefined,
        { warmUp: false },
      );

      const cpuOps = Math.max(CPU_IN_FLIGHT, scale.ops(CPU_OPS));
      const work = new SimpleStringTvf();
      work.putUnsigned(1, 5);
      const cpu = (service: string) =>
        timed(cpuOps, async () => {
          let next = 0;
          const lane = async () => {
            while (next++ < cpuOps) await ctx.request(service, work);
          };
          await Promise.all(Array.from({ length: CPU_IN_FLIGHT }, lane));
        });
      const cpuRounds = await interleave({ two: cpu('CPU2'), one: cpu('CPU1') });

      const pacedExtra = { requests: paced, paceMs: 1, neighbourCpuMs: 50 };
      return [
        figure(THREADS.floorSerial, serial.floor, { opsPerRound: serialOps }),
        figure(THREADS.oneSerial, serial.one, { comparedTo: [THREADS.floorSerial, THREADS.zeroSerial], opsPerRound: serialOps }),
        figure(THREADS.zeroSerial, serial.zero, { opsPerRound: serialOps }),
        figure(THREADS.floorInFlight, inFlight.floor, { opsPerRound: flightOps }),
        figure(THREADS.oneInFlight, inFlight.one, { comparedTo: [THREADS.floorInFlight, THREADS.zeroInFlight], opsPerRound: flightOps }),
        figure(THREADS.zeroInFlight, inFlight.zero, { opsPerRound: flightOps }),
        figure(THREADS.p99Alone, p99.alone, { unit: 'ms', extra: pacedExtra }),
        figure(THREADS.p99One, p99.one, { unit: 'ms', comparedTo: [THREADS.p99Alone], extra: pacedExtra }),
        figure(THREADS.p99Zero, p99.zero, { unit: 'ms', comparedTo: [THREADS.p99Alone], extra: pacedExtra }),
        figure(THREADS.p50Alone, p50.alone, { unit: 'ms', extra: pacedExtra }),
        figure(THREADS.p50One, p50.one, { unit: 'ms', comparedTo: [THREADS.p50Alone], extra: pacedExtra }),
        figure(THREADS.p50Zero, p50.zero, { unit: 'ms', comparedTo: [THREADS.p50Alone], extra: pacedExtra }),
        figure(THREADS.cpuTwo, cpuRounds.two, { comparedTo: [THREADS.cpuOne], opsPerRound: cpuOps, extra: { inFlight: CPU_IN_FLIGHT, cpuMsPerRequest: 5 } }),
        figure(THREADS.cpuOne, cpuRounds.one, { opsPerRound: cpuOps, extra: { inFlight: CPU_IN_FLIGHT, cpuMsPerRequest: 5 } }),
      ];
    } finally {
      await Promise.all([floor.stop(), bus.stop()]);
    }
  },
} satisfies BenchSuite;
