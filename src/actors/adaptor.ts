/**
 * Adaptor (ProSA's `adaptor`): the boundary between a processor and the outside world.
 *
 * Each method may return a value or a promise (ProSA's MaybeAsync).
 */
import type { SpanContext } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { AnyActorLogic } from 'xstate';
import type { Tvf } from '../tvf/tvf.js';
import type { RestartPolicy } from '../machines/restart-policy.js';
import type { RequestMeta, RequestTracing } from './request-context.js';
import type { RequestOptions } from './requests.js';
import type { ServiceTableView } from './service-table.js';

/** A value or a promise of it. */
export type MaybePromise<T> = T | PromiseLike<T>;

/** What a processor gives its adaptor: a new one for each run (each `init`, restarts included). */
export interface ProcessorContext {
  /** The processor's name. */
  readonly name: string;
  /** The processor's child logger (`proc` bound to its name). */
  readonly logger: Logger;
  /**
   * Aborted when the current run of the adaptor ends (crash, stop). A new signal is made
   * for each run, before `init`; background work should stop when it aborts.
   */
  readonly signal: AbortSignal;
  /**
   * Sends a request to a service through this processor's view of the service table.
   * Never throws: settles exactly once, with the response or a `ServiceError` (a wrong
   * call, such as a payload that is not a record, rejects with a `BusError`).
   *
   * Called while `processRequest` runs synchronously (before its first `await`), the
   * request inherits the context of the request being served (trace, metadata, the
   * deadline as a cap), as `info.request` does. After an `await` it inherits only when
   * the served request is traced (its span's async context carries it); elsewhere it
   * starts afresh. In asynchronous code use `info.request`, which always inherits.
   */
  request(service: string, payload: Tvf, options?: RequestOptions): Promise<Tvf>;
  /**
   * Crashes this processor from its own background work (a lost connection, say).
   * A `ProcessorError` says whether it may restart; any other error is recoverable.
   * Ignored when the processor is not in an active state.
   */
  fail(error: unknown): void;
  /**
   * The bus's tracing when it traces (the `tracing` option of `createProsa`), for an
   * adaptor that opens spans of its own (the http-server's HTTP exchange); undefined
   * when tracing is off.
   */
  readonly tracing: RequestTracing | undefined;
  /**
   * Counts a request-context header the adaptor ignored because it was bad or too large
   * (an HTTP `traceparent`, say): `stats().ignoredContext` and the
   * `prosa_ignored_context_headers_total` metric. The adaptor logs it itself.
   */
  contextIgnored(): void;
}

/**
 * What a provider knows of one request besides its service and payload: the bus's
 * `RequestMsg` itself, seen read-only (nothing is allocated to pass it).
 */
export interface RequestInfo {
  /** Bus-unique id of the request. */
  readonly id: number;
  /**
   * When the request was sent, in `performance.now()` milliseconds: exact for a request
   * the bus timed (for an observer's latencies), else within one deadline tick after.
   */
  readonly sentAt: number;
  /** Time the request was given, in milliseconds. */
  readonly timeoutMs: number;
  /**
   * When the request times out, in `performance.now()` milliseconds. Work done for the
   * request past it is wasted: the requester already has its `timeout` error. Read at
   * delivery it may be a little early (never late).
   */
  readonly deadline: number;
  /** Name of the requesting processor; undefined for a request from outside the bus. */
  readonly origin: string | undefined;
  /** The request's metadata (`RequestOptions.meta`, merged with what it inherited); undefined for none. */
  readonly meta: RequestMeta | undefined;
  /**
   * The trace context of the work done for the request (its provider's span, or the
   * context it passes through), to hand on to an upstream (the http-client's
   * `traceparent`); undefined when the request belongs to no trace or tracing is off.
   */
  readonly trace: SpanContext | undefined;
  /**
   * Sends a request while serving this one, inheriting its context: its trace (the new
   * request's span is a child of this one's), its metadata (merged under the new
   * request's own `meta`), and its deadline: the new request's timeout is capped by the
   * time this one has left, and its timeout error says so (`no reply within 120 ms
   * (timeoutMs 5000, capped at 120 ms by the request it serves)`); with no time left it
   * ends in `timeout` at once. Same contract as `ctx.request`: never throws.
   */
  request(service: string, payload: Tvf, options?: RequestOptions): Promise<Tvf>;
}

