/**
 * Request context: what a request carries from its requester to its provider, and on into
 * every request the provider sends while serving it (ProSA's transaction, Moleculer's
 * `ctx.meta`): the trace it belongs to, the metadata its requester gave, and its deadline
 * (a nested request never outlives the request it serves).
 *
 * The bus knows which request a nested one serves in two ways, both exact under any
 * interleaving of requests: `info.request(...)` (the request's own handle, see
 * `RequestInfo.request`) always; `ctx.request(...)` while the provider's `processRequest`
 * runs synchronously ({@link SERVING}, set and restored around each call), and after an
 * `await` only where an async context carries the request (a traced request, see
 * {@link RequestTracing.activeRequest}). No `AsyncLocalStorage` is entered otherwise: on
 * Node 20 one makes every promise of the process slower (about half the bus's speed,
 * docs/tracing.md).
 *
 * Spans are made through {@link RequestTracing}, a port the bus calls and `src/tracing`
 * implements with OpenTelemetry; without one (the default) nothing of tracing runs.
 */
import type { Span, SpanContext, SpanOptions } from '@opentelemetry/api';
import { messageOf } from '../tvf/unknown-value.js';
import type { Adaptor, ProcessorContext } from './adaptor.js';
import type { ServiceError } from './errors.js';
import type { RequestMsg, RequestOutcome } from './msg.js';

/** A request's user metadata: a small map of strings (a correlation id, a tenant), readable by every provider on its way. */
export type RequestMeta = Readonly<Record<string, string>>;

/** Most entries in a request's metadata. */
export const MAX_META_ENTRIES = 16;
/** Longest metadata key: a token of letters, digits and `!#$%&'*+-.^_|~` (W3C baggage keys). */
export const MAX_META_KEY_CHARS = 64;
/** Longest metadata value, in characters. */
export const MAX_META_VALUE_CHARS = 256;

/** A metadata key: an HTTP token (RFC 9110), so it can cross HTTP and NATS as a baggage key. */
const META_KEY = /^[A-Za-z0-9!#$%&'*+.^_|~-]+$/;

/**
 * `value` as request metadata: a frozen copy with null prototype. Throws a `TypeError`
 * naming the entry at fault (not an object, too many entries, a key that is not a
 * token or too long, a value that is not a string or too long). Never shows a value.
 */
export function checkMeta(value: unknown): RequestMeta {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`meta must be an object of strings, got ${messageOf(value)}`);
  }
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  let count = 0;
  for (const key of Object.keys(value)) {
    if (++count > MAX_META_ENTRIES) throw new TypeError(`meta has more than ${MAX_META_ENTRIES} entries`);
    if (key.length > MAX_META_KEY_CHARS || !META_KEY.test(key)) {
      throw new TypeError(`meta key '${key.slice(0, MAX_META_KEY_CHARS)}' must be a token of at most ${MAX_META_KEY_CHARS} letters, digits or !#$%&'*+-.^_|~`);
    }
    const entry: unknown = (value as Record<string, unknown>)[key];
    if (typeof entry !== 'string') throw new TypeError(`meta.${key} must be a string, got ${messageOf(entry)}`);
    if (entry.length > MAX_META_VALUE_CHARS) throw new TypeError(`meta.${key} is longer than ${MAX_META_VALUE_CHARS} characters`);
    out[key] = entry;
  }
  return Object.freeze(out);
}

/** `inherited` with `own`'s entries over it, within {@link MAX_META_ENTRIES} (the request's own entries are kept first). */
export function mergeMeta(inherited: RequestMeta | undefined, own: RequestMeta | undefined): RequestMeta | undefined {
  if (own === undefined) return inherited;
  if (inherited === undefined) return own;
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  let count = 0;
  for (const key in own) {
    out[key] = own[key]!;
    count++;
  }
  for (const key in inherited) {
    if (count >= MAX_META_ENTRIES) break;
    if (!(key in out)) {
      out[key] = inherited[key]!;
      count++;
    }
  }
  return Object.freeze(out);
}

