import { afterEach, describe, expect, it } from 'vitest';
import { BusError, ProcessorError, serviceErrorCounts, type ProcessorContext, type Prosa } from '../../src/index.js';
import {
  attachMetrics,
  DEFAULT_LATENCY_BUCKETS,
  DEFAULT_LATENCY_SAMPLE_EVERY,
  OTHER_SERVICES,
  RequestFigures,
  type ProsaMetrics,
} from '../../src/observability/index.js';
import { deferred, record, testBus } from '../support/bus.js';
import { parsePrometheus, sampleValue } from '../support/prometheus-text.js';

let buses: Prosa[] = [];
let attached: ProsaMetrics[] = [];
afterEach(async () => {
  for (const metrics of attached) metrics.close();
  await Promise.all(buses.map((bus) => bus.stop()));
  buses = [];
  attached = [];
});

function bus(options: Parameters<typeof testBus>[0] = {}): Prosa {
  const created = testBus(options);
  buses.push(created);
  return created;
}

function metricsOf(prosa: Prosa, options?: Parameters<typeof attachMetrics>[1]): ProsaMetrics {
  const metrics = attachMetrics(prosa, options);
  attached.push(metrics);
  return metrics;
}

const echo = { processRequest: (_service: string, request: ReturnType<typeof record>) => request };

describe('RequestFigures', () => {
  it('counts outcomes per service and puts latencies in their buckets', () => {
    const figures = new RequestFigures({ latencyBuckets: [0.001, 0.01] });
    figures.requestSettled('A', 'response', 0.5, 'p');
    figures.requestSettled('A', 'response', 1, 'p');
    figures.requestSettled('A', 'timeout', 5, 'p');
    figures.requestSettled('A', 'protocol', 50, 'p');
    figures.requestSettled('A', 'unreachable', 0, undefined);
    figures.lateReply('A');
    const [a] = [...figures.services()];
    expect(a!.service).toBe('A');
    expect([...a!.outcomes]).toEqual([2, 1, 1, 1, 0, 0]);
    expect([...a!.buckets]).toEqual([2, 1, 1]); // <= 1 ms, <= 10 ms, past every bound
    expect(a!.latencyCount()).toBe(4); // the refused request has no latency
    expect(a!.latencySumMs).toBe(56.5);
    expect(a!.lateReplies).toBe(1);
  });

  it('counts the outcome of a request not timed (NaN) but no latency', () => {
    const figures = new RequestFigures({ latencyBuckets: [0.001] });
    figures.requestSettled('A', 'response', Number.NaN, 'p');
    figures.requestSettled('A', 'timeout', Number.NaN, 'p');
    figures.requestSettled('A', 'response', 2, 'p');
    const [a] = [...figures.services()];
    expect([...a!.outcomes]).toEqual([2, 1, 0, 0, 0, 0]);
    expect([...a!.buckets]).toEqual([0, 1]);
    expect(a!.latencySumMs).toBe(2);
  });

  it('counts services past maxServices under _other', () => {
    const figures = new RequestFigures({ maxServices: 2 });
    for (const service of ['A', 'B', 'C', 'D', 'A']) figures.requestSettled(service, 'response', 1, 'p');
    const counts = Object.fromEntries([...figures.services()].map((f) => [f.service, f.outcomes[0]]));
    expect(counts).toEqual({ A: 2, B: 1, [OTHER_SERVICES]: 2 });
  });

  it('rejects buckets that are not ascending, positive and finite, and a bad maxServices', () => {
    expect(() => new RequestFigures({ latencyBuckets: [0.1, 0.01] })).toThrow(BusError);
    expect(() => new RequestFigures({ latencyBuckets: [0, 1] })).toThrow(BusError);
    expect(() => new RequestFigures({ latencyBuckets: [1, Infinity] })).toThrow(BusError);
    expect(() => new RequestFigures({ maxServices: 0 })).toThrow(BusError);
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new RequestFigures({ latencySampleEvery: bad })).toThrow(BusError);
    expect(new RequestFigures().latencyBuckets).toEqual(DEFAULT_LATENCY_BUCKETS);
    expect(new RequestFigures().latencySampleEvery).toBe(DEFAULT_LATENCY_SAMPLE_EVERY);
  });
});

