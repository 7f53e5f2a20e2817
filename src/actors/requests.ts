/**
 * Requests of one bus: sending, deadlines, and the counters every settled request feeds.
 *
 * A request goes to a provider picked from a service entry. Sending is the hot path: one
 * record, one promise, no timer, no map write, and for a request its provider answers
 * while it is delivered, not even a link on the deadline wheel.
 */
import { isTvf } from '../tvf/is-tvf.js';
import type { Tvf } from '../tvf/tvf.js';
import { messageOf, safeError } from '../tvf/unknown-value.js';
import { DeadlineWheel } from './deadlines.js';
import { BusError, ServiceError, serviceErrorCounts, type ServiceErrorKind } from './errors.js';
import type { SpanContext } from '@opentelemetry/api';
import { RequestMsg, type RequestOutcome, type SettleSink } from './msg.js';
import {
  checkMeta,
  mergeMeta,
  RequestContext,
  servedTrace,
  type IncomingContext,
  type RequestMeta,
  type RequestTracing,
} from './request-context.js';
import type { ServiceEntry } from './service-table.js';

/** Figures of a bus, counted since it was created. */
export interface RequestStats {
  /** Requests sent (including the ones refused at once). */
  requests: number;
  /** Requests that ended in a response. */
  responses: number;
  /** Requests that ended in an error, by kind. */
  errors: Record<ServiceErrorKind, number>;
  /** Replies dropped because their request had already settled. */
  late: number;
  /** Requests sent and not yet settled. */
  inFlight: number;
  /**
   * Request-context headers ignored because they were bad or too large (`traceparent`,
   * `tracestate`, `baggage`, a deadline header) on a request from another instance or
   * over HTTP: the request was served without them.
   */
  ignoredContext: number;
}

/**
 * Hooks called as requests settle, for metrics. Called synchronously on the hot path:
 * keep them cheap and never throw (a throw is caught and reported to the bus's log; it
 * never reaches the request, which has settled already).
 */
export interface BusObserver {
  /**
   * Called exactly once per request. `elapsedMs` runs from send to settle for a request
   * the bus timed, and is NaN for one it did not (see {@link latencySampleEvery}); a
   * request refused at once (no `processor`) has 0.
   */
  requestSettled?(
    service: string,
    outcome: RequestOutcome,
    elapsedMs: number,
    processor: string | undefined,
    remote: boolean,
  ): void;
  /** Called for each reply dropped because its request had already settled. */
  lateReply?(service: string, processor: string | undefined): void;
  /**
   * Latencies wanted: about one request in this many (a positive integer) is timed, the
   * others settle with `elapsedMs` NaN. Timing costs two clock reads, about 100 ns each,
   * close to half a whole request; an untimed request reads no clock. The gaps between
   * timed requests are random (mean this value), so no periodic traffic pattern is missed.
   * With several observers the bus times as often as the most demanding one asks. Read
   * when the observer is added.
   * @defaultValue 1 (every request; only when `requestSettled` is set)
   */
  readonly latencySampleEvery?: number;
}

/** How often `observers` want a request timed: 0 for never, else one in (about) this many. */
function sampleEveryOf(observers: readonly BusObserver[]): number {
  let every = 0;
  for (const observer of observers) {
    if (observer.requestSettled === undefined) continue;
    const wanted = observer.latencySampleEvery ?? 1;
    const n = Number.isInteger(wanted) && wanted >= 1 ? wanted : 1;
    every = every === 0 ? n : Math.min(every, n);
  }
  return every;
}

/** Options of a request. */
export interface RequestOptions {
  /**
   * Time allowed for the response; past it the request ends in a `timeout` error.
   * Defaults to the bus's `requestTimeoutMs`.
   */
  timeoutMs?: number;
  /**
   * User metadata: at most 16 string entries (keys are tokens of at most 64 characters,
   * values at most 256 characters), readable by the provider as `info.meta` and by every
   * provider of the requests sent while serving it (merged under their own). It crosses
   * NATS and HTTP as a W3C `baggage` header.
   */
  meta?: Readonly<Record<string, string>>;
  /**
   * The trace context the request continues (its parent span), read from outside the
   * bus: an incoming `traceparent`. Used only when the bus traces; a request sent while
   * serving another inherits that one's without it.
   */
  trace?: SpanContext;
}

