/**
 * Tracing with OpenTelemetry: the bus's `RequestTracing` port made of `@opentelemetry/api`
 * spans. Give `createProsa({ tracing: otelTracing() })`; without it the bus calls none of
 * this. Each request gets a span at its requester (kind client) and one at its provider
 * around the adaptor (kind server), both named after the service; docs/tracing.md lists
 * every span and attribute.
 *
 * `otelTracing()` uses the global tracer provider, so an application that already set up
 * OpenTelemetry gets prosa's spans in its own traces; `startTracing` (used by `prosa run`
 * for the `tracing:` settings) builds a provider with an exporter.
 */
import {
  context as otelContext,
  createContextKey,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace as otelTrace,
  TraceFlags,
  type Attributes,
  type Span,
  type SpanContext,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { Adaptor, ProcessorContext } from '../actors/adaptor.js';
import type { ServiceError } from '../actors/errors.js';
import type { RequestMsg, RequestOutcome } from '../actors/msg.js';
import { RequestContext, SERVING, type RequestTracing, type TracingOption } from '../actors/request-context.js';

/** Name of prosa's tracer (the instrumentation scope of its spans). */
export const TRACER_NAME = 'prosa';

/** Span attribute names. */
export const SPAN_ATTRIBUTE = {
  /** The instance (bus name) that made the span. */
  instance: 'prosa.instance',
  /** The processor that served the request (server span), or that the request went to (client span). */
  processor: 'prosa.processor',
  /** The processor that sent the request; `-` for a request from outside the bus. */
  origin: 'prosa.origin',
  /** How the request ended: `response` or a `ServiceError` kind. */
  outcome: 'prosa.outcome',
  /** The `ServiceError` kind, when the request failed. */
  errorKind: 'prosa.error.kind',
} as const;

/** The context key under which the request being served rides in the async context of its server span. */
const SERVED_REQUEST = createContextKey('prosa.request');

/** Options of {@link otelTracing}. */
export interface OtelTracingOptions {
  /**
   * Where spans are made.
   * @defaultValue the global tracer provider (`trace.getTracerProvider()`), as set by the application
   */
  tracerProvider?: TracerProvider;
  /**
   * Share of new traces (requests that continue none) to trace, in [0, 1]: decided by prosa
   * before any span is made, so an unsampled request costs a random draw. A request that
   * continues a trace follows its caller's sampled flag whatever this says.
   * @defaultValue left to the provider's sampler (a span is always started, and dropped if unsampled)
   */
  sampleRatio?: number;
}

/** The `tracing` option of `createProsa` that traces with OpenTelemetry (see the module's doc). */
export function otelTracing(options: OtelTracingOptions = {}): TracingOption {
  const ratio = options.sampleRatio;
  if (ratio !== undefined && !(typeof ratio === 'number' && ratio >= 0 && ratio <= 1)) {
    throw new RangeError(`sampleRatio must be a number in [0, 1], got ${String(ratio)}`);
  }
  return { forBus: (instance) => new OtelRequestTracing(instance, options) };
}

/** True when `trace` is sampled (its flags say so). */
function isSampled(trace: SpanContext): boolean {
  return (trace.traceFlags & TraceFlags.SAMPLED) !== 0;
}

/** The context of a span whose parent is `parent` (none: a new trace). */
function parentContext(parent: SpanContext | null) {
  return parent === null ? ROOT_CONTEXT : otelTrace.setSpanContext(ROOT_CONTEXT, parent);
}

/** Ends `span` with the request's outcome, recording the error on it. */
function endSpan(span: Span, outcome: RequestOutcome, error: ServiceError | undefined): void {
  span.setAttribute(SPAN_ATTRIBUTE.outcome, outcome);
  if (error !== undefined) {
    span.setAttribute(SPAN_ATTRIBUTE.errorKind, error.kind);
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  }
  span.end();
}

/** The request context of `msg`, made when it has none. */
function contextOf(msg: RequestMsg): RequestContext {
  return (msg.context ??= new RequestContext());
}

/** The OpenTelemetry tracing of one bus. */
class OtelRequestTracing implements RequestTracing {
  private readonly tracer: Tracer;
  private readonly instance: string;
  private readonly ratio: number | undefined;
  /**
   * True once a server span's context was entered (a request was traced here): until then
   * no async context can carry a served request, and `activeRequest` skips the lookup (an
   * `AsyncLocalStorage` read costs about a quarter of an untraced request).
   */
  private entered = false;

  constructor(instance: string, options: OtelTracingOptions) {
    this.instance = instance;
    this.ratio = options.sampleRatio;
    this.tracer = (options.tracerProvider ?? otelTrace.getTracerProvider()).getTracer(TRACER_NAME);
  }

  /** Whether a new trace is started: the ratio's draw, or (no ratio) the provider's sampler's. */
  private sampleRoot(): boolean {
    const ratio = this.ratio;
    return ratio === undefined || ratio >= 1 || (ratio > 0 && Math.random() < ratio);
  }

  /**
   * The parent of a request: the one it was given, else (a request from outside the bus,
   * `origin` undefined) the span the caller's async context carries, an application's. A
   * request from a processor with no parent has none: the bus knows what it serves.
   */
  private ambient(parent: SpanContext | null, origin: string | undefined): SpanContext | null {
    if (parent !== null || origin !== undefined) return parent;
    return otelTrace.getSpanContext(otelContext.active()) ?? null;
  }

  /** Starts a client span for a request to `service`, or returns null when its trace is not sampled. */
  private clientSpan(service: string, parent: SpanContext | null, origin: string | undefined): Span | null {
    if (parent !== null ? !isSampled(parent) : !this.sampleRoot()) return null;
    const attributes: Attributes = { [SPAN_ATTRIBUTE.instance]: this.instance, [SPAN_ATTRIBUTE.origin]: origin ?? '-' };
    return this.tracer.startSpan(service, { kind: SpanKind.CLIENT, attributes }, parentContext(parent));
  }

  sent(msg: RequestMsg, parent: SpanContext | null, remote: boolean): void {
    try {
      if (remote) {
        // The caller's instance made the client span: only the server span is made here.
        if (parent !== null) contextOf(msg).trace = parent;
        return;
      }
      const from = this.ambient(parent, msg.origin);
      const span = this.clientSpan(msg.service, from, msg.origin);
      if (span === null) {
        // An unsampled trace passes through as it came; no trace at all carries nothing.
        if (from !== null) contextOf(msg).trace = from;
        return;
      }
      const context = contextOf(msg);
      context.trace = span.spanContext();
      if (span.isRecording()) context.client = span;
    } catch {
      // A tracer that throws costs the request its span, never its guarantee.
    }
  }

  refused(service: string, _kind: ServiceError['kind'], error: ServiceError, parent: SpanContext | null, origin: string | undefined): void {
    try {
      const span = this.clientSpan(service, this.ambient(parent, origin), origin);
      if (span !== null) endSpan(span, error.kind, error);
    } catch {
      // As in `sent`.
    }
  }

  serve(msg: RequestMsg, processor: string, adaptor: Adaptor, ctx: ProcessorContext): unknown {
    const context = msg.context!;
    const parent = context.trace;
    let active;
    if (parent !== null && isSampled(parent) && !msg.settled) {
      try {
        const attributes: Attributes = { [SPAN_ATTRIBUTE.instance]: this.instance, [SPAN_ATTRIBUTE.processor]: processor };
        const span = this.tracer.startSpan(msg.service, { kind: SpanKind.SERVER, attributes }, parentContext(parent));
        if (span.isRecording()) context.server = span;
        active = otelTrace.setSpan(ROOT_CONTEXT, span).setValue(SERVED_REQUEST, msg);
      } catch {
        active = undefined;
      }
    }
    if (active === undefined) return adaptor.processRequest(msg.service, msg.payload, ctx, msg);
    this.entered = true;
    return otelContext.with(active, adaptor.processRequest, adaptor, msg.service, msg.payload, ctx, msg);
  }

  settled(msg: RequestMsg, outcome: RequestOutcome, error: ServiceError | undefined): void {
    const context = msg.context!;
    try {
      const server = context.server;
      if (server !== null) endSpan(server, outcome, error);
      const client = context.client;
      if (client !== null) {
        const provider = msg.provider;
        if (provider !== null) client.setAttribute(SPAN_ATTRIBUTE.processor, provider.processor);
        endSpan(client, outcome, error);
      }
    } catch {
      // As in `sent`.
    }
  }

  event(msg: RequestMsg, name: string): void {
    const context = msg.context;
    if (context === null) return;
    try {
      context.server?.addEvent(name);
      context.client?.addEvent(name);
    } catch {
      // As in `sent`.
    }
  }

  activeRequest(): RequestMsg | undefined {
    if (!this.entered) return undefined;
    return otelContext.active().getValue(SERVED_REQUEST) as RequestMsg | undefined;
  }

  startSpan(name: string, options: SpanOptions, parent: SpanContext | null): Span | undefined {
    try {
      if (parent !== null ? !isSampled(parent) : !this.sampleRoot()) return undefined;
      return this.tracer.startSpan(name, options, parentContext(parent));
    } catch {
      return undefined;
    }
  }
}

/**
 * The object of a log line with `trace_id` and `span_id` added when it is written while a
 * traced request is served: the active span's (the adaptor's code, after an `await` too),
 * else the trace of the request whose `processRequest` runs synchronously. Outside a
 * trace, `object` itself; inside, a copy (the caller's object is never changed). For
 * pino's `formatters.log`: it runs only for lines that are written.
 */
export function withTraceIds(object: Record<string, unknown>): Record<string, unknown> {
  const span = otelTrace.getSpanContext(otelContext.active()) ?? SERVING.msg?.trace;
  return span === undefined ? object : { ...object, trace_id: span.traceId, span_id: span.spanId };
}