/**
 * What a request carries besides its payload and timeout. Made only for a request that
 * has something to carry (a trace, metadata, a capped deadline): a request without any
 * costs no allocation.
 */
export class RequestContext {
  /**
   * The trace context the request carries to its provider: its requester's span, or the
   * context it was given from outside and passes through unchanged when no span is made
   * for it (an unsampled trace). Null when it belongs to no trace.
   */
  trace: SpanContext | null = null;
  /** The request's metadata. */
  meta: RequestMeta | undefined = undefined;
  /** The timeout the requester asked for when the request it serves had less time left (its timeout was capped); else NaN. */
  askedMs = Number.NaN;
  /** The requester's span (kind client), while it is open. */
  client: Span | null = null;
  /** The provider's span (kind server) around its adaptor, while it is open. */
  server: Span | null = null;
}

/**
 * The trace context a request hands on to the requests sent while serving it: its
 * provider's span when one was made, else the context it carries (passed through).
 */
export function servedTrace(context: RequestContext | null): SpanContext | null {
  if (context === null) return null;
  const server = context.server;
  return server !== null ? server.spanContext() : context.trace;
}

/**
 * The request whose `processRequest` runs synchronously now, if any: set by the intake
 * just before it calls the adaptor and restored just after (a stack, so a provider that
 * synchronously serves another request in between is told apart). A field write each
 * way: what `ctx.request` reads to inherit, and the logger's trace ids.
 */
export const SERVING: { msg: RequestMsg | null } = { msg: null };

/** A context from another instance: the caller's span and metadata (read from the transport's headers). */
export interface IncomingContext {
  /** The caller's span, the parent of this instance's server span; null for none. */
  readonly trace: SpanContext | null;
  /** The caller's metadata. */
  readonly meta: RequestMeta | undefined;
}

/**
 * The bus's tracing port: the bus calls it on the hot path only when tracing is on (a
 * bus without one calls nothing), and only for what it decided to trace. `src/tracing`
 * implements it with the OpenTelemetry API. No method may throw (each is called where a
 * throw would break a request's guarantee); an implementation guards its own calls.
 */
export interface RequestTracing {
  /**
   * A request was made (before it is delivered): decides whether it is traced (a parent
   * that is sampled, or a new trace the sampler takes) and, if so, opens the requester's
   * span (`remote`: the request came from another instance, whose client span is the
   * parent, and only the server span is made here). Writes what the request carries in
   * `msg.context` (allocating one only when there is something to carry).
   */
  sent(msg: RequestMsg, parent: SpanContext | null, remote: boolean): void;
  /** A request was refused before it reached a provider (no provider, overloaded, shutdown, no time left). */
  refused(service: string, kind: ServiceError['kind'], error: ServiceError, parent: SpanContext | null, origin: string | undefined): void;
  /**
   * Calls `adaptor.processRequest` for `msg` (whose context carries a sampled trace)
   * inside the provider's span (kind server), made active for the adaptor's code.
   * Returns what `processRequest` returned; lets what it throws through.
   */
  serve(msg: RequestMsg, processor: string, adaptor: Adaptor, ctx: ProcessorContext): unknown;
  /** `msg` settled: ends its spans with the outcome (and the error, recorded on them). */
  settled(msg: RequestMsg, outcome: RequestOutcome, error: ServiceError | undefined): void;
  /** A lifecycle event of the provider that ends `msg` (a crash), as an event on its spans. */
  event(msg: RequestMsg, name: string): void;
  /** The request an async context carries now (the adaptor code of a traced request after an `await`), if any. */
  activeRequest(): RequestMsg | undefined;
  /**
   * Opens a span of an adaptor's own work (an HTTP exchange, say) as a child of `parent`
   * (a context read from outside, or none), when the sampler takes it; undefined when
   * it does not (the caller then passes `parent` through as is).
   */
  startSpan(name: string, options: SpanOptions, parent: SpanContext | null): Span | undefined;
}

/** What a bus asks of its `tracing` option: the port for that bus (each bus gets its own, named after its instance). */
export interface TracingOption {
  /** The tracing of the bus named `instance`. */
  forBus(instance: string): RequestTracing;
}
