/**
 * The cost of metrics on the hot path: prosa request/response through a bus with
 * `attachMetrics` (its observer counts every request by service and outcome, and times a
 * sample of about 1 in 16 into the latency histogram: the default) against the same bus
 * without, serial and with 1,000 in flight; and, for scale, a third bus whose metrics time
 * every request (`latencySampleEvery: 1`). Rounds of the three are interleaved (lib.ts
 * `interleave`), so drift in the machine's speed falls on all alike. The ratio is with / without:
 * 1.00x is free.
 */
import { pino } from 'pino';
import { createProsa, type Prosa } from '../src/index.js';
import { SimpleStringTvf } from '../src/tvf/simple-string-tvf.js';
import type { Tvf } from '../src/tvf/tvf.js';
import { attachMetrics, type ProsaMetrics } from '../src/observability/index.js';
import { benchScale, figure, interleave, timed, type BenchFigure, type BenchSuite } from './lib.js';

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
      const flightOps = Math.max(1, Math.round(ops / IN_FLIGHT)) * IN_FLIGHT;
      const serials = await interleave({
        without: timed(ops, serial(plain, tvf, ops)),
        with: timed(ops, serial(measured, tvf, ops)),
        every: timed(ops, serial(timedEvery, tvf, ops)),
      });
      const flights = await interleave({
        without: timed(flightOps, inFlight(plain, tvf, ops)),
        with: timed(flightOps, inFlight(measured, tvf, ops)),
        every: timed(flightOps, inFlight(timedEvery, tvf, ops)),
      });
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
        figure(METRICS_FIGURE.serialWithout, serials.without, { opsPerRound: ops }),
        figure(METRICS_FIGURE.serialWith, serials.with, { comparedTo: METRICS_FIGURE.serialWithout, opsPerRound: ops }),
        figure(METRICS_FIGURE.inFlightWithout, flights.without, { opsPerRound: flightOps }),
        figure(METRICS_FIGURE.inFlightWith, flights.with, {
          comparedTo: METRICS_FIGURE.inFlightWithout,
          opsPerRound: flightOps,
          extra: { scrapeMs: Number(scrapeMs.toFixed(3)), timedShare: Number(timedShare.toFixed(4)) },
        }),
        figure(METRICS_FIGURE.serialEvery, serials.every, { comparedTo: METRICS_FIGURE.serialWithout, opsPerRound: ops }),
        figure(METRICS_FIGURE.inFlightEvery, flights.every, { comparedTo: METRICS_FIGURE.inFlightWithout, opsPerRound: flightOps }),
      ];
    } finally {
      metrics?.close();
      metricsEvery?.close();
      await Promise.all([plain.stop(), measured.stop(), timedEvery.stop()]);
    }
  },
} satisfies BenchSuite;
