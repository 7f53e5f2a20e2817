/**
 * The request context over HTTP: gateway (http-server) -> processor A -> `ctx.request` ->
 * B (http-client) -> upstream. The gateway continues the caller's `traceparent`, answers
 * with `traceresponse`, takes `baggage` as metadata and `prosa-timeout-ms` as a deadline;
 * the http-client sends `traceparent` upstream. Bad headers are ignored and counted.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Prosa, RequestMeta } from '../../src/index.js';
import { otelTracing, parseTraceparent, SPAN_ATTRIBUTE } from '../../src/observability/index.js';
import { testBus, until } from '../support/bus.js';
import { memoryTracing } from '../support/tracing.js';
import { addClient, addGateway, answer, httpClient, upstream } from '../http/support.js';

const otel = memoryTracing();
let bus: Prosa | undefined;
const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  await bus?.stop();
  bus = undefined;
  for (const close of closers.splice(0)) await close();
  otel.exporter.reset();
});
afterAll(() => otel.close());

const DICT = { amount: { id: 1, type: 'unsigned' as const } };
const CALLER = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
const JSON_HEADERS = { 'content-type': 'application/json' };

async function chain(traced: boolean, handlerDelayMs = 0) {
  const server = await upstream((_req, res) => setTimeout(() => answer(res, 200, '{"amount": 2}'), handlerDelayMs));
  closers.push(server.close);
  const seen: (RequestMeta | undefined)[] = [];
  bus = testBus(traced ? { tracing: otelTracing({ tracerProvider: otel.provider }) } : {});
  addClient(bus, { url: server.url, dict: DICT, downAfterMs: 60_000, services: [{ name: 'B', path: '/b' }] }, 'b');
  bus.processor('a', {
    services: ['A'],
    adaptor: {
      processRequest: (_s, tvf, ctx, info) => {
        seen.push(info.meta);
        return ctx.request('B', tvf, { timeoutMs: 60_000 });
      },
    },
  });
  const gateway = addGateway(bus, { listen: { port: 0 }, dict: DICT, routes: [{ method: 'POST', path: '/a', service: 'A' }] });
  await bus.start();
  const http = httpClient(gateway.url());
  closers.push(http.close);
  return { server, http, seen };
}

describe('tracing over HTTP', () => {
  it('gateway -> A -> ctx.request -> B -> upstream is one trace continuing the caller\'s traceparent', async () => {
    const { http, server, seen } = await chain(true);
    const reply = await http.send('POST', '/a', '{"amount": 1}', {
      ...JSON_HEADERS,
      traceparent: `00-${CALLER.traceId}-${CALLER.spanId}-01`,
      baggage: 'correlation=c%2042',
    });
    expect(reply.status).toBe(200);
    const answered = parseTraceparent(reply.headers['traceresponse']!);
    expect(answered?.traceId).toBe(CALLER.traceId);
    await until(() => otel.exporter.getFinishedSpans().length === 5);
    const spans = otel.spans();
    expect(spans.every((span) => span.traceId === CALLER.traceId)).toBe(true);
    const find = (name: string, kind: string) => spans.find((span) => span.name === name && span.kind === kind)!;
    const exchange = find('POST /a', 'server');
    expect(exchange.parent).toBe(CALLER.spanId);
    expect(answered?.spanId).toBe(exchange.spanId);
    expect(exchange.attributes).toMatchObject({ 'http.response.status_code': 200, 'http.route': '/a' });
    expect(find('A', 'client').parent).toBe(exchange.spanId);
    expect(find('B', 'client').parent).toBe(find('A', 'server').spanId);
    const serverB = find('B', 'server');
    expect(serverB.attributes).toMatchObject({ [SPAN_ATTRIBUTE.processor]: 'b', [SPAN_ATTRIBUTE.outcome]: 'response' });
    // The upstream is called inside B's server span.
    const upstreamParent = parseTraceparent(String(server.requests[0]!.headers['traceparent']));
    expect(upstreamParent).toMatchObject({ traceId: CALLER.traceId, spanId: serverB.spanId });
    expect(server.requests[0]!.headers['baggage']).toBe('correlation=c%2042');
    expect(seen.map((meta) => ({ ...meta }))).toEqual([{ correlation: 'c 42' }]);
  });

  it('prosa-timeout-ms caps the request: a nested call times out with it, and the client gets 504', async () => {
    const { http } = await chain(false, 2_000);
    const started = performance.now();
    const reply = await http.send('POST', '/a', '{"amount": 1}', { ...JSON_HEADERS, 'prosa-timeout-ms': '150' });
    expect(reply.status).toBe(504);
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('bad context headers are ignored and counted; the request is served without them', async () => {
    const { http, seen } = await chain(true);
    const reply = await http.send('POST', '/a', '{"amount": 1}', {
      ...JSON_HEADERS,
      traceparent: 'ff-zz',
      baggage: '=nokey',
      'prosa-timeout-ms': '-5',
    });
    expect(reply.status).toBe(200);
    expect(bus!.stats().ignoredContext).toBe(3);
    expect(seen).toEqual([undefined]);
    // A new trace was started for it, and the answer names it.
    expect(parseTraceparent(reply.headers['traceresponse']!)?.traceId).not.toBe(CALLER.traceId);
  });

  it('without tracing, the metadata still flows and no traceresponse is sent', async () => {
    const { http, seen, server } = await chain(false);
    const reply = await http.send('POST', '/a', '{"amount": 1}', { ...JSON_HEADERS, traceparent: `00-${CALLER.traceId}-${CALLER.spanId}-01`, baggage: 'k=v' });
    expect(reply.status).toBe(200);
    expect(reply.headers['traceresponse']).toBeUndefined();
    expect(seen.map((meta) => ({ ...meta }))).toEqual([{ k: 'v' }]);
    expect(server.requests[0]!.headers['traceparent']).toBeUndefined();
    expect(server.requests[0]!.headers['baggage']).toBe('k=v');
  });
});
