/**
 * The metrics of one bus: request figures fed by the hot path, lifecycle figures fed by
 * the bus's events, process figures read when asked. Each bus has its own prom-client
 * `Registry` (never the global one), so several buses in one process do not clash.
 * Every metric is named `prosa_*` (see `metric-families.ts`).
 */
import { Registry } from 'prom-client';
import type { Prosa, ProsaEvents, ProsaState } from '../actors/prosa.js';
import type { ProcessorState } from '../machines/processor.machine.js';
import type { RequestOutcome } from '../actors/msg.js';
import { processorsByState, registerMetricFamilies } from './metric-families.js';
import { DEFAULT_EVENT_LOOP_RESOLUTION_MS, ProcessFigures, type ProcessSample } from './process-figures.js';
import { OUTCOMES, RequestFigures, type RequestFigureOptions } from './request-figures.js';

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

/** Latency figures of one service: of the requests timed, a sample (see `latencySampleEvery`). */
export interface LatencySnapshot {
  /** Requests timed: about 1 in `latencySampleEvery` of those that reached a provider. */
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
  /** The bus timed about 1 request in this many; only those are in {@link latency}. */
  latencySampleEvery: number;
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
    registerMetricFamilies(this.registry, {
      prosa,
      requests: this.requests,
      process: this.process,
      restarts: this.restarts,
      crashes: this.crashes,
    });
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
      processors: processorsByState(prosa),
      processorStates: Object.fromEntries(prosa.processors().map((p) => [p.name, p.state])),
      services,
      requests,
      latencyBuckets: this.requests.latencyBuckets,
      latencySampleEvery: this.requests.latencySampleEvery,
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
}

/**
 * Starts measuring `prosa` (running or not yet started): adds the request observer with
 * `prosa.observe`, listens to its lifecycle events, starts the event-loop delay monitor.
 * The figures cover what happens from now on. Call `close()` on the result to stop.
 */
export function attachMetrics(prosa: Prosa, options?: MetricsOptions): ProsaMetrics {
  return new ProsaMetrics(prosa, options);
}
