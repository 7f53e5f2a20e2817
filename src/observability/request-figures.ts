/**
 * Request figures: the per-service counts and latency buckets the bus's observer feeds on
 * the hot path. Each service's figures are one record of preallocated arrays, found with
 * one `Map.get`; counting a request allocates nothing and hashes no label (prom-client's
 * own `labels(...).inc()` and `observe()` hash their labels on every call, ~0.7 µs, as
 * long as a whole bus request). Prometheus reads the figures when it scrapes.
 */
import { BusError, SERVICE_ERROR_KINDS } from '../actors/errors.js';
import type { BusObserver } from '../actors/requests.js';
import type { RequestOutcome } from '../actors/msg.js';

/** Every outcome of a request, in the order of {@link ServiceFigures.outcomes}: a response, or a service-error kind. */
export const OUTCOMES: readonly RequestOutcome[] = Object.freeze(['response', ...SERVICE_ERROR_KINDS]);

/** Where each outcome is in {@link OUTCOMES} (and in every array indexed as it). */
export const OUTCOME_INDEX = Object.freeze(Object.fromEntries(OUTCOMES.map((outcome, i) => [outcome, i])) as Record<RequestOutcome, number>);

/**
 * Default upper bounds of the latency buckets, in seconds: 100 µs (an in-process hop) to
 * 10 s (a slow remote).
 */
export const DEFAULT_LATENCY_BUCKETS: readonly number[] = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/** Default of `maxServices`. */
export const DEFAULT_MAX_SERVICES = 1_000;

/** Default of `latencySampleEvery`: one request in about 16 is timed. */
export const DEFAULT_LATENCY_SAMPLE_EVERY = 16;

/** Service label of the figures of services past `maxServices`. */
export const OTHER_SERVICES = '_other';

/** The figures of one service. */
export class ServiceFigures {
  /** Service name (the `service` label). */
  readonly service: string;
  /** Requests settled, by outcome, indexed as {@link OUTCOMES}. */
  readonly outcomes = new Float64Array(OUTCOMES.length);
  /** Of them, those that went to another instance (through a transport), by outcome. */
  readonly remoteOutcomes = new Float64Array(OUTCOMES.length);
  /** Latency counts per bucket (not cumulative); the last counts those past every bound. */
  readonly buckets: Float64Array;
  /** Sum of the latencies counted in `buckets`, in milliseconds. */
  latencySumMs = 0;
  /** Replies dropped because their request had already settled. */
  lateReplies = 0;

  constructor(service: string, bucketCount: number) {
    this.service = service;
    this.buckets = new Float64Array(bucketCount + 1);
  }

  /** Requests counted in the latency buckets. */
  latencyCount(): number {
    let count = 0;
    for (const n of this.buckets) count += n;
    return count;
  }
}

/** Options of {@link RequestFigures}. */
export interface RequestFigureOptions {
  /**
   * Upper bounds of the latency buckets, in seconds, ascending.
   * @defaultValue {@link DEFAULT_LATENCY_BUCKETS}
   */
  latencyBuckets?: readonly number[];
  /**
   * Most services counted apart; the requests of any further service are counted under
   * the service `_other`, so that requests to made-up names cannot grow the metrics
   * without bound.
   * @defaultValue 1000
   */
  maxServices?: number;
  /**
   * Latency sampling: the bus times about one request in this many (random gaps of this
   * mean) and only those are counted in the latency histogram; counts by outcome stay
   * exact. Timing a request costs two clock reads (~100 ns each, close to half an
   * in-process request); 1 times every request.
   * @defaultValue 16
   */
  latencySampleEvery?: number;
}

/** The request figures of one bus; it is the bus observer that feeds them. */
export class RequestFigures implements BusObserver {
  /** Upper bounds of the latency buckets, in seconds. */
  readonly latencyBuckets: readonly number[];
  /** BusObserver: the bus times about one request in this many; only those are in the histogram. */
  readonly latencySampleEvery: number;
  private readonly boundsMs: Float64Array;
  private readonly maxServices: number;
  private readonly byService = new Map<string, ServiceFigures>();
  /** The service counted last and its figures: a burst to one service skips the map. */
  private lastService = '';
  private lastFigures: ServiceFigures | null = null;

  constructor(options: RequestFigureOptions = {}) {
    const buckets = options.latencyBuckets ?? DEFAULT_LATENCY_BUCKETS;
    for (let i = 0; i < buckets.length; i++) {
      const bound = buckets[i]!;
      if (!(bound > 0) || !Number.isFinite(bound) || (i > 0 && bound <= buckets[i - 1]!)) {
        throw new BusError('InvalidOption', `latency buckets must be finite, positive and ascending, got [${buckets.join(', ')}]`);
      }
    }
    const maxServices = options.maxServices ?? DEFAULT_MAX_SERVICES;
    if (!Number.isInteger(maxServices) || maxServices < 1) {
      throw new BusError('InvalidOption', `maxServices must be a positive integer, got ${String(maxServices)}`);
    }
    const sampleEvery = options.latencySampleEvery ?? DEFAULT_LATENCY_SAMPLE_EVERY;
    if (!Number.isInteger(sampleEvery) || sampleEvery < 1) {
      throw new BusError('InvalidOption', `latencySampleEvery must be a positive integer, got ${String(sampleEvery)}`);
    }
    this.latencySampleEvery = sampleEvery;
    this.latencyBuckets = Object.freeze([...buckets]);
    this.boundsMs = Float64Array.from(buckets, (s) => s * 1000);
    this.maxServices = maxServices;
  }

  /**
   * BusObserver: counts one settled request. The latency of a timed request (`elapsedMs`
   * not NaN) that reached a provider is counted, whatever its outcome; a request refused
   * at once (no provider, overloaded, bus stopping) has none.
   */
  requestSettled(
    service: string,
    outcome: RequestOutcome,
    elapsedMs: number,
    processor: string | undefined,
    remote = false,
  ): void {
    let figures = this.lastFigures;
    if (service !== this.lastService || figures === null) {
      figures = this.byService.get(service) ?? this.add(service);
      this.lastService = service;
      this.lastFigures = figures;
    }
    figures.outcomes[OUTCOME_INDEX[outcome]]++;
    if (remote) figures.remoteOutcomes[OUTCOME_INDEX[outcome]]++;
    if (processor === undefined || elapsedMs !== elapsedMs) return; // refused, or not timed (NaN)
    const bounds = this.boundsMs;
    const n = bounds.length;
    let i = 0;
    while (i < n && elapsedMs > bounds[i]!) i++;
    figures.buckets[i]++;
    figures.latencySumMs += elapsedMs;
  }

  /** BusObserver: counts a reply dropped because its request had already settled. */
  lateReply(service: string): void {
    (this.byService.get(service) ?? this.add(service)).lateReplies++;
  }

  /** The figures of every service counted so far, in the order they first appeared. */
  services(): IterableIterator<ServiceFigures> {
    return this.byService.values();
  }

  private add(service: string): ServiceFigures {
    let name = service;
    if (this.byService.size >= this.maxServices) {
      name = OTHER_SERVICES;
      const other = this.byService.get(name);
      if (other !== undefined) return other; // not stored under `service`: the map stays bounded
    }
    const figures = new ServiceFigures(name, this.boundsMs.length);
    this.byService.set(name, figures);
    return figures;
  }
}
