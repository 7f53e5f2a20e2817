import { request as httpRequest } from 'node:http';
import { hostname } from 'node:os';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { BusError, ProcessorError, type ProcessorContext, type Prosa } from '../../src/index.js';
import { validateSettings } from '../../src/config/index.js';
import { attachMetrics, MetricsEndpoint, Observability, observabilityOptions, type ProsaMetrics } from '../../src/observability/index.js';
import { defaultKinds } from '../../src/processors/index.js';
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

/** GET `path` from 127.0.0.1:`port` with exactly these headers (Host included); resolves with status and headers. */
function get(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, headers }, (response) => {
      response.resume();
      resolve({ status: response.statusCode!, headers: response.headers });
    });
    request.on('error', reject);
    request.end();
  });
}

describe('metrics endpoint: who it answers', () => {
  it('answers only its own Host: a DNS-rebinding name gets 421, on every path', async () => {
    prosa = testBus();
    metrics = attachMetrics(prosa);
    endpoint = await MetricsEndpoint.listen(metrics, { port: 0, allowedHosts: ['metrics.internal', 'scraper.example:80'] });
    const port = endpoint.port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, `metrics.internal:${port}`]) {
      expect((await get(port, '/metrics', { host })).status, host).toBe(200);
    }
    for (const host of [`evil.example:${port}`, `127.0.0.1:${port + 1}`, 'localhost', `metrics.internal.evil:${port}`, `scraper.example:${port}`]) {
      for (const path of ['/metrics', '/health', '/nope']) expect((await get(port, path, { host })).status, `${host} ${path}`).toBe(421);
    }
  });

  it('on a wildcard bind, answers the names of this machine and nothing else', async () => {
    prosa = testBus();
    metrics = attachMetrics(prosa);
    endpoint = await MetricsEndpoint.listen(metrics, { port: 0, host: '0.0.0.0' });
    const port = endpoint.port;
    expect((await get(port, '/health', { host: `${hostname()}:${port}` })).status).toBe(503); // answered: the bus is not started
    expect((await get(port, '/health', { host: `127.0.0.1:${port}` })).status).toBe(503);
    expect((await get(port, '/health', { host: `evil.example:${port}` })).status).toBe(421);
  });

  it('with a token, answers only requests that carry it as a bearer token (401 otherwise)', async () => {
    prosa = testBus();
    metrics = attachMetrics(prosa);
    endpoint = await MetricsEndpoint.listen(metrics, { port: 0, token: 's3cr3t-token' });
    const host = `127.0.0.1:${endpoint.port}`;
    for (const authorization of [undefined, 'Bearer wrong', 'Bearer s3cr3t-toke', 'Bearer s3cr3t-token-', 'Basic s3cr3t-token', 's3cr3t-token']) {
      const answer = await get(endpoint.port, '/metrics', authorization === undefined ? { host } : { host, authorization });
      expect(answer.status, authorization).toBe(401);
      expect(answer.headers['www-authenticate']).toBe('Bearer realm="prosa metrics"');
    }
    expect((await get(endpoint.port, '/metrics', { host, authorization: 'Bearer s3cr3t-token' })).status).toBe(200);
    expect((await get(endpoint.port, '/metrics', { host, authorization: 'bearer  s3cr3t-token' })).status).toBe(200);
    expect((await get(endpoint.port, '/health', { host })).status).toBe(401);
    expect((await get(endpoint.port, '/metrics', { host: `evil.example:${endpoint.port}`, authorization: 'Bearer s3cr3t-token' })).status).toBe(421);
    await expect(MetricsEndpoint.listen(metrics, { port: 0, token: '' })).rejects.toThrow(BusError);
  });

  it('takes the token from the settings, and never logs it', async () => {
    const settings = validateSettings(
      { name: 'm', processors: [], metrics: { port: 0, token: 'settings-token-42', allowedHosts: ['prom.local'] } },
      { kinds: defaultKinds(), env: {} },
    );
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const observability = await Observability.start({
      ...observabilityOptions({ ...settings, log: { level: 'trace', format: 'json' } }),
      logDestination: destination,
    });
    prosa = testBus();
    await observability.attach(prosa);
    const port = observability.endpoint!.port;
    expect((await get(port, '/metrics', { host: `prom.local:${port}` })).status).toBe(401);
    expect((await get(port, '/metrics', { host: `prom.local:${port}`, authorization: 'Bearer settings-token-42' })).status).toBe(200);
    await observability.close();
    expect(lines.join('')).toContain('metrics on');
    expect(lines.join('')).not.toContain('settings-token-42');
  });
});
