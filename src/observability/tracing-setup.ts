/**
 * The OpenTelemetry SDK as the `tracing:` settings ask for it: a tracer provider with a
 * batch span processor and an exporter (OTLP over HTTP, or log lines), registered as the
 * global provider when none is (so plugins' own spans land in the same traces), and an
 * async context manager, so that a request sent after an `await` in an adaptor stays in
 * its trace. `prosa run` starts it before the bus and shuts it down (flushing the last
 * spans) after the bus stopped.
 *
 * The SDK packages are optional peers of prosa, loaded only here, when tracing is on
 * (`@opentelemetry/api`, which the bus's spans are made with, is a dependency).
 */

/** The SDK packages tracing settings need (optional peers of prosa). */
export const TRACING_SDK_PACKAGES = [
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/resources',
  '@opentelemetry/context-async-hooks',
] as const;
import { context as otelContext, trace as otelTrace } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { BasicTracerProvider, ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';
import type { TracingOption } from '../actors/request-context.js';
import { messageOf } from '../tvf/unknown-value.js';
import { importOptional } from './optional-package.js';
import type { TracingSettings } from './settings.js';
import { otelTracing } from './tracing.js';

/** Tracing of one instance, started from its settings. */
export interface TracingRun {
  /** The `tracing` option of `createProsa`. */
  readonly option: TracingOption;
  /** The SDK's provider (its spans go to the exporter). */
  readonly provider: BasicTracerProvider;
  /** Sends the spans not yet exported and stops the exporter; unregisters what it registered. Idempotent; never rejects. */
  close(): Promise<void>;
}

/** A span exporter that writes each span as one log line at info (`tracing.exporter: console`). */
export class LogSpanExporter implements SpanExporter {
  constructor(private readonly logger: Pick<Logger, 'info'>) {}

  /** Logs `spans`, one line each. */
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    for (const span of spans) {
      const context = span.spanContext();
      this.logger.info(
        {
          span: {
            name: span.name,
            kind: span.kind,
            trace_id: context.traceId,
            span_id: context.spanId,
            parent_span_id: span.parentSpanContext?.spanId,
            duration_ms: span.duration[0] * 1e3 + span.duration[1] / 1e6,
            status: span.status.code,
            attributes: span.attributes,
            events: span.events.map((event) => event.name),
          },
        },
        `span ${span.name}`,
      );
    }
    // ExportResultCode.SUCCESS (a type-only import: @opentelemetry/core is not loaded for this).
    done({ code: 0 });
  }

  /** Nothing to release. */
  async shutdown(): Promise<void> {}
}

/**
 * Starts tracing as `settings` say for instance `name`; undefined when they leave it off
 * (no section, or `exporter: none`). `logger` gets the console exporter's lines and the
 * failure of the last export (never with the headers). `exporter` replaces the one the
 * settings name (a benchmark's, a test's). Rejects with a `MissingPackageError` naming
 * the SDK packages when they are not installed.
 */
export async function startTracing(
  settings: TracingSettings | undefined,
  name: string,
  logger: Logger,
  exporter?: SpanExporter,
): Promise<TracingRun | undefined> {
  if (settings === undefined || settings.exporter === 'none') return undefined;
  const [{ AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler }, { OTLPTraceExporter }, { resourceFromAttributes }, { AsyncLocalStorageContextManager }] =
    await importOptional('tracing (the tracing settings section)', TRACING_SDK_PACKAGES, () =>
      Promise.all([
        import('@opentelemetry/sdk-trace-base'),
        import('@opentelemetry/exporter-trace-otlp-http'),
        import('@opentelemetry/resources'),
        import('@opentelemetry/context-async-hooks'),
      ]),
    );
  exporter ??=
    settings.exporter === 'otlp' ? new OTLPTraceExporter({ url: settings.endpoint, headers: settings.headers }) : new LogSpanExporter(logger);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName ?? name, 'service.instance.id': name }),
    // prosa draws the root sampling itself (sampleRatio): the SDK keeps what it is given.
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const manager = new AsyncLocalStorageContextManager();
  // Each succeeds only where nothing else registered one (an embedding application's stays).
  const ownManager = otelContext.setGlobalContextManager(manager.enable());
  if (!ownManager) manager.disable();
  const ownProvider = otelTrace.setGlobalTracerProvider(provider);
  let closing: Promise<void> | undefined;
  return {
    option: otelTracing({ tracerProvider: provider, sampleRatio: settings.sampleRatio }),
    provider,
    close: () =>
      (closing ??= (async () => {
        try {
          await provider.shutdown();
        } catch (error) {
          logger.warn({ reason: messageOf(error) }, 'tracing: the last spans could not be sent');
        }
        if (ownProvider) otelTrace.disable();
        if (ownManager) otelContext.disable();
      })()),
  };
}
