/**
 * The buses the tracing suites compare: prosa request/response (a sync echo adaptor, a
 * 10-field TVF) on a bus without tracing, and on a bus traced by the SDK that `prosa run`
 * sets up for `tracing:` settings (batch span processor, async context manager), its
 * exporter dropping what it is given (the export's own cost is the collector's, not the bus's).
 */
import { pino } from 'pino';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createProsa, type ProcessorContext, type Tvf } from '../src/index.js';
import { startTracing } from '../src/observability/tracing-setup.js';
import { benchScale, figure, interleave, timed, type BenchFigure } from './lib.js';
import { addClient, IN_FLIGHT, makeRecord } from './payload.js';

/** An exporter that counts the spans it is given and drops them. */
export class DroppingExporter implements SpanExporter {
  spans = 0;
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.spans += spans.length;
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

/** A bus with an echo provider and a client processor; traced at `sampleRatio` when given. */
export async function echoBus(name: string, sampleRatio?: number) {
  const silent = pino({ level: 'silent' });
  const exporter = new DroppingExporter();
  const tracing =
    sampleRatio === undefined
      ? undefined
      : await startTracing({ exporter: 'otlp', endpoint: 'http://127.0.0.1:1/v1/traces', sampleRatio }, name, silent, exporter);
  const bus = createProsa({ name, logger: silent, requestTimeoutMs: 60_000, tracing: tracing?.option });
  bus.processor('stub', { services: ['ECHO'], adaptor: { processRequest: (_service, request) => request } });
  const client = addClient(bus);
  await bus.start();
  const record = makeRecord();
  if ((await client().request('ECHO', record)) !== record) throw new Error('the stub did not echo the record');
  return {
    ctx: client(),
    exporter,
    stop: async () => {
      await bus.stop();
      await tracing?.close();
    },
  };
}

/** Serial and 1,000-in-flight samplers of `ctx.request('ECHO')` on one bus, for `interleave`. */
export function echoSamplers(ctx: ProcessorContext, ops: number, batches: number) {
  const record = makeRecord();
  const batch = new Array<Promise<Tvf>>(IN_FLIGHT);
  return {
    serial: timed(ops, async () => {
      for (let i = 0; i < ops; i++) await ctx.request('ECHO', record);
    }),
    inFlight: timed(batches * IN_FLIGHT, async () => {
      for (let b = 0; b < batches; b++) {
        for (let j = 0; j < IN_FLIGHT; j++) batch[j] = ctx.request('ECHO', record);
        await Promise.all(batch);
      }
    }),
  };
}

/** Names of the four figures of a tracing suite. */
export interface TracingFigureNames {
  serial: string;
  inFlight: string;
  tracedSerial: string;
  tracedInFlight: string;
}

/**
 * A tracing suite's run: `ops` serial calls and as many in batches of 1,000 on a bus
 * without tracing and on one traced at `sampleRatio`, rounds interleaved; each traced
 * figure compared with its untraced twin. `check` runs on the traced bus's exporter after.
 */
export async function compareTracing(names: TracingFigureNames, fullOps: number, sampleRatio: number, check: (exporter: DroppingExporter) => void = () => undefined): Promise<BenchFigure[]> {
  const ops = benchScale().ops(fullOps);
  const batches = Math.max(1, Math.round(ops / IN_FLIGHT));
  const plain = await echoBus('plain');
  const traced = await echoBus('traced', sampleRatio);
  try {
    const a = echoSamplers(plain.ctx, ops, batches);
    const b = echoSamplers(traced.ctx, ops, batches);
    const serial = await interleave({ plain: a.serial, traced: b.serial });
    const inFlight = await interleave({ plain: a.inFlight, traced: b.inFlight });
    check(traced.exporter);
    const flightOps = batches * IN_FLIGHT;
    return [
      figure(names.serial, serial.plain, { opsPerRound: ops }),
      figure(names.tracedSerial, serial.traced, { comparedTo: names.serial, opsPerRound: ops }),
      figure(names.inFlight, inFlight.plain, { opsPerRound: flightOps }),
      figure(names.tracedInFlight, inFlight.traced, { comparedTo: names.inFlight, opsPerRound: flightOps }),
    ];
  } finally {
    await plain.stop();
    await traced.stop();
  }
}
