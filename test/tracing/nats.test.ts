/**
 * The request context across NATS between two instances (in one process, over a real
 * nats-server): one trace from the caller's client span to the far provider's server
 * span, the metadata read by the far adaptor, and bad context headers from a raw client
 * ignored and counted while the request is still served.
 */
import { connect, headers, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimpleStringTvf, type Prosa, type RequestMeta } from '../../src/index.js';
import { otelTracing, SPAN_ATTRIBUTE } from '../../src/observability/index.js';
import { natsTransport } from '../../src/transport/index.js';
import { record, testBus, until } from '../support/bus.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { memoryTracing } from '../support/tracing.js';

const otel = memoryTracing();
let server: NatsServer;
let a: Prosa;
let b: Prosa;
let raw: NatsConnection;
const seenMeta: (RequestMeta | undefined)[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  raw = await connect({ servers: server.url });
  const tracing = otelTracing({ tracerProvider: otel.provider });
  a = testBus({ name: 'a', tracing });
  b = testBus({ name: 'b', tracing });
  a.attachTransport(natsTransport({ servers: [server.url], heartbeatMs: 200 }));
  b.attachTransport(natsTransport({ servers: [server.url], heartbeatMs: 200 }));
  a.processor('front', {
    services: ['FRONT'],
    adaptor: { processRequest: (_s, tvf, _ctx, info) => info.request('BACK', tvf, { meta: { hop: 'front' } }) },
  });
  b.processor('back', {
    services: ['BACK'],
    adaptor: { processRequest: (_s, tvf, _ctx, info) => (seenMeta.push(info.meta), tvf) },
  });
  await Promise.all([a.start(), b.start()]);
  await until(() => a.services()['BACK'] !== undefined, 5_000);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await raw?.close();
  await server?.stop();
  await otel.close();
});

describe('tracing across NATS', () => {
  it('a request crossing to another instance is one trace: its server span there is the child of the client span here', async () => {
    otel.exporter.reset();
    seenMeta.length = 0;
    await a.request('FRONT', record(1), { meta: { correlation: 'c-7' } });
    await until(() => otel.exporter.getFinishedSpans().length === 4);
    const spans = otel.spans();
    expect(new Set(spans.map((span) => span.traceId)).size).toBe(1);
    const find = (name: string, kind: string) => spans.find((span) => span.name === name && span.kind === kind)!;
    const backClient = find('BACK', 'client');
    const backServer = find('BACK', 'server');
    expect(backClient.attributes).toMatchObject({ [SPAN_ATTRIBUTE.instance]: 'a', [SPAN_ATTRIBUTE.origin]: 'front', [SPAN_ATTRIBUTE.outcome]: 'response' });
    expect(backServer.attributes).toMatchObject({ [SPAN_ATTRIBUTE.instance]: 'b', [SPAN_ATTRIBUTE.processor]: 'back', [SPAN_ATTRIBUTE.outcome]: 'response' });
    expect(backServer.parent).toBe(backClient.spanId);
    expect(backClient.parent).toBe(find('FRONT', 'server').spanId);
    expect(seenMeta.map((meta) => ({ ...meta }))).toEqual([{ hop: 'front', correlation: 'c-7' }]);
  });

  it('bad or oversized context headers are ignored and counted; the request is still served', async () => {
    seenMeta.length = 0;
    const before = b.stats().ignoredContext;
    const send = async (context: Record<string, string>) => {
      const h = headers();
      h.set('prosa-id', '1');
      h.set('prosa-service', 'BACK');
      h.set('prosa-timeout-ms', '2000');
      h.set('prosa-origin', 'raw/-');
      for (const [name, value] of Object.entries(context)) h.set(name, value);
      const reply = await raw.request('prosa.svc.BACK', new SimpleStringTvf().toUtf8(), { headers: h, timeout: 2_000, noMux: true });
      return reply;
    };
    await send({ traceparent: 'not-a-traceparent', baggage: 'no equals sign' });
    await send({ traceparent: `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`, baggage: `k=${'v'.repeat(10_000)}` });
    await send({ baggage: 'good=yes' });
    await until(() => seenMeta.length === 3);
    expect(b.stats().ignoredContext - before).toBe(4);
    expect(seenMeta.map((meta) => (meta === undefined ? undefined : { ...meta }))).toEqual([undefined, undefined, { good: 'yes' }]);
  });
});