/** Longest request timeout: about 24 days, the most a Node.js timer can wait. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/** A request refused before it was counted: the call itself was wrong (a `BusError`). */
function invalidRequest(service: unknown, what: string): Promise<never> {
  const to = typeof service === 'string' ? `request to '${service}'` : 'request';
  return Promise.reject(new BusError('InvalidOption', `${to}: ${what}`));
}

/** Told of an observer that threw (it must not; the bus logs it). */
export type ObserverFailure = (error: unknown) => void;

/**
 * The observer the hot path calls: none, the only one, or a fan-out over a fixed list
 * (changed only by replacing the list, so a fan-out in progress is never disturbed). In a
 * fan-out, one observer that throws does not keep the others from being called.
 */
function observerOf(observers: readonly BusObserver[], failed: ObserverFailure): BusObserver | undefined {
  if (observers.length <= 1) return observers[0];
  return {
    requestSettled(service, outcome, elapsedMs, processor, remote) {
      for (const observer of observers) {
        try {
          observer.requestSettled?.(service, outcome, elapsedMs, processor, remote);
        } catch (error) {
          failed(error);
        }
      }
    },
    lateReply(service, processor) {
      for (const observer of observers) {
        try {
          observer.lateReply?.(service, processor);
        } catch (error) {
          failed(error);
        }
      }
    },
  };
}

/** Sends and tracks the requests of one bus. */
export class Requests implements SettleSink {
  /** Counters; read them with {@link Requests.stats}. */
  private readonly counts: RequestStats = {
    requests: 0,
    responses: 0,
    errors: serviceErrorCounts(),
    late: 0,
    inFlight: 0,
    ignoredContext: 0,
  };
  private nextId = 1;
  private readonly wheel: DeadlineWheel;
  /** The one observer called per request: the only one, or a fan-out over several. */
  private observer: BusObserver | undefined;
  /** Every observer, in the order they were added. */
  private observers: readonly BusObserver[];
  /** One request in (about) this many is timed; 0 when no observer wants latencies. */
  private sampleEvery: number;
  /** Requests to send before the next timed one: the only cost of an untimed request. */
  private untilTimed = 1;
  private readonly defaultTimeoutMs: number;
  private readonly observerFailed: ObserverFailure;
  /** The bus's tracing; undefined when off, and then nothing of tracing runs. */
  readonly tracing: RequestTracing | undefined;
  /** Set by the bus's `stop()`: from then on, new requests fail at once with `shutdown`. */
  closed = false;

  constructor(
    defaultTimeoutMs: number,
    tickMs: number,
    observer: BusObserver | undefined,
    observerFailed: ObserverFailure,
    tracing?: RequestTracing,
  ) {
    this.tracing = tracing;
    this.defaultTimeoutMs = defaultTimeoutMs;
    this.observerFailed = observerFailed;
    this.observers = observer === undefined ? [] : [observer];
    this.observer = observerOf(this.observers, observerFailed);
    this.sampleEvery = sampleEveryOf(this.observers);
    this.wheel = new DeadlineWheel(tickMs, () => performance.now(), (msg) => this.expire(msg));
  }

