/**
 * Messages (ProSA's `msg`): the request record, and the Service message.
 *
 * A request is one {@link RequestMsg} record, which is also the `request.sent` event
 * delivered to the provider's mailbox. It holds its reply target (the requester's
 * promise), its timeout and its provider, and is linked into its provider's in-flight list
 * and (when still in flight once delivered) into the deadline wheel, so that settling it
 * costs no `Map` churn, no timer of its own and (unless the bus times requests) no clock
 * read. ProSA's `Service` message, a
 * processor told of the service table, is the {@link TableChanged} event, delivered to the
 * mailbox of a processor that asked for it.
 */
import type { SpanContext } from '@opentelemetry/api';
import type { Tvf } from '../tvf/tvf.js';
import type { ServiceError, ServiceErrorKind } from './errors.js';
import { servedTrace, type RequestContext, type RequestMeta } from './request-context.js';
import type { RequestOptions } from './requests.js';

/** What happened to a request: a response, or the kind of its error. */
export type RequestOutcome = 'response' | ServiceErrorKind;

/**
 * The end that serves requests for a service: a local processor, or (through a
 * transport) a processor of another instance. Fields are read on every request, so
 * they are plain fields, not getters.
 */
export interface Provider {
  /** Name of the providing processor. */
  readonly processor: string;
  /** True when the provider lives on another instance. */
  readonly remote: boolean;
  /** For a remote provider: the instances behind it, if the transport tells (for tools, not routing). */
  readonly instances?: readonly string[];
  /** False once the provider stops taking new requests (crashed, draining, stopped). */
  accepting: boolean;
  /** Requests delivered and not yet settled. Maintained by {@link RequestMsg}. */
  inFlight: number;
  /** Most requests in flight at once; past it new requests fail with `overloaded`. */
  readonly maxInFlight: number;
  /** Head of the in-flight list. Maintained by {@link RequestMsg}. */
  inFlightHead: RequestMsg | null;
  /** Hands a request over. The provider settles it with `respond` or `fail`, once. */
  deliver(msg: RequestMsg): void;
  /** Called when `inFlight` drops to zero. */
  onIdle(): void;
  /**
   * Sends a request on behalf of `parent`, a request this provider serves, with
   * `parent`'s context (`RequestInfo.request`); only local providers, whose adaptors
   * serve requests, have it.
   */
  requestFor?(parent: RequestMsg, service: string, payload: Tvf, options: RequestOptions | undefined): Promise<Tvf>;
}

/** What a settled request reports: counters, metrics. Set once per bus. */
export interface SettleSink {
  /** Called exactly once per request, when it settles (with its error when it failed). */
  settled(msg: RequestMsg, outcome: RequestOutcome, error?: ServiceError): void;
  /** Sends a request for `parent` to a provider with no `requestFor` (never happens for a local provider): refused. */
  orphan(parent: RequestMsg, service: string): Promise<Tvf>;
  /** Called for a reply that came after its request had settled (dropped). */
  late(msg: RequestMsg): void;
  /** Removes the request from the deadline wheel. */
  unschedule(msg: RequestMsg): void;
}

/**
 * ProSA's `Service` message: the service table changed (or, for a processor that just
 * began to serve, is as it is). Delivered only to the mailbox of a processor whose
 * adaptor has `serviceTableChanged`, once per batch of changes.
 */
export interface TableChanged {
  readonly type: 'table.changed';
  /** The table's version (`ServiceTableView.version`) the event tells of. */
  readonly version: number;
}

/** What a processor's mailbox receives. */
export type MailboxEvent = RequestMsg | TableChanged;

/** {@link RequestMsg}'s `state` bit: the request has its one response or error. */
const SETTLED = 1;
/** {@link RequestMsg}'s `state` bit: the bus read the clock at send, for an observer's latency. */
const TIMED = 2;

/**
 * What a failed request's promise is resolved with: a thenable that rejects it with the
 * error. The request keeps only its promise's `resolve` (the `reject` function would be
 * one more closure per request in flight); failing costs the requester a microtask more.
 */
class Rejection {
  constructor(private readonly error: ServiceError) {}

  then(_resolve: unknown, reject: (error: ServiceError) => void): void {
    reject(this.error);
  }
}

/**
 * One request in flight, and the `request.sent` event its provider receives. Every field
 * is held per request in flight (docs/architecture.md, "The hot path"), so the record
 * keeps few: its event type is on the prototype, two flags share one number, and its
 * send time is its deadline less its timeout.
 */
export class RequestMsg {
  /** Event type, so the record can be sent to an actor as is (on the prototype: no field per request). */
  declare readonly type: 'request.sent';
  /** Bus-unique id. */
  readonly id: number;
  /** The service asked for. */
  readonly service: string;
  /** The request's TVF payload. */
  readonly payload: Tvf;
  /** Time the request was given, in milliseconds. */
  readonly timeoutMs: number;
  /** Name of the requesting processor; undefined for a request from outside the bus. */
  readonly origin: string | undefined;
  /** The provider the request was delivered to. */
  provider: Provider | null = null;
  /** @internal {@link SETTLED} and {@link TIMED} bits */
  state = 0;
  /** What the request carries besides its payload (trace, metadata, a capped deadline); null when nothing. */
  context: RequestContext | null = null;

