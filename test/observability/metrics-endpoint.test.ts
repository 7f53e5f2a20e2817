import { afterEach, describe, expect, it } from 'vitest';
import { BusError, ProcessorError, type ProcessorContext, type Prosa } from '../../src/index.js';
import { attachMetrics, MetricsEndpoint, type ProsaMetrics } from '../../src/observability/index.js';
import { record, testBus } from '../support/bus.js';
import { parsePrometheus, sampleValue } from '../support/prometheus-text.js';

let prosa: Prosa | undefined;
let metrics: ProsaMetrics | undefined;
let endpoint: MetricsEndpoint | undefined;
afterEach(async () => {
  await endpoint?.close();
  metrics?.close();
  await prosa?.stop();
  prosa = metrics = endpoint = undefined;
});

const echo = { processRequest: (_service: string, request: ReturnType<typeof record>) => request };

async function scrape(url: string, service: string): Promise<{ responses: number; timed: number; inFlight: number }> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  const samples = parsePrometheus(await response.text());
  return {
    responses: sampleValue(samples, 'prosa_requests_total', { service, outcome: 'response' }) ?? 0,
    timed: sampleValue(samples, 'prosa_request_duration_seconds_count', { service }) ?? 0,
    inFlight: sampleValue(samples, 'prosa_requests_in_flight')!,
  };
}

describe('metrics endpoint', () => {
  it('serves /metrics over HTTP, on loopback, with counts that follow the traffic', async () => {
    prosa = testBus();
    prosa.processor('echo', { services: ['ECHO'], adaptor: echo });
    metrics = attachMetrics(prosa, { latencySampleEvery: 1 }); // every request timed: exact _count
    endpoint = await MetricsEndpoint.listen(metrics, { port: 0 });
    expect(endpoint.host).toBe('127.0.0.1');
    expect(endpoint.url).toBe(`http://127.0.0.1:${endpoint.port}`);
    await prosa.start();
    expect(await scrape(endpoint.url, 'ECHO')).toEqual({ responses: 0, timed: 0, inFlight: 0 });
    let sent = 0;
    for (const batch of [10, 1, 37]) {
      await Promise.all(Array.from({ length: batch }, (_, i) => prosa!.request('ECHO', record(i))));
      sent += batch;
      expect(await scrape(endpoint.url, 'ECHO')).toEqual({ responses: sent, timed: sent, inFlight: 0 });
    }
  });

  it('answers /health with 200 while Main runs and no processor failed, 503 otherwise', async () => {
    prosa = testBus();
    let ctx: ProcessorContext | undefined;
    const doomed = prosa.processor('doomed', { adaptor: { init: (c) => void (ctx = c), processRequest: echo.processRequest } });
    metrics = attachMetrics(prosa);
    endpoint = await MetricsEndpoint.listen(metrics, { port: 0 });
    const health = async () => {
      const response = await fetch(`${endpoint!.url}/health`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect(await health()).toEqual({ status: 503, body: { status: 'unavailable', healthy: false, main: 'created', failed: [] } });
    await prosa.start();
    expect(await health()).toEqual({ status: 200, body: { status: 'ok', healthy: true, main: 'running', failed: [] } });
    ctx!.fail(new ProcessorError('key revoked', { recoverable: false }));
    await doomed.when('failed');
    expect(await health()).toMatchObject({ status: 503, body: { healthy: false, main: 'running', failed: ['doomed'] } });
  });

  it('answers 404 elsewhere, 405 to other methods, and HEAD without a body', async () => {
    prosa = testBus();
    metrics = attachMetrics(prosa);
    endpoint = await MetricsEndpoint.listen(metrics, { port: 0 });
    expect((await fetch(`${endpoint.url}/`)).status).toBe(404);
    const post = await fetch(`${endpoint.url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(`${endpoint.url}/metrics?x=1`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('closes when the bus stops', async () => {
    prosa = testBus();
    metrics = attachMetrics(prosa);
    endpoint = await MetricsEndpoint.listen(metrics, { port: 0 });
    await prosa.start();
    expect((await fetch(`${endpoint.url}/health`)).status).toBe(200);
    await prosa.stop();
    await endpoint.close(); // the same close the stop began
    await expect(fetch(`${endpoint.url}/health`)).rejects.toThrow();
  });

  it('rejects a port in use and a port out of range', async () => {
    prosa = testBus();
    metrics = attachMetrics(prosa);
    endpoint = await MetricsEndpoint.listen(metrics, { port: 0 });
    await expect(MetricsEndpoint.listen(metrics, { port: endpoint.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await expect(MetricsEndpoint.listen(metrics, { port: 70_000 })).rejects.toThrow(BusError);
  });
});