describe('ProsaMetrics', () => {
  it('times a random sample of requests by default, and counts every outcome exactly', async () => {
    const prosa = bus();
    prosa.processor('echo', { services: ['ECHO'], adaptor: echo });
    const metrics = metricsOf(prosa);
    await prosa.start();
    const sent = 1_600;
    for (let i = 0; i < sent; i += 100) await Promise.all(Array.from({ length: 100 }, (_, j) => prosa.request('ECHO', record(i + j))));
    const snapshot = metrics.snapshot();
    expect(snapshot.requests['ECHO']!.response).toBe(sent);
    expect(snapshot.latencySampleEvery).toBe(DEFAULT_LATENCY_SAMPLE_EVERY);
    const timed = snapshot.latency['ECHO']!.count;
    // Gaps uniform in 1..31 (mean 16): about 100 timed, standard deviation about 6.
    expect(timed).toBeGreaterThan(sent / DEFAULT_LATENCY_SAMPLE_EVERY / 2);
    expect(timed).toBeLessThan((sent / DEFAULT_LATENCY_SAMPLE_EVERY) * 2);
    expect(snapshot.latency['ECHO']!.sumSeconds).toBeGreaterThan(0);
    const text = await metrics.metrics();
    expect(text).toContain(`random sample of about 1 in ${DEFAULT_LATENCY_SAMPLE_EVERY} of the requests`);
  });

  it('counts requests by service and outcome as traffic flows', async () => {
    const prosa = bus();
    prosa.processor('echo', { services: ['ECHO'], adaptor: echo });
    prosa.processor('broken', {
      services: ['BROKEN'],
      adaptor: {
        processRequest: () => {
          throw new Error('no');
        },
      },
    });
    prosa.processor('silent', { services: ['SILENT'], adaptor: { processRequest: () => new Promise(() => undefined) } });
    const metrics = metricsOf(prosa, { latencySampleEvery: 1 }); // every request timed
    await prosa.start();
    await Promise.all(Array.from({ length: 25 }, (_, i) => prosa.request('ECHO', record(i))));
    await Promise.all(Array.from({ length: 3 }, () => prosa.request('BROKEN', record(0)).catch(() => undefined)));
    await Promise.all(Array.from({ length: 2 }, () => prosa.request('NOPE', record(0)).catch(() => undefined)));
    await prosa.request('SILENT', record(0), { timeoutMs: 10 }).catch(() => undefined);
    const snapshot = metrics.snapshot();
    expect(snapshot.requests['ECHO']).toEqual({ response: 25, ...serviceErrorCounts() });
    expect(snapshot.requests['BROKEN']!.protocol).toBe(3);
    expect(snapshot.requests['NOPE']!.unreachable).toBe(2);
    expect(snapshot.requests['SILENT']!.timeout).toBe(1);
    expect(snapshot.latency['ECHO']!.count).toBe(25);
    expect(snapshot.latency['NOPE']!.count).toBe(0);
    expect(snapshot.latency['SILENT']!.sumSeconds).toBeGreaterThanOrEqual(0.009);
    expect(snapshot.latency['ECHO']!.buckets.at(-1)).toBe(25);
    expect(snapshot.services).toEqual({ ECHO: 1, BROKEN: 1, SILENT: 1 });
    expect(snapshot.processors.serving).toBe(3);
    expect(snapshot.health).toEqual({ healthy: true, main: 'running', failed: [] });

    const samples = parsePrometheus(await metrics.metrics());
    expect(sampleValue(samples, 'prosa_requests_total', { service: 'ECHO', outcome: 'response' })).toBe(25);
    expect(sampleValue(samples, 'prosa_requests_total', { service: 'BROKEN', outcome: 'protocol' })).toBe(3);
    expect(sampleValue(samples, 'prosa_request_duration_seconds_count', { service: 'ECHO' })).toBe(25);
    expect(sampleValue(samples, 'prosa_request_duration_seconds_bucket', { service: 'ECHO', le: '+Inf' })).toBe(25);
    expect(sampleValue(samples, 'prosa_service_providers', { service: 'ECHO' })).toBe(1);
    expect(sampleValue(samples, 'prosa_services')).toBe(3);
    expect(sampleValue(samples, 'prosa_processors', { state: 'serving' })).toBe(3);
    expect(sampleValue(samples, 'prosa_processors', { state: 'failed' })).toBe(0);
    expect(sampleValue(samples, 'prosa_processor_state', { processor: 'echo', state: 'serving' })).toBe(1);
    expect(sampleValue(samples, 'prosa_main_state', { state: 'running' })).toBe(1);
    expect(sampleValue(samples, 'prosa_up')).toBe(1);
    expect(sampleValue(samples, 'prosa_info', { name: 'test' })).toBe(1);
    expect(sampleValue(samples, 'prosa_process_resident_memory_bytes')).toBeGreaterThan(1_000_000);
    expect(sampleValue(samples, 'prosa_nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(samples, 'prosa_process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('shows requests in flight, and counts late replies', async () => {
    const prosa = bus();
    const gate = deferred();
    prosa.processor('slow', { services: ['SLOW'], adaptor: { processRequest: async (_s, r) => (await gate.promise, r) } });
    const metrics = metricsOf(prosa);
    await prosa.start();
    const pending = Array.from({ length: 4 }, () => prosa.request('SLOW', record(1), { timeoutMs: 20 }).catch(() => undefined));
    expect(metrics.snapshot().inFlight).toBe(4);
    expect(sampleValue(parsePrometheus(await metrics.metrics()), 'prosa_requests_in_flight')).toBe(4);
    await Promise.all(pending);
    gate.resolve();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const snapshot = metrics.snapshot();
    expect(snapshot.inFlight).toBe(0);
    expect(snapshot.requests['SLOW']!.timeout).toBe(4);
    expect(snapshot.lateReplies['SLOW']).toBe(4);
  });

  it('counts crashes and restarts per processor, and turns unhealthy when one fails', async () => {
    const prosa = bus();
    let ctx: ProcessorContext | undefined;
    const flaky = prosa.processor('flaky', {
      services: ['F'],
      restart: { delayMs: 1 },
      adaptor: { init: (c) => void (ctx = c), processRequest: echo.processRequest },
    });
    const metrics = metricsOf(prosa);
    await prosa.start();
    for (let i = 0; i < 2; i++) {
      ctx!.fail(new Error('lost'));
      await flaky.when('restarting');
      await flaky.when('serving');
    }
    expect(metrics.snapshot().restarts).toEqual({ flaky: 2 });
    expect(metrics.snapshot().crashes).toEqual({ flaky: 2 });
    ctx!.fail(new ProcessorError('fatal', { recoverable: false }));
    await flaky.when('failed');
    expect(metrics.health()).toEqual({ healthy: false, main: 'running', failed: ['flaky'] });
    const samples = parsePrometheus(await metrics.metrics());
    expect(sampleValue(samples, 'prosa_processor_restarts_total', { processor: 'flaky' })).toBe(2);
    expect(sampleValue(samples, 'prosa_processor_crashes_total', { processor: 'flaky' })).toBe(3);
    expect(sampleValue(samples, 'prosa_processors', { state: 'failed' })).toBe(1);
    expect(sampleValue(samples, 'prosa_up')).toBe(0);
    await prosa.remove('flaky');
    expect(metrics.health().healthy).toBe(true);
  });

  it('keeps two buses in one process apart, and stops counting once closed', async () => {
    const a = bus({ name: 'a' });
    const b = bus({ name: 'b' });
    a.processor('e', { services: ['E'], adaptor: echo });
    b.processor('e', { services: ['E'], adaptor: echo });
    const ma = metricsOf(a);
    const mb = metricsOf(b);
    await Promise.all([a.start(), b.start()]);
    await a.request('E', record(1));
    await a.request('E', record(2));
    await b.request('E', record(3));
    expect(ma.snapshot().requests['E']!.response).toBe(2);
    expect(mb.snapshot().requests['E']!.response).toBe(1);
    expect(sampleValue(parsePrometheus(await mb.metrics()), 'prosa_info', { name: 'b' })).toBe(1);
    ma.close();
    await a.request('E', record(4));
    expect(ma.snapshot().requests['E']!.response).toBe(2);
  });

  it('reports an unhealthy bus before start and after stop', async () => {
    const prosa = bus();
    const metrics = metricsOf(prosa);
    expect(metrics.health()).toMatchObject({ healthy: false, main: 'created' });
    await prosa.start();
    expect(metrics.health().healthy).toBe(true);
    await prosa.stop();
    expect(metrics.health()).toMatchObject({ healthy: false, main: 'stopped' });
    expect(metrics.snapshot().process.eventLoopLag.maxSeconds).toBe(0); // the monitor stopped with the bus
  });
});
