/**
 * The bus against its peers (bench/peers.bench.ts): request/response between two
 * processors, a sync echo adaptor and a 10-field TVF, awaited one at a time and with
 * 1,000 in flight; then scale: 10,000 processors of one service each on one bus.
 */
import { pino } from 'pino';
import { createProsa, SimpleStringTvf, type ProcessorContext, type Tvf } from '../src/index.js';
import { benchScale, measureRounds, roundsExtra, type BenchFigure, type BenchSuite } from './lib.js';
import { PEER, PEER_IN_FLIGHT, PEER_OPS } from './peers.bench.js';

/** Figure names, for other suites' `comparedTo`. */
export const BUS = {
  serial: 'prosa request/response, serial',
  inFlight: 'prosa request/response, 1000 in flight',
} as const;

/** A typical 10-field record, the TVF twin of the peers' payload. */
export function makeRecord(): Tvf {
  const tvf = new SimpleStringTvf();
  tvf.putUnsigned(1, 1);
  tvf.putString(2, 'echo');
  tvf.putUnsigned(3, 12_345);
  tvf.putString(4, 'EUR');
  tvf.putString(5, 'M0000001');
  tvf.putString(6, 'T0001');
  tvf.putString(7, '4970100000000000');
  tvf.putString(8, '2912');
  tvf.putByte(9, 1);
  tvf.putUnsigned(10, 1_700_000_000_000);
  return tvf;
}

const silent = pino({ level: 'silent' });

async function requestResponse(ops: number, batches: number): Promise<BenchFigure[]> {
  const bus = createProsa({ name: 'bench', logger: silent });
  bus.processor('stub', { services: ['ECHO'], adaptor: { processRequest: (_service, request) => request } });
  let client: ProcessorContext | undefined;
  bus.processor('client', {
    adaptor: {
      init: (ctx) => void (client = ctx),
      processRequest: () => {
        throw new Error('the client serves nothing');
      },
    },
  });
  await bus.start();
  const ctx = client!;
  const payload = makeRecord();
  if ((await ctx.request('ECHO', payload)) !== payload) throw new Error('the stub did not echo the record');
  try {
    const serial = await measureRounds(ops, async () => {
      for (let i = 0; i < ops; i++) await ctx.request('ECHO', payload);
    });
    const batch = new Array<Promise<Tvf>>(PEER_IN_FLIGHT);
    const inFlight = await measureRounds(batches * PEER_IN_FLIGHT, async () => {
      for (let b = 0; b < batches; b++) {
        for (let j = 0; j < PEER_IN_FLIGHT; j++) batch[j] = ctx.request('ECHO', payload);
        await Promise.all(batch);
      }
    });
    return [
      { name: BUS.serial, opsPerSec: serial.median, comparedTo: PEER.moleculerSerial, extra: roundsExtra(serial, ops) },
      {
        name: BUS.inFlight,
        opsPerSec: inFlight.median,
        comparedTo: PEER.moleculerInFlight,
        extra: roundsExtra(inFlight, batches * PEER_IN_FLIGHT),
      },
    ];
  } finally {
    await bus.stop();
  }
}

function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

async function scale(processors: number): Promise<BenchFigure[]> {
  const bus = createProsa({ name: 'scale', logger: silent });
  const before = heapUsed();
  const t0 = performance.now();
  for (let i = 0; i < processors; i++) {
    bus.processor(`p${i}`, { services: [`S${i}`], adaptor: { processRequest: (_service, request) => request } });
  }
  await bus.start();
  const started = performance.now();
  const heapPerProcessor = (heapUsed() - before) / processors;
  const payload = makeRecord();
  const t1 = performance.now();
  const replies: Promise<Tvf>[] = [];
  for (let i = 0; i < processors; i++) replies.push(bus.request(`S${i}`, payload));
  await Promise.all(replies);
  const requested = performance.now();
  if (bus.stats().responses !== processors) throw new Error('not every processor answered');
  const t2 = performance.now();
  await bus.stop();
  const stopped = performance.now();
  const startMs = started - t0;
  return [
    {
      name: `bus scale: start ${processors} processors`,
      opsPerSec: (processors * 1000) / startMs,
      extra: {
        startMs: Math.round(startMs),
        requestOneEachMs: Math.round(requested - t1),
        stopMs: Math.round(stopped - t2),
        heapPerIdleProcessorBytes: Math.round(heapPerProcessor),
        gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'yes' : 'no (run with --expose-gc)',
      },
    },
  ];
}

export default {
  name: 'bus',
  async run() {
    const scaleOf = benchScale();
    const ops = scaleOf.ops(PEER_OPS);
    const batches = Math.max(1, Math.round(ops / PEER_IN_FLIGHT));
    return [...(await requestResponse(ops, batches)), ...(await scale(scaleOf.ops(10_000)))];
  },
} satisfies BenchSuite;
