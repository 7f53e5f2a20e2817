/**
 * The metrics of one bus: request figures fed by the hot path, lifecycle figures fed by
 * the bus's events, process figures read when asked. Each bus has its own prom-client
 * `Registry` (never the global one), so several buses in one process do not clash.
 * Every metric is named `prosa_*`.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Prosa, ProsaEvents, ProsaState } from '../actors/prosa.js';
import type { ProcessorState } from '../machines/processor.machine.js';
import type { RequestOutcome } from '../actors/msg.js';
import { LatencyHistogram } from './latency-histogram.js';
import { DEFAULT_EVENT_LOOP_RESOLUTION_MS, ProcessFigures, type ProcessSample } from './process-figures.js';
import { OUTCOMES, RequestFigures, type RequestFigureOptions } from './request-figures.js';

/** Every processor lifecycle state, in lifecycle order. */
export const PROCESSOR_STATES = [
  'created',
  'initializing',
  'registering',
  'serving',
  'draining',
  'terminating',
  'crashed',
  'restarting',
  'stopped',
  'failed',
] as const satisfies readonly ProcessorState[];

const MAIN_STATES = ['created', 'starting', 'running', 'stopping', 'stopped'] as const satisfies readonly ProsaState[];

/** Options of {@link ProsaMetrics}. */
export interface MetricsOptions extends RequestFigureOptions {
  /**
   * Sampling interval of the event-loop delay monitor, in milliseconds.
   * @defaultValue 10
   */
  eventLoopResolutionMs?: number;
}

/** Whether a bus is fit to serve: what `/health` answers. */
export interface Health {
  /** True while Main runs and no processor has failed. */
  healthy: boolean;
  /** Main's state. */
  main: ProsaState;
  /** Names of the processors in `failed` (they stay listed until removed). */
  failed: string[];
}

/** Latency figures of one service. */
export interface LatencySnapshot {
  /** Requests timed (those that reached a provider). */
  count: number;
  /** Sum of their latencies. */
  sumSeconds: number;
  /** Cumulative counts per bucket, aligned with {@link MetricsSnapshot.latencyBuckets}, then `+Inf`. */
  buckets: number[];
}

/** Every figure of a bus at one moment, as plain data (what `/metrics` shows, without HTTP). */
export interface MetricsSnapshot {
  /** Instance name. */
  name: string;
  /** Health, as `/health` answers it. */
  health: Health;
  /** Processors by lifecycle state (every state present, zeros included). */
  processors: Record<ProcessorState, number>;
  /** Each processor's state. */
  processorStates: Record<string, ProcessorState>;
  /** Service -> number of providers in the service table. */
  services: Record<string, number>;
  /** Service -> requests settled by outcome. */
  requests: Record<string, Record<RequestOutcome, number>>;
  /** Upper bounds of the latency buckets, in seconds. */
  latencyBuckets: readonly number[];
  /** Service -> latency figures. */
  latency: Record<string, LatencySnapshot>;
  /** Requests sent and not yet settled. */
  inFlight: number;
  /** Service -> replies dropped because their request had already settled. */
  lateReplies: Record<string, number>;
  /** Processor -> restarts (entries into `restarting`). */
  restarts: Record<string, number>;
  /** Processor -> crashes (entries into `crashed`). */
  crashes: Record<string, number>;
  /** Memory, CPU and event-loop delay of the process. */
  process: ProcessSample;
}

