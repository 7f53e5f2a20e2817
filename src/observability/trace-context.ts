/**
 * The request context as headers, one reader and one writer for every wire that carries
 * it (NATS between instances, HTTP in and out): W3C `traceparent` and `tracestate` for the
 * trace, W3C `baggage` for the request's metadata, and `prosa-timeout-ms` for what is left
 * of its deadline.
 *
 * A header from outside is hostile until checked: a bad or oversized one is ignored (the
 * request is served without it) and reported to the caller's `ignored` callback, which
 * counts it and logs it; reading never throws.
 */
import { createTraceState, isSpanContextValid, type SpanContext } from '@opentelemetry/api';
import { checkMeta, type RequestMeta } from '../actors/request-context.js';
import { messageOf } from '../tvf/unknown-value.js';

/** Names of the request-context headers (lower case, as HTTP and NATS both accept). */
export const CONTEXT_HEADER = {
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  baggage: 'baggage',
  timeoutMs: 'prosa-timeout-ms',
} as const;

/** Longest `tracestate` read, in characters (W3C: at most 32 members of 256 characters; 512 is what propagators keep). */
export const MAX_TRACESTATE_CHARS = 512;
/** Longest `baggage` read, in characters (W3C's limit is 8192 bytes; prosa's metadata is much smaller). */
export const MAX_BAGGAGE_CHARS = 8_192;

/** `traceparent` version 00: version, trace id, parent id, flags (a later version may add fields after a `-`). */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** What the request-context headers of one request gave. */
export interface ReadContext {
  /** The caller's span, when `traceparent` was there and good. */
  trace: SpanContext | null;
  /** The caller's metadata, when `baggage` was there and good. */
  meta: RequestMeta | undefined;
  /** Milliseconds left before the caller's deadline, when `prosa-timeout-ms` was there and good. */
  timeoutMs: number | undefined;
}

/** Told of each header ignored: its name and why (never its value, which may be anything). */
export type IgnoredHeader = (header: string, reason: string) => void;

/** A header of a message by name; undefined (or null, or '') when absent. */
export type HeaderReader = (name: string) => string | null | undefined;

/**
 * The request context that the headers `get` reads carry. Each bad header is left out
 * and reported to `ignored`; never throws (a `get` that throws counts as no header).
 * `timeoutMs` is read only with `withTimeout` (NATS has its own, required, header).
 */
export function readContextHeaders(get: HeaderReader, ignored: IgnoredHeader, withTimeout = true): ReadContext {
  const read = (name: string): string | undefined => {
    try {
      const value = get(name);
      return typeof value === 'string' && value !== '' ? value : undefined;
    } catch {
      return undefined;
    }
  };
  const out: ReadContext = { trace: null, meta: undefined, timeoutMs: undefined };
  const parent = read(CONTEXT_HEADER.traceparent);
  if (parent !== undefined) {
    const trace = parseTraceparent(parent);
    if (trace === null) {
      ignored(CONTEXT_HEADER.traceparent, 'not a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>, ids not all zero)');
    } else {
      const state = read(CONTEXT_HEADER.tracestate);
      if (state !== undefined) {
        if (state.length > MAX_TRACESTATE_CHARS) ignored(CONTEXT_HEADER.tracestate, `longer than ${MAX_TRACESTATE_CHARS} characters`);
        else trace.traceState = createTraceState(state);
      }
      out.trace = trace;
    }
  }
  const baggage = read(CONTEXT_HEADER.baggage);
  if (baggage !== undefined) {
    try {
      out.meta = parseBaggage(baggage);
    } catch (error) {
      ignored(CONTEXT_HEADER.baggage, messageOf(error));
    }
  }
  if (withTimeout) {
    const timeout = read(CONTEXT_HEADER.timeoutMs);
    if (timeout !== undefined) {
      const ms = /^[0-9]{1,10}$/.test(timeout) ? Number(timeout) : Number.NaN;
      if (ms > 0) out.timeoutMs = ms;
      else ignored(CONTEXT_HEADER.timeoutMs, 'not a positive whole number of milliseconds');
    }
  }
  return out;
}

/**
 * Writes the request context to headers through `set`: `traceparent` (and `tracestate`)
 * when `trace` is given, `baggage` when `meta` has entries. Writes nothing else.
 */
export function writeContextHeaders(
  set: (name: string, value: string) => void,
  trace: SpanContext | null | undefined,
  meta: RequestMeta | undefined,
): void {
  if (trace != null) {
    set(CONTEXT_HEADER.traceparent, formatTraceparent(trace));
    const state = trace.traceState?.serialize();
    if (state !== undefined && state !== '') set(CONTEXT_HEADER.tracestate, state);
  }
  if (meta !== undefined) {
    let baggage = '';
    for (const key in meta) baggage += `${baggage === '' ? '' : ','}${key}=${encodeURIComponent(meta[key]!)}`;
    if (baggage !== '') set(CONTEXT_HEADER.baggage, baggage);
  }
}

/** The `traceparent` of `trace`: `00-<trace id>-<span id>-<flags>`. */
export function formatTraceparent(trace: SpanContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${(trace.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The span context a `traceparent` names (remote), or null when it is not a valid one. */
export function parseTraceparent(text: string): SpanContext | null {
  if (text.length > 512) return null;
  const match = TRACEPARENT.exec(text.trim());
  if (match === null) return null;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  // Version ff is invalid; version 00 has no more fields.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  const trace: SpanContext = { traceId, spanId, traceFlags: Number.parseInt(flags, 16), isRemote: true };
  return isSpanContextValid(trace) ? trace : null;
}

/**
 * Request metadata from a W3C `baggage` header: `key=value` members separated by commas,
 * values percent-decoded, member properties (after `;`) dropped. Throws a `TypeError`
 * saying what is wrong (too long, a member without `=`, a bad escape, or what
 * {@link checkMeta} refuses).
 */
export function parseBaggage(text: string): RequestMeta {
  if (text.length > MAX_BAGGAGE_CHARS) throw new TypeError(`longer than ${MAX_BAGGAGE_CHARS} characters`);
  const entries: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const member of text.split(',')) {
    const pair = member.split(';', 1)[0]!.trim();
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new TypeError('a member is not key=value');
    let value: string;
    try {
      value = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      throw new TypeError('a value has a bad percent escape');
    }
    entries[pair.slice(0, eq).trim()] = value;
  }
  return checkMeta(entries);
}
