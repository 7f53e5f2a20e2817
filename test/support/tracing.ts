/**
 * An OpenTelemetry SDK for tests: a tracer provider whose spans go to memory, and the
 * async context manager `prosa run` registers, set up and torn down around a test file.
 */
import { context as otelContext, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** A provider writing to `exporter`, and the global context manager; `close()` undoes both. */
export function memoryTracing() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const manager = new AsyncLocalStorageContextManager().enable();
  otelContext.setGlobalContextManager(manager);
  return {
    exporter,
    provider,
    /** The finished spans, each as the few facts tests compare. */
    spans: () => exporter.getFinishedSpans().map(summary),
    close: async () => {
      await provider.shutdown();
      otelContext.disable();
    },
  };
}

/** What a test checks of a span. */
export interface SpanSummary {
  name: string;
  kind: 'client' | 'server' | 'internal' | 'producer' | 'consumer';
  traceId: string;
  spanId: string;
  parent: string | undefined;
  attributes: Record<string, unknown>;
  status: number;
  events: string[];
  span: ReadableSpan;
}

const KINDS = { [SpanKind.CLIENT]: 'client', [SpanKind.SERVER]: 'server', [SpanKind.INTERNAL]: 'internal', [SpanKind.PRODUCER]: 'producer', [SpanKind.CONSUMER]: 'consumer' } as const;

function summary(span: ReadableSpan): SpanSummary {
  return {
    name: span.name,
    kind: KINDS[span.kind],
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parent: span.parentSpanContext?.spanId,
    attributes: { ...span.attributes },
    status: span.status.code,
    events: span.events.map((event) => event.name),
    span,
  };
}
