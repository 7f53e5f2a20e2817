/**
 * The cost of tracing every request: prosa request/response on a bus without tracing and
 * on a bus traced at sampleRatio 1 (a client and a server span per request, batch span
 * processor, an exporter that drops), rounds interleaved in one process. Reported, with no
 * goal: the untraced bus slows too once the process has entered an AsyncLocalStorage
 * (Node 20), so the ratio understates the traced bus's own cost; the untraced figure
 * against the bus suite's shows the rest.
 */
import { benchScale, figure, interleave, type BenchFigure, type BenchSuite } from './lib.js';
import { IN_FLIGHT } from './payload.js';
import { echoBus, echoSamplers } from './tracing-buses.js';

/** Figure names. */
export const TRACING_SAMPLED = {
  serial: 'prosa request/response without tracing (beside a traced bus), serial',
  inFlight: 'prosa request/response without tracing (beside a traced bus), 1000 in flight',
  sampledSerial: 'prosa request/response, every request traced, serial',
  sampledInFlight: 'prosa request/response, every request traced, 1000 in flight',
} as const;

/** Fewer calls than the other suites: two spans per request fill the batch processor's queue. */
const OPS = 100_000;

export default {
  name: 'tracing-sampled',
  async run(): Promise<BenchFigure[]> {
    const ops = benchScale().ops(OPS);
    const batches = Math.max(1, Math.round(ops / IN_FLIGHT));
    const plain = await echoBus('plain');
    const sampled = await echoBus('sampled', 1);
    try {
      const a = echoSamplers(plain.ctx, ops, batches);
      const b = echoSamplers(sampled.ctx, ops, batches);
      const serial = await interleave({ plain: a.serial, sampled: b.serial });
      const inFlight = await interleave({ plain: a.inFlight, sampled: b.inFlight });
      return [
        figure(TRACING_SAMPLED.serial, serial.plain, { opsPerRound: ops }),
        figure(TRACING_SAMPLED.sampledSerial, serial.sampled, { comparedTo: TRACING_SAMPLED.serial, opsPerRound: ops }),
        figure(TRACING_SAMPLED.inFlight, inFlight.plain, { opsPerRound: batches * IN_FLIGHT }),
        figure(TRACING_SAMPLED.sampledInFlight, inFlight.sampled, { comparedTo: TRACING_SAMPLED.inFlight, opsPerRound: batches * IN_FLIGHT }),
      ];
    } finally {
      await plain.stop();
      await sampled.stop();
    }
  },
} satisfies BenchSuite;
