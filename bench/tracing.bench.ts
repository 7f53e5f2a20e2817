/**
 * The cost of tracing when it samples nothing: prosa request/response on a bus without
 * tracing, and on a bus traced at sampleRatio 0 (the SDK and its async context manager
 * set up, no request sampled), rounds interleaved in one process. The goal is 0.95x or
 * better. The fully sampled figure is measured in its own process (tracing-sampled): a
 * traced request enters an AsyncLocalStorage, which from then on slows every promise of
 * the process, the untraced bus's included.
 */
import { benchScale, figure, interleave, type BenchFigure, type BenchSuite } from './lib.js';
import { IN_FLIGHT } from './payload.js';
import { echoBus, echoSamplers } from './tracing-buses.js';

/** Figure names. */
export const TRACING = {
  serial: 'prosa request/response without tracing, serial',
  inFlight: 'prosa request/response without tracing, 1000 in flight',
  ratio0Serial: 'prosa request/response traced at sampleRatio 0, serial',
  ratio0InFlight: 'prosa request/response traced at sampleRatio 0, 1000 in flight',
} as const;

const OPS = 300_000;

export default {
  name: 'tracing',
  async run(): Promise<BenchFigure[]> {
    const ops = benchScale().ops(OPS);
    const batches = Math.max(1, Math.round(ops / IN_FLIGHT));
    const plain = await echoBus('plain');
    const unsampled = await echoBus('unsampled', 0);
    try {
      const a = echoSamplers(plain.ctx, ops, batches);
      const b = echoSamplers(unsampled.ctx, ops, batches);
      const serial = await interleave({ plain: a.serial, unsampled: b.serial });
      const inFlight = await interleave({ plain: a.inFlight, unsampled: b.inFlight });
      if (unsampled.exporter.spans !== 0) throw new Error('sampleRatio 0 exported spans');
      return [
        figure(TRACING.serial, serial.plain, { opsPerRound: ops }),
        figure(TRACING.ratio0Serial, serial.unsampled, { comparedTo: TRACING.serial, opsPerRound: ops }),
        figure(TRACING.inFlight, inFlight.plain, { opsPerRound: batches * IN_FLIGHT }),
        figure(TRACING.ratio0InFlight, inFlight.unsampled, { comparedTo: TRACING.inFlight, opsPerRound: batches * IN_FLIGHT }),
      ];
    } finally {
      await plain.stop();
      await unsampled.stop();
    }
  },
} satisfies BenchSuite;
