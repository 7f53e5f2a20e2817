/**
 * OpenTelemetry spans of requests on one bus: a request from outside -> processor A ->
 * (nested) -> processor B is one trace, with a client and a server span per hop, linked
 * parent to child; errors (timeout, unreachable, crash) are recorded on the spans; log
 * lines written while serving carry the trace ids; sampleRatio 0 makes no span.
 */
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Prosa, Tvf } from '../../src/index.js';
import { otelTracing, SPAN_ATTRIBUTE } from '../../src/observability/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { record, sleep, testBus, until } from '../support/bus.js';
import { memoryTracing, type SpanSummary } from '../support/tracing.js';

const otel = memoryTracing();
let bus: Prosa | undefined;
beforeEach(() => otel.exporter.reset());
afterEach(async () => {
  await bus?.stop();
  bus = undefined;
});
afterAll(() => otel.close());

const traced = (options: Parameters<typeof testBus>[0] = {}) => testBus({ tracing: otelTracing({ tracerProvider: otel.provider }), ...options });

function only(spans: SpanSummary[], name: string, kind: SpanSummary['kind']): SpanSummary {
  const found = spans.filter((span) => span.name === name && span.kind === kind);
  expect(found, `${kind} span ${name}`).toHaveLength(1);
  return found[0]!;
}

describe('tracing: spans of nested requests', () => {
  it.each([
    ['info.request after an await', 'info'],
    ['ctx.request after an await', 'ctx-async'],
    ['ctx.request synchronously', 'ctx-sync'],
  ] as const)('outside -> A -> %s -> B is one trace with client/server spans linked parent to child', async (_name, how) => {
    bus = traced();
    bus.processor('b', { services: ['B'], adaptor: { processRequest: (_s, tvf) => tvf } });
    bus.processor('a', {
      services: ['A'],
      adaptor: {
        processRequest: async (_s, tvf, ctx, info) => {
          if (how === 'ctx-sync') return ctx.request('B', tvf);
          await sleep(1);
          return how === 'info' ? info.request('B', tvf) : ctx.request('B', tvf);
        },
      },
    });
    await bus.start();
    await bus.request('A', record(1));
    await until(() => otel.exporter.getFinishedSpans().length === 4);
    const spans = otel.spans();
    const clientA = only(spans, 'A', 'client');
    const serverA = only(spans, 'A', 'server');
    const clientB = only(spans, 'B', 'client');
    const serverB = only(spans, 'B', 'server');
    expect(new Set(spans.map((span) => span.traceId)).size).toBe(1);
    expect(clientA.parent).toBeUndefined();
    expect(serverA.parent).toBe(clientA.spanId);
    expect(clientB.parent).toBe(serverA.spanId);
    expect(serverB.parent).toBe(clientB.spanId);
    expect(clientA.attributes).toMatchObject({ [SPAN_ATTRIBUTE.instance]: 'test', [SPAN_ATTRIBUTE.origin]: '-', [SPAN_ATTRIBUTE.processor]: 'a', [SPAN_ATTRIBUTE.outcome]: 'response' });
    expect(serverA.attributes).toMatchObject({ [SPAN_ATTRIBUTE.processor]: 'a', [SPAN_ATTRIBUTE.outcome]: 'response' });
    expect(clientB.attributes).toMatchObject({ [SPAN_ATTRIBUTE.origin]: 'a', [SPAN_ATTRIBUTE.processor]: 'b' });
    expect(serverB.attributes).toMatchObject({ [SPAN_ATTRIBUTE.processor]: 'b', [SPAN_ATTRIBUTE.outcome]: 'response' });
    for (const span of spans) {
      expect(span.status).not.toBe(SpanStatusCode.ERROR);
      expect(span.attributes[SPAN_ATTRIBUTE.errorKind]).toBeUndefined();
    }
  });

  it('a request sent inside an application span is its child', async () => {
    bus = traced();
    bus.processor('a', { services: ['A'], adaptor: { processRequest: (_s, tvf) => tvf } });
    await bus.start();
    const tracer = otel.provider.getTracer('app');
    await tracer.startActiveSpan('app work', async (span) => {
      await bus!.request('A', record(1));
      span.end();
    });
    await until(() => otel.exporter.getFinishedSpans().length === 3);
    const spans = otel.spans();
    const app = only(spans, 'app work', 'internal');
    expect(only(spans, 'A', 'client').parent).toBe(app.spanId);
    expect(new Set(spans.map((span) => span.traceId)).size).toBe(1);
  });
});

