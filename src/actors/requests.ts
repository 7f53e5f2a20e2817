/**
 * Requests of one bus: sending a request to a provider picked from a service entry,
 * deadlines, and the counters every settled request feeds. Sending is the hot path:
 * one record, one promise, no timer, no map write.
 */
import type { Tvf } from '../tvf/tvf.js';
import { DeadlineWheel } from './deadlines.js';
import { BusError, ServiceError, type ServiceErrorKind } from './errors.js';
import { RequestMsg, type RequestOutcome, type SettleSink } from './msg.js';
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
}

/**
 * Hooks called as requests settle, for metrics. Called synchronously on the hot path:
 * keep them cheap and never throw.
 */
export interface BusObserver {
  /** Called exactly once per request. `elapsedMs` runs from send to settle. */
  requestSettled?(
    service: string,
    outcome: RequestOutcome,
    elapsedMs: number,
    processor: string | undefined,
    remote: boolean,
  ): void;
  /** Called for each reply dropped because its request had already settled. */
  lateReply?(service: string, processor: string | undefined): void;
}

/** Options of a request. */
export interface RequestOptions {
  /**
   * Time allowed for the response; past it the request ends in a `timeout` error.
   * Defaults to the bus's `requestTimeoutMs`.
   */
  timeoutMs?: number;
}

/** Longest request timeout: about 24 days, the most a Node.js timer can wait. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

function invalidTimeout(service: string, timeoutMs: unknown): Promise<never> {
  return Promise.reject(
    new BusError(
      'InvalidOption',
      `request to '${service}': timeoutMs must be a number in (0, ${MAX_TIMEOUT_MS}], got ${String(timeoutMs)}`,
    ),
  );
}

/**
 * The observer the hot path calls: none, the only one, or a fan-out over a fixed list
 * (changed only by replacing the list, so a fan-out in progress is never disturbed).
 */
function observerOf(observers: readonly BusObserver[]): BusObserver | undefined {
  if (observers.length <= 1) return observers[0];
  return {
    requestSettled(service, outcome, elapsedMs, processor, remote) {
      for (const observer of observers) observer.requestSettled?.(service, outcome, elapsedMs, processor, remote);
    },
    lateReply(service, processor) {
      for (const observer of observers) observer.lateReply?.(service, processor);
    },
  };
}

/** Sends and tracks the requests of one bus. */
export class Requests implements SettleSink {
  /** Counters; read them with {@link Requests.stats}. */
  private readonly counts: RequestStats = {
    requests: 0,
    responses: 0,
    errors: { timeout: 0, unreachable: 0, protocol: 0, overloaded: 0, shutdown: 0 },
    late: 0,
    inFlight: 0,
  };
  private nextId = 1;
  private readonly wheel: DeadlineWheel;
  /** The one observer called per request: the only one, or a fan-out over several. */
  private observer: BusObserver | undefined;
  /** Every observer, in the order they were added. */
  private observers: readonly BusObserver[];
  /** True when an observer wants latencies: only then is the clock read at send. */
  private timed: boolean;
  private readonly defaultTimeoutMs: number;
  /** When set, new requests fail at once with `shutdown`. */
  closed = false;

  constructor(defaultTimeoutMs: number, tickMs: number, observer: BusObserver | undefined) {
    this.defaultTimeoutMs = defaultTimeoutMs;
    this.observers = observer === undefined ? [] : [observer];
    this.observer = observer;
    this.timed = observer?.requestSettled !== undefined;
    this.wheel = new DeadlineWheel(tickMs, () => performance.now(), (msg) => this.expire(msg));
  }

  /**
   * Sends `payload` to the next provider of `entry` (round-robin among those that
   * accept and have room; with `localOnly`, among local ones only). Always returns a
   * promise that settles exactly once.
   */
  send(
    entry: ServiceEntry | undefined,
    service: string,
    payload: Tvf,
    options: RequestOptions | undefined,
    origin: string | undefined,
    localOnly = false,
  ): Promise<Tvf> {
    const timeoutMs = options?.timeoutMs ?? this.defaultTimeoutMs;
    if (!(timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) return invalidTimeout(service, timeoutMs);
    this.counts.requests++;
    if (this.closed) return this.refuse(service, 'shutdown', 'the bus is stopping');
    if (entry === undefined) return this.refuse(service, 'unreachable', 'no provider serves it');
    const provider = localOnly ? entry.nextLocal() : entry.next();
    if (provider === null) {
      return entry.isFull(localOnly)
        ? this.refuse(service, 'overloaded', `every provider is at its maxInFlight`)
        : this.refuse(service, 'unreachable', 'no provider accepts requests now');
    }
    // A clock read costs about a third of a request: only a timed bus pays for one here;
    // otherwise the deadline wheel stamps the request at its next sweep.
    const sent = this.timed ? performance.now() : Number.NaN;
    const msg = new RequestMsg(this, this.nextId++, service, payload, timeoutMs, sent, origin);
    const reply = new Promise<Tvf>((resolve, reject) => {
      msg.resolve = resolve;
      msg.reject = reject;
    });
    this.counts.inFlight++;
    this.wheel.schedule(msg);
    msg.deliverTo(provider);
    return reply;
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
    this.observer = observerOf(this.observers);
    this.timed = this.observers.some((observer) => observer.requestSettled !== undefined);
  }

  /** A copy of the counters. */
  stats(): RequestStats {
    return { ...this.counts, errors: { ...this.counts.errors } };
  }

  /** Stops the deadline timer (the bus has stopped). */
  release(): void {
    this.wheel.stop();
  }

  /** @internal SettleSink */
  settled(msg: RequestMsg, outcome: RequestOutcome): void {
    this.counts.inFlight--;
    if (outcome === 'response') this.counts.responses++;
    else this.counts.errors[outcome]++;
    const observer = this.observer;
    if (observer?.requestSettled !== undefined) {
      const provider = msg.provider;
      observer.requestSettled(
        msg.service,
        outcome,
        performance.now() - msg.sentAt,
        provider?.processor,
        provider?.remote ?? false,
      );
    }
  }

  /** @internal SettleSink */
  late(msg: RequestMsg): void {
    this.counts.late++;
    this.observer?.lateReply?.(msg.service, msg.provider?.processor);
  }

  /** @internal SettleSink */
  unschedule(msg: RequestMsg): void {
    this.wheel.unschedule(msg);
  }

  private expire(msg: RequestMsg): void {
    msg.fail(new ServiceError('timeout', msg.service, msg.provider?.processor, `no reply within ${msg.timeoutMs} ms`));
  }

  private refuse(service: string, kind: ServiceErrorKind, detail: string): Promise<never> {
    this.counts.errors[kind]++;
    this.observer?.requestSettled?.(service, kind, 0, undefined, false);
    return Promise.reject(new ServiceError(kind, service, undefined, detail));
  }
}
