/**
 * The cost of metrics on the hot path: prosa request/response through a bus with
 * `attachMetrics` (its observer counts every request by service and outcome, and times a
 * sample of about 1 in 16 into the latency histogram: the default) against the same bus
 * without, serial and with 1,000 in flight; and, for scale, a third bus whose metrics time
 * every request (`latencySampleEvery: 1`). Rounds of the three alternate (in a rotating
 * order), so drift in the machine's speed falls on all alike. The ratio is with / without:
 * 1.00x is free.
 */
import { pino } from 'pino';
import { createProsa, type Prosa } from '../src/index.js';
import { SimpleStringTvf } from '../src/tvf/simple-string-tvf.js';
import type { Tvf } from '../src/tvf/tvf.js';
import { attachMetrics, type ProsaMetrics } from '../src/observability/index.js';
import { benchScale, roundsExtra, type BenchFigure, type BenchSuite, type RoundRates } from './lib.js';

/** Names of this suite's figures. */
export const METRICS_FIGURE = {
  serialWithout: 'prosa request/response, serial, no metrics',
  serialWith: 'prosa request/response, serial, with metrics',
  inFlightWithout: 'prosa request/response, 1000 in flight, no metrics',
  inFlightWith: 'prosa request/response, 1000 in flight, with metrics',
  serialEvery: 'prosa request/response, serial, metrics timing every request',
  inFlightEvery: 'prosa request/response, 1000 in flight, metrics timing every request',
} as const;

const OPS = 300_000;
const IN_FLIGHT = 1_000;

function payload(): Tvf {
  const tvf = new SimpleStringTvf();
  tvf.putString(1, 'purchase');
  tvf.putUnsigned(4, 12_345);
  tvf.putString(49, 'EUR');
  return tvf;
}

async function echoBus(name: string): Promise<Prosa> {
  const prosa = createProsa({ name, logger: pino({ level: 'silent' }), requestTimeoutMs: 60_000 });
  prosa.processor('echo', { services: ['ECHO'], adaptor: { processRequest: (_service, request) => request } });
  await prosa.start();
  return prosa;
}

type Round = () => Promise<void>;

function serial(prosa: Prosa, tvf: Tvf, ops: number): Round {
  return async () => {
    for (let i = 0; i < ops; i++) await prosa.request('ECHO', tvf);
  };
}

function inFlight(prosa: Prosa, tvf: Tvf, ops: number): Round {
  const batch = new Array<Promise<Tvf>>(IN_FLIGHT);
  const batches = Math.max(1, Math.round(ops / IN_FLIGHT));
  return async () => {
    for (let b = 0; b < batches; b++) {
      for (let j = 0; j < IN_FLIGHT; j++) batch[j] = prosa.request('ECHO', tvf);
      await Promise.all(batch);
    }
  };
}

async function timed(ops: number, round: Round): Promise<number> {
  const t0 = process.hrtime.bigint();
  await round();
  return (ops * 1e9) / Number(process.hrtime.bigint() - t0);
}

function rates(list: number[]): RoundRates {
  const sorted = [...list].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, rates: sorted };
}

/** Times each round in turn, `rounds` times in a rotating order (after one untimed warm-up of each). */
async function alternate(ops: number, variants: readonly Round[], rounds: number): Promise<RoundRates[]> {
  for (const variant of variants) await variant();
  const measured = variants.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const v = (r + k) % variants.length;
      measured[v]!.push(await timed(ops, variants[v]!));
    }
  }
  return measured.map(rates);
}

export default {
  name: 'metrics',
  async run(): Promise<BenchFigure[]> {
    const scale = benchScale();
    const ops = scale.ops(OPS);
    const plain = await echoBus('plain');
    const measured = await echoBus('measured');
    const timedEvery = await echoBus('timed-every');
    let metrics: ProsaMetrics | undefined;
    let metricsEvery: ProsaMetrics | undefined;
    try {
      metrics = attachMetrics(measured);
      metricsEvery = attachMetrics(timedEvery, { latencySampleEvery: 1 });
      const tvf = payload();
      const [serialWithout, serialWith, serialEvery] = await alternate(
        ops,
        [serial(plain, tvf, ops), serial(measured, tvf, ops), serial(timedEvery, tvf, ops)],
        scale.rounds,
      ) as [RoundRates, RoundRates, RoundRates];
      const flightOps = Math.max(1, Math.round(ops / IN_FLIGHT)) * IN_FLIGHT;
      const [flightWithout, flightWith, flightEvery] = await alternate(
        flightOps,
        [inFlight(plain, tvf, ops), inFlight(measured, tvf, ops), inFlight(timedEvery, tvf, ops)],
        scale.rounds,
      ) as [RoundRates, RoundRates, RoundRates];
      const expected = (scale.rounds + 1) * (ops + flightOps);
      for (const m of [metrics, metricsEvery]) {
        const counted = m.snapshot().requests['ECHO']?.response ?? 0;
        if (counted !== expected) throw new Error(`metrics counted ${counted} responses, ${expected} were sent`);
      }
      const timedShare = (metrics.snapshot().latency['ECHO']?.count ?? 0) / expected;
      const scrapes = 100;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < scrapes; i++) await metrics.metrics();
      const scrapeMs = Number(process.hrtime.bigint() - t0) / 1e6 / scrapes;
      return [
        { name: METRICS_FIGURE.serialWithout, opsPerSec: serialWithout.median, extra: roundsExtra(serialWithout, ops) },
        {
          name: METRICS_FIGURE.serialWith,
          opsPerSec: serialWith.median,
          comparedTo: METRICS_FIGURE.serialWithout,
          extra: roundsExtra(serialWith, ops),
        },
        { name: METRICS_FIGURE.inFlightWithout, opsPerSec: flightWithout.median, extra: roundsExtra(flightWithout, flightOps) },
        {
          name: METRICS_FIGURE.inFlightWith,
          opsPerSec: flightWith.median,
          comparedTo: METRICS_FIGURE.inFlightWithout,
          extra: {
            ...roundsExtra(flightWith, flightOps),
            scrapeMs: Number(scrapeMs.toFixed(3)),
            timedShare: Number(timedShare.toFixed(4)),
          },
        },
        {
          name: METRICS_FIGURE.serialEvery,
          opsPerSec: serialEvery.median,
          comparedTo: METRICS_FIGURE.serialWithout,
          extra: roundsExtra(serialEvery, ops),
        },
        {
          name: METRICS_FIGURE.inFlightEvery,
          opsPerSec: flightEvery.median,
          comparedTo: METRICS_FIGURE.inFlightWithout,
          extra: roundsExtra(flightEvery, flightOps),
        },
      ];
    } finally {
      metrics?.close();
      metricsEvery?.close();
      await Promise.all([plain.stop(), measured.stop(), timedEvery.stop()]);
    }
  },
} satisfies BenchSuite;