describe('tracing: errors', () => {
  it('a timeout is recorded on the client and the server span, with its kind', async () => {
    bus = traced();
    bus.processor('slow', { services: ['SLOW'], adaptor: { processRequest: () => new Promise<Tvf>(() => undefined) } });
    await bus.start();
    await expect(bus.request('SLOW', record(1), { timeoutMs: 30 })).rejects.toMatchObject({ kind: 'timeout' });
    await until(() => otel.exporter.getFinishedSpans().length === 2);
    for (const kind of ['client', 'server'] as const) {
      const span = only(otel.spans(), 'SLOW', kind);
      expect(span.status).toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({ [SPAN_ATTRIBUTE.outcome]: 'timeout', [SPAN_ATTRIBUTE.errorKind]: 'timeout' });
      expect(span.events).toContain('exception');
      expect(span.span.events.find((event) => event.name === 'exception')?.attributes?.['exception.message']).toMatch(/^timeout: service 'SLOW'/);
    }
  });

  it('an unreachable service (no provider) is a client span in error, and no server span', async () => {
    bus = traced();
    await bus.start();
    await expect(bus.request('NOBODY', record(1))).rejects.toMatchObject({ kind: 'unreachable' });
    const spans = otel.spans();
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({ name: 'NOBODY', kind: 'client', status: SpanStatusCode.ERROR });
    expect(spans[0]!.attributes).toMatchObject({ [SPAN_ATTRIBUTE.outcome]: 'unreachable', [SPAN_ATTRIBUTE.errorKind]: 'unreachable' });
  });

  it('a crash with the request in flight ends it as unreachable, with a crash event on its spans', async () => {
    bus = traced();
    bus.processor('crashy', {
      services: ['C'],
      restart: { delayMs: 5, maxDelayMs: 5 },
      adaptor: {
        processRequest: (_s, _tvf, ctx) => {
          setTimeout(() => ctx.fail(new Error('lost the line')), 5);
          return new Promise<Tvf>(() => undefined);
        },
      },
    });
    await bus.start();
    await expect(bus.request('C', record(1))).rejects.toMatchObject({ kind: 'unreachable' });
    await until(() => otel.exporter.getFinishedSpans().length === 2);
    const server = only(otel.spans(), 'C', 'server');
    expect(server.events).toContain('prosa.processor.crashed');
    expect(server.attributes[SPAN_ATTRIBUTE.errorKind]).toBe('unreachable');
  });
});

describe('tracing: sampling and logs', () => {
  it('with sampleRatio 0 no span is made, and a sampled parent is still followed', async () => {
    bus = traced({ tracing: otelTracing({ tracerProvider: otel.provider, sampleRatio: 0 }) });
    bus.processor('a', { services: ['A'], adaptor: { processRequest: (_s, tvf) => tvf } });
    await bus.start();
    for (let i = 0; i < 20; i++) await bus.request('A', record(i));
    expect(otel.spans()).toHaveLength(0);
    const parent = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1, isRemote: true };
    await bus.request('A', record(1), { trace: parent });
    await until(() => otel.exporter.getFinishedSpans().length === 2);
    expect(otel.spans().every((span) => span.traceId === parent.traceId)).toBe(true);
    expect(only(otel.spans(), 'A', 'client').parent).toBe(parent.spanId);
  });

  it('an unsampled parent makes no span, and its trace context passes through to the provider', async () => {
    bus = traced();
    let seen: string | undefined;
    bus.processor('a', { services: ['A'], adaptor: { processRequest: (_s, tvf, _ctx, info) => ((seen = info.trace?.traceId), tvf) } });
    await bus.start();
    await bus.request('A', record(1), { trace: { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: 0, isRemote: true } });
    expect(otel.spans()).toHaveLength(0);
    expect(seen).toBe('c'.repeat(32));
  });

  it('log lines written while serving carry trace_id and span_id of the server span, before and after an await', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ name: 'test', level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
    bus = traced({ logger });
    bus.processor('a', {
      services: ['A'],
      adaptor: {
        processRequest: async (_s, tvf, ctx) => {
          ctx.logger.info('before');
          await sleep(1);
          ctx.logger.info('after');
          return tvf;
        },
      },
    });
    await bus.start();
    lines.length = 0;
    await bus.request('A', record(1));
    logger.info('outside');
    await until(() => otel.exporter.getFinishedSpans().length === 2);
    const server = only(otel.spans(), 'A', 'server');
    const byMsg = (msg: string) => lines.find((line) => line.msg === msg)!;
    for (const msg of ['before', 'after']) expect(byMsg(msg)).toMatchObject({ trace_id: server.traceId, span_id: server.spanId });
    expect(byMsg('outside').trace_id).toBeUndefined();
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