  /**
   * Sends `payload` to the next provider of `entry` (round-robin among those that
   * accept and have room; with `localOnly`, among local ones only). Never throws: always
   * returns a promise that settles exactly once. A wrong call (`service` not a string,
   * `payload` not a record, a bad `timeoutMs` or `meta`) rejects with a `BusError` and is
   * not counted; anything else ends in the response or a `ServiceError`, whatever throws
   * on the way (a provider that cannot take the request makes it `unreachable`).
   *
   * `parent` is the request this one is sent while serving: its trace, metadata and
   * deadline are inherited (the timeout is capped by the time it has left). `incoming`
   * is the context of a request from another instance (whose span is the parent).
   */
  send(
    entry: ServiceEntry | undefined,
    service: string,
    payload: Tvf,
    options: RequestOptions | undefined,
    origin: string | undefined,
    localOnly = false,
    parent: RequestMsg | null = null,
    incoming: IncomingContext | null = null,
  ): Promise<Tvf> {
    // The whole send is guarded (a try costs nothing until something throws): a hostile
    // `options`, a provider whose delivery throws, a bug of ours, all end in a settled
    // rejection of this request, never in a throw at the caller.
    let counted = false;
    let msg: RequestMsg | undefined;
    let reply: Promise<Tvf> | undefined;
    try {
      if (typeof service !== 'string') return invalidRequest(service, `the service must be a string, got ${messageOf(service)}`);
      if (!isTvf(payload)) return invalidRequest(service, `the payload must be a Tvf record, got ${messageOf(payload)}`);
      let timeoutMs = options?.timeoutMs ?? this.defaultTimeoutMs;
      if (!(typeof timeoutMs === 'number' && timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
        return invalidRequest(service, `timeoutMs must be a number in (0, ${MAX_TIMEOUT_MS}], got ${messageOf(timeoutMs)}`);
      }
      let meta: RequestMeta | undefined;
      let trace: SpanContext | null = null;
      if (options !== undefined) {
        const ownMeta = options.meta;
        if (ownMeta !== undefined) {
          try {
            meta = checkMeta(ownMeta);
          } catch (error) {
            return invalidRequest(service, messageOf(error));
          }
        }
        trace = options.trace ?? null;
      }
      // What the request inherits: only a nested request (or one from another instance) reads anything here.
      let sent = Number.NaN;
      let askedMs = Number.NaN;
      if (parent !== null) {
        const context = parent.context;
        if (context !== null) {
          meta = mergeMeta(context.meta, meta);
          trace ??= servedTrace(context);
        }
        // The cap: a clock read, for nested requests only; the request is stamped with it,
        // so that its deadline is the parent's exactly (not one deadline tick later).
        sent = performance.now();
        const left = parent.deadline - sent;
        if (left < timeoutMs) {
          askedMs = timeoutMs;
          timeoutMs = left;
        }
      } else if (incoming !== null) {
        meta = mergeMeta(incoming.meta, meta);
        trace ??= incoming.trace;
      }
      this.counts.requests++;
      counted = true;
      if (this.closed) return this.refuse(service, 'shutdown', 'the bus is stopping', trace, origin);
      if (!(timeoutMs > 0)) {
        return this.refuse(service, 'timeout', `no time left: the request it serves is past its deadline (timeoutMs ${askedMs})`, trace, origin);
      }
      if (entry === undefined) return this.refuse(service, 'unreachable', 'no provider serves it', trace, origin);
      const provider = localOnly ? entry.nextLocal() : entry.next();
      if (provider === null) {
        return entry.isFull(localOnly)
          ? this.refuse(service, 'overloaded', `every provider is at its maxInFlight`, trace, origin)
          : this.refuse(service, 'unreachable', 'no provider accepts requests now', trace, origin);
      }
      // A clock read costs about a third of a request: only a timed request pays for one
      // here (or a nested one, which read it for its cap); otherwise the deadline wheel
      // stamps the request at its next sweep.
      const made = new RequestMsg(this, this.nextId++, service, payload, timeoutMs, sent, origin);
      if (this.sampleEvery !== 0 && --this.untilTimed <= 0) {
        this.untilTimed = this.sampleEvery === 1 ? 1 : 1 + Math.floor(Math.random() * (2 * this.sampleEvery - 1));
        made.stampSent(sent === sent ? sent : performance.now()); // a nested request has read the clock already
      }
      // A capped request's deadline is its parent's exactly (sent + (deadline - sent) may round).
      if (askedMs === askedMs) made.due = parent!.deadline;
      if (meta !== undefined || askedMs === askedMs) {
        const context = new RequestContext();
        context.meta = meta;
        context.askedMs = askedMs;
        made.context = context;
      }
      const tracing = this.tracing;
      if (tracing !== undefined) tracing.sent(made, trace, incoming !== null);
      reply = new Promise<Tvf>((resolve) => {
        made.resolve = resolve;
      });
      this.counts.inFlight++;
      msg = made;
      made.deliverTo(provider);
      // On the deadline wheel only when still in flight once delivered: a provider that
      // answers at once (a synchronous adaptor) settles the request inside `deliverTo`,
      // and the wheel never sees it. The wheel stamps a request at its next sweep, after
      // this, so a deadline still never comes early.
      if (!made.settled) this.wheel.schedule(made);
      return reply;
    } catch (error) {
      return this.sendFailed(service, counted, msg, reply, error);
    }
  }

  /**
   * Adds an observer; returns the function that removes it (safe to call twice). With one
   * observer the hot path calls it directly; with several, a fan-out calls each in turn.
   */
  addObserver(observer: BusObserver): () => void {
    this.observers = [...this.observers, observer];
    this.adoptObservers();
    return () => {
      const index = this.observers.indexOf(observer);
      if (index < 0) return;
      this.observers = this.observers.filter((_, i) => i !== index);
      this.adoptObservers();
    };
  }

  private adoptObservers(): void {
    this.observer = observerOf(this.observers, this.observerFailed);
    this.sampleEvery = sampleEveryOf(this.observers);
    this.untilTimed = 1;
  }

  /** A copy of the counters. */
  stats(): RequestStats {
    return { ...this.counts, errors: { ...this.counts.errors } };
  }

  /** Counts a request-context header that was ignored (see `RequestStats.ignoredContext`). */
  contextIgnored(): void {
    this.counts.ignoredContext++;
  }

  /** Stops the deadline timer (the bus has stopped). */
  release(): void {
    this.wheel.stop();
  }

  /** Part of {@link SettleSink}: called by the request itself. */
  settled(msg: RequestMsg, outcome: RequestOutcome, error?: ServiceError): void {
    this.counts.inFlight--;
    if (outcome === 'response') this.counts.responses++;
    else this.counts.errors[outcome]++;
    const context = msg.context;
    if (context !== null && (context.client !== null || context.server !== null)) this.tracing!.settled(msg, outcome, error);
    const observer = this.observer;
    if (observer?.requestSettled !== undefined) {
      const provider = msg.provider;
      try {
        observer.requestSettled(
          msg.service,
          outcome,
          msg.timed ? performance.now() - msg.sentAt : Number.NaN,
          provider?.processor,
          provider?.remote ?? false,
        );
      } catch (error) {
        this.observerFailed(error);
      }
    }
  }

  /** Part of {@link SettleSink}: called by the request itself. */
  late(msg: RequestMsg): void {
    this.counts.late++;
    try {
      this.observer?.lateReply?.(msg.service, msg.provider?.processor);
    } catch (error) {
      this.observerFailed(error);
    }
  }

  /** Part of {@link SettleSink}: called by the request itself. */
  unschedule(msg: RequestMsg): void {
    this.wheel.unschedule(msg);
  }

  /** Part of {@link SettleSink}: a request for `parent` whose provider cannot send one (none of ours). */
  orphan(parent: RequestMsg, service: string): Promise<Tvf> {
    return invalidRequest(service, `info.request: request ${parent.id} is not served by a local processor`);
  }

  private expire(msg: RequestMsg): void {
    const askedMs = msg.context?.askedMs ?? Number.NaN;
    const within = Math.round(msg.timeoutMs);
    const detail = askedMs === askedMs
      ? `no reply within ${within} ms (timeoutMs ${askedMs}, capped at ${within} ms by the request it serves)`
      : `no reply within ${msg.timeoutMs} ms`;
    msg.fail(new ServiceError('timeout', msg.service, msg.provider?.processor, detail));
  }

  private refuse(
    service: string,
    kind: ServiceErrorKind,
    detail: string,
    trace: SpanContext | null = null,
    origin: string | undefined = undefined,
  ): Promise<never> {
    this.counts.errors[kind]++;
    const error = new ServiceError(kind, service, undefined, detail);
    const reply = Promise.reject(error);
    this.tracing?.refused(service, kind, error, trace, origin);
    const observer = this.observer;
    if (observer?.requestSettled !== undefined) {
      try {
        observer.requestSettled(service, kind, 0, undefined, false);
      } catch (error) {
        this.observerFailed(error);
      }
    }
    return reply;
  }

  /**
   * Ends a request whose send threw: a request already in flight fails `unreachable` (its
   * provider could not take it); one counted but not sent yet is refused `unreachable`;
   * one not counted (its options could not be read) is a wrong call.
   */
  private sendFailed(
    service: string,
    counted: boolean,
    msg: RequestMsg | undefined,
    reply: Promise<Tvf> | undefined,
    error: unknown,
  ): Promise<Tvf> {
    const why = messageOf(error);
    if (msg !== undefined && reply !== undefined) {
      const detail = `the provider could not take the request: ${why}`;
      msg.fail(new ServiceError('unreachable', service, msg.provider?.processor, detail, safeError(error)));
      return reply;
    }
    if (counted) return this.refuse(service, 'unreachable', `the request could not be routed: ${why}`);
    return invalidRequest(service, `its options cannot be read: ${why}`);
  }
}
