/**
 * The console's figures: per service, the requests of the last interval (a second by
 * default) by outcome and their latency percentiles, counted by a bus observer into one
 * preallocated record per service and read (then reset) once per tick. Requests are
 * counted exactly; latency over the requests the bus timed (about one in
 * `latencySampleEvery`). At most `maxServices` services are counted apart, the rest
 * under `_other`, so made-up service names cannot grow the figures.
 */
import type { RequestOutcome } from '../actors/msg.js';
import type { BusObserver } from '../actors/requests.js';
import { SERVICE_ERROR_KINDS, serviceErrorCounts, type ServiceErrorKind } from '../actors/errors.js';
import { LatencyRecorder } from '../observability/latency-recorder.js';
import type { ProcessSample } from '../observability/process-figures.js';
import { OTHER_SERVICES, OUTCOME_INDEX, OUTCOMES } from '../observability/request-figures.js';

/** Latency percentiles over one interval, in milliseconds (0 when nothing was timed). */
export interface IntervalLatency {
  /** Requests timed in the interval (a sample: about 1 in `latencySampleEvery`). */
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** The figures of one service over one interval. */
export interface ServiceTick {
  /** Requests settled in the interval, whatever their outcome. */
  requests: number;
  /** `requests` per second. */
  perSecond: number;
  /** Of them, those answered with a response. */
  responses: number;
  /** Of them, those that ended in an error, by kind. */
  errors: Record<ServiceErrorKind, number>;
  /** Latency of the timed requests that reached a provider. */
  latencyMs: IntervalLatency;
}

/** One tick of the figures: the `figures` event of the stream. */
export interface FiguresTick {
  /** When the interval ended (ISO 8601, UTC). */
  at: string;
  /** Its length, in milliseconds (as measured, about `figuresIntervalMs`). */
  intervalMs: number;
  /** Requests sent and not yet settled, now. */
  inFlight: number;
  /** Every service at once. */
  totals: Omit<ServiceTick, 'latencyMs'>;
  /** Service -> its figures: each service that settled a request in the interval or is in the table now. */
  services: Record<string, ServiceTick>;
  /** Memory, CPU and event-loop delay of the process. */
  process: ProcessSample;
}

/** Counts of one service over the current interval. */
class ServiceCounts {
  readonly outcomes = new Float64Array(OUTCOMES.length);
  readonly latency = new LatencyRecorder();
  settled = 0;
}

/** Options of {@link IntervalFigures}. */
export interface IntervalFiguresOptions {
  /** Most services counted apart; further ones are counted under `_other`. */
  maxServices: number;
  /** BusObserver: the bus times about one request in this many. */
  latencySampleEvery: number;
}

/** The bus observer that counts the console's figures, read once per tick. */
export class IntervalFigures implements BusObserver {
  /** BusObserver: the bus times about one request in this many; only those count in the percentiles. */
  readonly latencySampleEvery: number;
  private readonly maxServices: number;
  private readonly byService = new Map<string, ServiceCounts>();
  /** The service counted last and its record: a burst to one service skips the map. */
  private lastService = '';
  private lastCounts: ServiceCounts | null = null;

  constructor(options: IntervalFiguresOptions) {
    this.maxServices = options.maxServices;
    this.latencySampleEvery = options.latencySampleEvery;
  }

  /** BusObserver: counts one settled request, and its latency when the bus timed it (not NaN) and a provider had it. */
  requestSettled(service: string, outcome: RequestOutcome, elapsedMs: number, processor: string | undefined): void {
    let counts = this.lastCounts;
    if (service !== this.lastService || counts === null) {
      counts = this.byService.get(service) ?? this.add(service);
      this.lastService = service;
      this.lastCounts = counts;
    }
    counts.outcomes[OUTCOME_INDEX[outcome]]++;
    counts.settled++;
    if (processor !== undefined && elapsedMs === elapsedMs) counts.latency.record(elapsedMs);
  }

  /** Services counted apart so far (at most `maxServices`, `_other` included). */
  get serviceCount(): number {
    return this.byService.size;
  }

  /**
   * The figures of the interval that ends now, then a fresh interval. `present` lists the
   * services to show even with no request (those in the table); the others show only
   * when they settled a request in the interval.
   */
  tick(intervalMs: number, inFlight: number, present: Iterable<string>, process: ProcessSample, at: Date): FiguresTick {
    const seconds = intervalMs > 0 ? intervalMs / 1000 : 1;
    const services: Record<string, ServiceTick> = {};
    const totals = { requests: 0, perSecond: 0, responses: 0, errors: serviceErrorCounts() };
    for (const [service, counts] of this.byService) {
      if (counts.settled === 0) continue;
      const tick = serviceTick(counts, seconds);
      services[service] = tick;
      totals.requests += tick.requests;
      totals.responses += tick.responses;
      for (const kind of SERVICE_ERROR_KINDS) totals.errors[kind] += tick.errors[kind];
      counts.outcomes.fill(0);
      counts.latency.reset();
      counts.settled = 0;
    }
    for (const service of present) services[service] ??= serviceTick(undefined, seconds);
    totals.perSecond = totals.requests / seconds;
    return { at: at.toISOString(), intervalMs, inFlight, totals, services, process };
  }

  private add(service: string): ServiceCounts {
    let name = service;
    // `_other` counts among the `maxServices`: the last slot is kept for it.
    const room = this.byService.has(OTHER_SERVICES) ? this.maxServices : this.maxServices - 1;
    if (this.byService.size >= room) {
      name = OTHER_SERVICES;
      const other = this.byService.get(name);
      if (other !== undefined) return other; // not stored under `service`: the map stays bounded
    }
    const counts = new ServiceCounts();
    this.byService.set(name, counts);
    return counts;
  }
}

function serviceTick(counts: ServiceCounts | undefined, seconds: number): ServiceTick {
  const errors = serviceErrorCounts();
  if (counts === undefined) {
    return { requests: 0, perSecond: 0, responses: 0, errors, latencyMs: { count: 0, p50: 0, p90: 0, p99: 0, max: 0 } };
  }
  for (const kind of SERVICE_ERROR_KINDS) errors[kind] = counts.outcomes[OUTCOME_INDEX[kind]]!;
  const latency = counts.latency.summary();
  return {
    requests: counts.settled,
    perSecond: counts.settled / seconds,
    responses: counts.outcomes[OUTCOME_INDEX.response]!,
    errors,
    latencyMs: { count: latency.count, p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max },
  };
}
