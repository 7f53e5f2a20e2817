/**
 * The cost of tracing when it samples nothing: prosa request/response on a bus without
 * tracing, and on a bus traced at sampleRatio 0 (the SDK and its async context manager
 * set up, no request sampled), rounds interleaved in one process. The goal is 0.95x or
 * better. The fully sampled figure is measured in its own process (tracing-sampled): a
 * traced request enters an AsyncLocalStorage, which from then on slows every promise of
 * the process, the untraced bus's included.
 */
import type { BenchFigure, BenchSuite } from './lib.js';
import { compareTracing } from './tracing-buses.js';

/** Figure names. */
export const TRACING = {
  serial: 'prosa request/response without tracing, serial',
  inFlight: 'prosa request/response without tracing, 1000 in flight',
  tracedSerial: 'prosa request/response traced at sampleRatio 0, serial',
  tracedInFlight: 'prosa request/response traced at sampleRatio 0, 1000 in flight',
} as const;

export default {
  name: 'tracing',
  run: (): Promise<BenchFigure[]> =>
    compareTracing(TRACING, 300_000, 0, (exporter) => {
      if (exporter.spans !== 0) throw new Error('sampleRatio 0 exported spans');
    }),
} satisfies BenchSuite;