  /** @internal in-flight list links */
  prevInFlight: RequestMsg | null = null;
  /** @internal */
  nextInFlight: RequestMsg | null = null;
  /** @internal deadline wheel links */
  prevDue: RequestMsg | null = null;
  /** @internal */
  nextDue: RequestMsg | null = null;
  /** @internal wheel slot index: -1 when not scheduled, -2 in the wheel's intake */
  slot = -1;
  /**
   * @internal the deadline, in `performance.now()` milliseconds: set at send when the bus
   * read the clock then (a timed or nested request), else NaN until the deadline wheel
   * stamps the request
   */
  due: number;

  /** @internal the requester's promise's `resolve` (a failure resolves it with a {@link Rejection}) */
  resolve!: (reply: Tvf | PromiseLike<Tvf>) => void;
  private readonly sink: SettleSink;

  constructor(
    sink: SettleSink,
    id: number,
    service: string,
    payload: Tvf,
    timeoutMs: number,
    sent: number,
    origin: string | undefined,
  ) {
    this.sink = sink;
    this.id = id;
    this.service = service;
    this.payload = payload;
    this.timeoutMs = timeoutMs;
    this.due = sent + timeoutMs;
    this.origin = origin;
  }

  /** True once the request has its one response or error. */
  get settled(): boolean {
    return (this.state & SETTLED) !== 0;
  }

  /** @internal True when the bus read the clock at send (an observer's latency is exact). */
  get timed(): boolean {
    return (this.state & TIMED) !== 0;
  }

  /** @internal Marks the request timed, sent at `now` (a clock read). */
  stampSent(now: number): void {
    this.state |= TIMED;
    this.due = now + this.timeoutMs;
  }

  /**
   * When the request was sent, in `performance.now()` milliseconds. Exact for a request
   * the bus timed (for an observer's latencies); otherwise the time the deadline wheel
   * took it in (at most one deadline tick after the send), and before that, now.
   */
  get sentAt(): number {
    const due = this.due;
    return due === due ? due - this.timeoutMs : performance.now();
  }

  /**
   * When the request times out, in `performance.now()` milliseconds: work done for it
   * past that is wasted. Until the deadline wheel takes the request in (within one
   * deadline tick of the send), an estimate that is never later than the real deadline.
   */
  get deadline(): number {
    const due = this.due;
    return due === due ? due : performance.now() + this.timeoutMs;
  }

  /** The request's metadata (`RequestInfo.meta`). */
  get meta(): RequestMeta | undefined {
    return this.context?.meta;
  }

  /** The trace context of the work done for this request (`RequestInfo.trace`). */
  get trace(): SpanContext | undefined {
    return servedTrace(this.context) ?? undefined;
  }

  /**
   * Sends a request while serving this one, inheriting its context (`RequestInfo.request`):
   * the provider sends it as the requester. Never throws.
   */
  request(service: string, payload: Tvf, options?: RequestOptions): Promise<Tvf> {
    const provider = this.provider;
    return provider?.requestFor !== undefined ? provider.requestFor(this, service, payload, options) : this.sink.orphan(this, service);
  }

  /**
   * Settles the request with a response. Returns false, and drops the reply (counted
   * as late), when the request had already settled.
   */
  respond(payload: Tvf): boolean {
    if (!this.close()) {
      this.sink.late(this);
      return false;
    }
    this.resolve(payload); // first: whatever the bookkeeping does next, the request has settled
    this.sink.settled(this, 'response');
    return true;
  }

  /** Settles the request with an error. Returns false when it had already settled. */
  fail(error: ServiceError): boolean {
    if (!this.close()) return false;
    // A promise resolved with a thenable calls its `then` (one microtask later): the one
    // way to reject it without its `reject`. The cast: `then` here needs no return value.
    this.resolve(new Rejection(error) as unknown as PromiseLike<Tvf>);
    this.sink.settled(this, error.kind, error);
    return true;
  }

  /** Links the request into its provider's in-flight list and delivers it. */
  deliverTo(provider: Provider): void {
    this.provider = provider;
    const head = provider.inFlightHead;
    this.nextInFlight = head;
    if (head !== null) head.prevInFlight = this;
    provider.inFlightHead = this;
    provider.inFlight++;
    provider.deliver(this);
  }

  /** A short form for logs and the inspector (no payload, no links). */
  toJSON(): { type: 'request.sent'; id: number; service: string; origin: string | undefined } {
    return { type: this.type, id: this.id, service: this.service, origin: this.origin };
  }

  private close(): boolean {
    if ((this.state & SETTLED) !== 0) return false;
    this.state |= SETTLED;
    if (this.slot !== -1) this.sink.unschedule(this); // most requests never went on the wheel
    const provider = this.provider;
    if (provider !== null) {
      const prev = this.prevInFlight;
      const next = this.nextInFlight;
      if (prev !== null) prev.nextInFlight = next;
      else provider.inFlightHead = next;
      if (next !== null) next.prevInFlight = prev;
      this.prevInFlight = this.nextInFlight = null;
      if (--provider.inFlight === 0) provider.onIdle();
    }
    return true;
  }
}

/**
 * Ends every request in flight at `provider` with the error `makeError` builds for it.
 * Used when a provider crashes or stops with requests still in flight.
 */
export function failInFlight(provider: Provider, makeError: (msg: RequestMsg) => ServiceError): void {
  let msg = provider.inFlightHead;
  while (msg !== null) {
    const next = msg.nextInFlight;
    msg.fail(makeError(msg));
    msg = next;
  }
}

Object.defineProperty(RequestMsg.prototype, 'type', { value: 'request.sent', enumerable: true });
