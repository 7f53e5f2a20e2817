/**
 * The cost of tracing every request: prosa request/response on a bus without tracing and
 * on a bus traced at sampleRatio 1 (a client and a server span per request, batch span
 * processor, an exporter that drops), rounds interleaved in one process. Reported, with no
 * goal: the untraced bus slows too once the process has entered an AsyncLocalStorage
 * (Node 20), so the ratio understates the traced bus's own cost; the untraced figure
 * against the bus suite's shows the rest.
 */
import type { BenchFigure, BenchSuite } from './lib.js';
import { compareTracing } from './tracing-buses.js';

/** Figure names. */
export const TRACING_SAMPLED = {
  serial: 'prosa request/response without tracing (beside a traced bus), serial',
  inFlight: 'prosa request/response without tracing (beside a traced bus), 1000 in flight',
  tracedSerial: 'prosa request/response, every request traced, serial',
  tracedInFlight: 'prosa request/response, every request traced, 1000 in flight',
} as const;

export default {
  name: 'tracing-sampled',
  // Fewer calls than the other suites: two spans per request fill the batch processor's queue.
  run: (): Promise<BenchFigure[]> =>
    compareTracing(TRACING_SAMPLED, 100_000, 1, (exporter) => {
      if (exporter.spans === 0) throw new Error('every request traced, yet no span was exported');
    }),
} satisfies BenchSuite;