/** The adaptor of a processor. Only `processRequest` is required. */
export interface Adaptor {
  /**
   * Prepares the adaptor (connect, listen, load). A throw or rejection crashes the
   * processor (recoverable unless a `ProcessorError` says otherwise). Called again on
   * each restart. Bounded by the processor's `initTimeoutMs`.
   */
  init?(ctx: ProcessorContext): MaybePromise<void>;
  /**
   * Serves one request for one of the processor's services. A throw or rejection ends
   * that request in a `protocol` error; the processor keeps serving. A thrown
   * `ServiceError` keeps its kind and detail instead (an adaptor that calls an upstream
   * says `unreachable` or `timeout` so), renamed to this request's service and this
   * processor. Returning something other than a record (`isTvf`) is a `protocol` error
   * too; a thenable is followed once, as a promise would be. Whatever value is thrown or
   * returned, it is read safely (docs/bus.md, hostile values) and the processor keeps
   * serving. `info` gives the request's id, origin and deadline (to bound the work done for it).
   */
  processRequest(service: string, request: Tvf, ctx: ProcessorContext, info: RequestInfo): MaybePromise<Tvf>;
  /**
   * Releases what `init` took. Called once after a stop, and after each crash before a
   * restart (so also after a failed `init`). Bounded by the bus's `terminateTimeoutMs`;
   * its errors are logged, not raised.
   */
  terminate?(ctx: ProcessorContext): MaybePromise<void>;
  /**
   * Told of the service table (ProSA's `Service` message), through the processor's
   * mailbox: called once soon after the processor starts serving (each run), with the
   * table as it is then, and once after each batch of table changes while it serves, on
   * a later turn than the changes (never inside a write of the table). `table` is the
   * bus's live, read-only view. Only while the processor serves; the next call does not
   * wait for a promise the last one returned. Optional: an adaptor without it is never told, and a table change costs
   * its processor nothing. A throw or rejection is logged at `warn`; the processor keeps
   * serving.
   */
  serviceTableChanged?(table: ServiceTableView, ctx: ProcessorContext): MaybePromise<void>;
}

/**
 * A directive as the bus sees it (src/directives gives directives their full type): its
 * kind and its equivalence key.
 */
export interface DirectiveShape {
  /** Directive kind (`LookupService`, `LoadProcessor`, ...). */
  readonly kind: string;
  /** Equivalence key within the kind: equal keys share one directive instance. */
  readonly key: string;
}

/** A resolver as the bus sees it (src/directives gives resolvers their full type). */
export interface ResolverShape {
  /** Name in logs and reports. */
  readonly name: string;
  /** The actor logic the directive layer starts, with the resolver handle as its input. */
  readonly logic: AnyActorLogic;
}

/**
 * How a processor handles directives: called once per directive instance while the
 * processor serves (for instances that exist when it starts serving, and for each new
 * one after), with the context of its current run. Returns the resolvers to start for
 * that directive, or nothing when the processor does not handle it. Must not block; a
 * throw counts as "does not handle" and is logged.
 */
export type DirectiveHandler = (
  directive: DirectiveShape,
  ctx: ProcessorContext,
) => readonly ResolverShape[] | undefined | void;

/** How to build a processor: `prosa.processor(name, spec)`. */
export interface ProcessorSpec {
  /**
   * Services this processor provides. A processor may provide none and only send requests.
   * @defaultValue []
   */
  services?: readonly string[];
  /** The adaptor that does the processor's work. */
  adaptor: Adaptor;
  /** Restart policy; missing fields take the defaults of `DEFAULT_RESTART_POLICY`. */
  restart?: Partial<RestartPolicy>;
  /** Admission control. */
  queue?: {
    /**
     * Most requests in flight at this processor; past it requests fail fast with
     * `overloaded` (nothing is queued).
     * @defaultValue 10000
     */
    maxInFlight?: number;
  };
  /**
   * Longest time `init` may take before it counts as a crash.
   * @defaultValue 30000
   */
  initTimeoutMs?: number;
  /** Logger for this processor; defaults to a child of the bus logger with `proc` bound. */
  logger?: Logger;
  /**
   * Answers directives with resolvers (see {@link DirectiveHandler}). The resolvers of a
   * processor run only while it serves: when it leaves `serving` (crash, stop) they are
   * stopped and the values they gave are removed.
   * @defaultValue none: the processor handles no directive
   */
  directives?: DirectiveHandler;
}