function byState(prosa: Prosa): Record<ProcessorState, number> {
  const counts = Object.fromEntries(PROCESSOR_STATES.map((state) => [state, 0])) as Record<ProcessorState, number>;
  for (const processor of prosa.processors()) counts[processor.state]++;
  return counts;
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/**
 * The metrics of one bus. Build it with {@link attachMetrics}. Figures keep counting
 * until `close()`; after the bus stops they stay readable.
 */
export class ProsaMetrics {
  /** The bus measured. */
  readonly prosa: Prosa;
  /** This bus's registry: add metrics of your own to it, they show on `/metrics` too. */
  readonly registry = new Registry();
  /** The request figures, fed by the bus observer. */
  readonly requests: RequestFigures;
  private readonly process: ProcessFigures;
  private readonly restarts = new Map<string, number>();
  private readonly crashes = new Map<string, number>();
  private readonly disposers: (() => void)[] = [];
  private closed = false;

  /** @internal use {@link attachMetrics} */
  constructor(prosa: Prosa, options: MetricsOptions = {}) {
    this.prosa = prosa;
    this.requests = new RequestFigures(options);
    this.process = new ProcessFigures(options.eventLoopResolutionMs ?? DEFAULT_EVENT_LOOP_RESOLUTION_MS);
    this.register();
    this.disposers.push(prosa.observe(this.requests));
    const onState = ({ processor, state }: ProsaEvents['processor.state']): void => {
      if (state === 'restarting') increment(this.restarts, processor.name);
      else if (state === 'crashed') increment(this.crashes, processor.name);
    };
    const onMain = ({ state }: ProsaEvents['main.state']): void => {
      if (state === 'stopped') this.process.close(); // the figures stay readable; the monitor stops
    };
    prosa.events.on('processor.state', onState);
    prosa.events.on('main.state', onMain);
    this.disposers.push(() => prosa.events.off('processor.state', onState));
    this.disposers.push(() => prosa.events.off('main.state', onMain));
  }

  /** Content type of {@link metrics}' text (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in the Prometheus text format, as `/metrics` serves it. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** 200-or-503 material: healthy while Main runs and no processor has failed. */
  health(): Health {
    const main = this.prosa.state;
    const failed = this.prosa.processors().filter((p) => p.state === 'failed').map((p) => p.name);
    return { healthy: main === 'running' && failed.length === 0, main, failed };
  }

  /** Every figure now, as plain data. Samples the process figures (see `ProcessFigures.sample`). */
  snapshot(): MetricsSnapshot {
    const prosa = this.prosa;
    const requests: MetricsSnapshot['requests'] = {};
    const latency: MetricsSnapshot['latency'] = {};
    const lateReplies: MetricsSnapshot['lateReplies'] = {};
    for (const figures of this.requests.services()) {
      const outcomes = {} as Record<RequestOutcome, number>;
      OUTCOMES.forEach((outcome, i) => (outcomes[outcome] = figures.outcomes[i]!));
      requests[figures.service] = outcomes;
      let cumulative = 0;
      const buckets = Array.from(figures.buckets, (n) => (cumulative += n));
      latency[figures.service] = { count: cumulative, sumSeconds: figures.latencySumMs / 1000, buckets };
      lateReplies[figures.service] = figures.lateReplies;
    }
    const services: Record<string, number> = {};
    for (const [service, providers] of Object.entries(prosa.services())) services[service] = providers.length;
    return {
      name: prosa.name,
      health: this.health(),
      processors: byState(prosa),
      processorStates: Object.fromEntries(prosa.processors().map((p) => [p.name, p.state])),
      services,
      requests,
      latencyBuckets: this.requests.latencyBuckets,
      latency,
      inFlight: prosa.stats().inFlight,
      lateReplies,
      restarts: Object.fromEntries(this.restarts),
      crashes: Object.fromEntries(this.crashes),
      process: this.process.sample(),
    };
  }

  /** Stops counting: removes the observer and the event handlers, stops the monitor. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const dispose of this.disposers.splice(0)) dispose();
    this.process.close();
  }

  private register(): void {
    const registers = [this.registry];
    const prosa = this.prosa;
    const figures = this.requests;
    const processFigures = this.process;
    const restarts = this.restarts;
    const crashes = this.crashes;

    new Gauge({
      name: 'prosa_info',
      help: 'Always 1; the instance name as a label.',
      labelNames: ['name'],
      registers,
      collect() {
        this.set({ name: prosa.name }, 1);
      },
    });
    new Gauge({
      name: 'prosa_main_state',
      help: "Main's lifecycle state: 1 for the current state, 0 for the others.",
      labelNames: ['state'],
      registers,
      collect() {
        const current = prosa.state;
        for (const state of MAIN_STATES) this.set({ state }, state === current ? 1 : 0);
      },
    });
    new Gauge({
      name: 'prosa_up',
      help: '1 while Main runs and no processor has failed (what /health answers with 200), else 0.',
      registers,
      collect() {
        const current = prosa.state;
        this.set(current === 'running' && !prosa.processors().some((p) => p.state === 'failed') ? 1 : 0);
      },
    });
    new Gauge({
      name: 'prosa_processors',
      help: 'Processors by lifecycle state.',
      labelNames: ['state'],
      registers,
      collect() {
        for (const [state, count] of Object.entries(byState(prosa))) this.set({ state }, count);
      },
    });
    new Gauge({
      name: 'prosa_processor_state',
      help: 'Lifecycle state of each processor: 1 for its current state (one series per processor).',
      labelNames: ['processor', 'state'],
      registers,
      collect() {
        this.reset();
        for (const processor of prosa.processors()) this.set({ processor: processor.name, state: processor.state }, 1);
      },
    });
    new Counter({
      name: 'prosa_processor_restarts_total',
      help: 'Restarts of each processor (entries into restarting).',
      labelNames: ['processor'],
      registers,
      collect() {
        this.reset();
        for (const [processor, count] of restarts) this.inc({ processor }, count);
      },
    });
    new Counter({
      name: 'prosa_processor_crashes_total',
      help: 'Crashes of each processor (entries into crashed).',
      labelNames: ['processor'],
      registers,
      collect() {
        this.reset();
        for (const [processor, count] of crashes) this.inc({ processor }, count);
      },
    });
    new Gauge({
      name: 'prosa_services',
      help: 'Services with at least one provider in the service table.',
      registers,
      collect() {
        this.set(Object.keys(prosa.services()).length);
      },
    });
    new Gauge({
      name: 'prosa_service_providers',
      help: 'Providers of each service in the service table.',
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        for (const [service, providers] of Object.entries(prosa.services())) this.set({ service }, providers.length);
      },
    });
    new Counter({
      name: 'prosa_requests_total',
      help: 'Requests settled, by service and outcome (response, timeout, unreachable, protocol, overloaded, shutdown).',
      labelNames: ['service', 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const service of figures.services()) {
          OUTCOMES.forEach((outcome, i) => this.inc({ service: service.service, outcome }, service.outcomes[i]!));
        }
      },
    });
    new LatencyHistogram(
      'prosa_request_duration_seconds',
      'Time from send to settle of the requests that reached a provider, whatever their outcome, by service.',
      this.registry,
      figures,
    );
    new Gauge({
      name: 'prosa_requests_in_flight',
      help: 'Requests sent and not yet settled.',
      registers,
      collect() {
        this.set(prosa.stats().inFlight);
      },
    });
    new Counter({
      name: 'prosa_late_replies_total',
      help: 'Replies dropped because their request had already settled (timed out), by service.',
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        for (const service of figures.services()) this.inc({ service: service.service }, service.lateReplies);
      },
    });

    // Process figures: the first gauge's collect samples once per scrape (prom-client calls
    // the collects in registration order, before awaiting any), the others read that sample.
    const processGauge = (name: string, help: string, read: (sample: ProcessSample) => number, sample = false) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(sample ? processFigures.sample() : processFigures.latest()));
        },
      });
    processGauge('prosa_process_resident_memory_bytes', 'Resident memory size in bytes.', (s) => s.residentMemoryBytes, true);
    processGauge('prosa_nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes.', (s) => s.heapUsedBytes);
    processGauge('prosa_nodejs_heap_size_total_bytes', 'V8 heap reserved, in bytes.', (s) => s.heapTotalBytes);
    processGauge('prosa_nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript objects, in bytes.', (s) => s.externalMemoryBytes);
    processGauge('prosa_process_start_time_seconds', 'Start time of the process since the Unix epoch, in seconds.', (s) => s.startTimeSeconds);
    processGauge('prosa_nodejs_eventloop_lag_mean_seconds', 'Mean event-loop delay since the previous scrape, in seconds.', (s) => s.eventLoopLag.meanSeconds);
    processGauge('prosa_nodejs_eventloop_lag_p50_seconds', 'Median event-loop delay since the previous scrape, in seconds.', (s) => s.eventLoopLag.p50Seconds);
    processGauge('prosa_nodejs_eventloop_lag_p99_seconds', '99th percentile of the event-loop delay since the previous scrape, in seconds.', (s) => s.eventLoopLag.p99Seconds);
    processGauge('prosa_nodejs_eventloop_lag_max_seconds', 'Longest event-loop delay since the previous scrape, in seconds.', (s) => s.eventLoopLag.maxSeconds);
    new Counter({
      name: 'prosa_process_cpu_seconds_total',
      help: 'User and system CPU time spent, in seconds.',
      registers,
      collect() {
        this.reset();
        this.inc(processFigures.latest().cpuSeconds);
      },
    });
  }
}

/**
 * Starts measuring `prosa` (running or not yet started): adds the request observer with
 * `prosa.observe`, listens to its lifecycle events, starts the event-loop delay monitor.
 * The figures cover what happens from now on. Call `close()` on the result to stop.
 */
export function attachMetrics(prosa: Prosa, options?: MetricsOptions): ProsaMetrics {
  return new ProsaMetrics(prosa, options);
}
