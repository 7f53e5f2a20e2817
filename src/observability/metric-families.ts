/**
 * The metric families of a bus, registered in its own registry. Each reads its figures
 * when Prometheus scrapes (a `collect`): lifecycle, table and process figures from their
 * sources, request figures from the records the hot path feeds.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Prosa, ProsaState } from '../actors/prosa.js';
import { PROCESSOR_STATES, type ProcessorState } from '../machines/processor.machine.js';
import { LatencyHistogram } from './latency-histogram.js';
import type { ProcessFigures, ProcessSample } from './process-figures.js';
import { OUTCOMES, type RequestFigures } from './request-figures.js';

const MAIN_STATES = ['created', 'starting', 'running', 'stopping', 'stopped'] as const satisfies readonly ProsaState[];

/** Processors of `prosa` by state, every state present. */
export function processorsByState(prosa: Prosa): Record<ProcessorState, number> {
  const counts = Object.fromEntries(PROCESSOR_STATES.map((state) => [state, 0])) as Record<ProcessorState, number>;
  for (const processor of prosa.processors()) counts[processor.state]++;
  return counts;
}

/** Where the metric families read their figures. */
export interface MetricSources {
  prosa: Prosa;
  requests: RequestFigures;
  process: ProcessFigures;
  /** Processor -> entries into `restarting`. */
  restarts: ReadonlyMap<string, number>;
  /** Processor -> entries into `crashed`. */
  crashes: ReadonlyMap<string, number>;
}

/** Registers every `prosa_*` metric family in `registry`. Call once per registry. */
export function registerMetricFamilies(registry: Registry, sources: MetricSources): void {
  const { prosa, requests: figures, process: processFigures, restarts, crashes } = sources;
  const registers = [registry];

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
      for (const [state, count] of Object.entries(processorsByState(prosa))) this.set({ state }, count);
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
    help: `Requests settled, by service and outcome (${OUTCOMES.join(', ')}).`,
    labelNames: ['service', 'outcome'],
    registers,
    collect() {
      this.reset();
      for (const service of figures.services()) {
        OUTCOMES.forEach((outcome, i) => this.inc({ service: service.service, outcome }, service.outcomes[i]!));
      }
    },
  });
  new Counter({
    name: 'prosa_remote_requests_total',
    help: 'Of the requests settled, those sent to another instance through a transport (NATS), by service and outcome.',
    labelNames: ['service', 'outcome'],
    registers,
    collect() {
      this.reset();
      for (const service of figures.services()) {
        OUTCOMES.forEach((outcome, i) => this.inc({ service: service.service, outcome }, service.remoteOutcomes[i]!));
      }
    },
  });
  new LatencyHistogram(
    'prosa_request_duration_seconds',
    figures.latencySampleEvery === 1
      ? 'Time from send to settle of the requests that reached a provider, whatever their outcome, by service.'
      : `Time from send to settle of a random sample of about 1 in ${figures.latencySampleEvery} of the requests that reached a provider, whatever their outcome, by service (_count is the sample's size; prosa_requests_total counts every request).`,
    registry,
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
    name: 'prosa_ignored_context_headers_total',
    help: 'Request-context headers (traceparent, tracestate, baggage, prosa-timeout-ms) ignored as bad or too large, on requests from NATS or HTTP; the requests were served without them.',
    registers,
    collect() {
      this.reset();
      this.inc(prosa.stats().ignoredContext);
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
