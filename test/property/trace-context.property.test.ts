/**
 * The request-context headers, under hostile input: reading any header values never
 * throws and never yields a context that breaks the rules (a bad header is reported, not
 * used); what prosa writes reads back the same; and a tracer whose every call throws
 * costs requests their spans, never their one outcome.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Span, Tracer, TracerProvider } from '@opentelemetry/api';
import { MAX_META_ENTRIES, ServiceError, type Prosa, type Tvf } from '../../src/index.js';
import { checkMeta } from '../../src/actors/request-context.js';
import { otelTracing, readContextHeaders, writeContextHeaders } from '../../src/observability/index.js';
import { record, testBus } from '../support/bus.js';

const RUNS = { numRuns: Number(process.env.PROSA_PROPERTY_RUNS ?? 60) };
const hex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const token = fc.string({ unit: fc.constantFrom(...'abcXYZ019!#$%&\'*+-.^_|~'), minLength: 1, maxLength: 64 });
/** Header values that look almost right, and anything at all. */
const headerValue = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.tuple(hex(2), hex(32), hex(16), hex(2), fc.string({ maxLength: 5 })).map(([v, t, s, f, rest]) => `${v}-${t}-${s}-${f}${rest}`),
  fc.constant(`00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`),
  fc.constant('x'.repeat(20_000)),
  fc.array(fc.tuple(fc.string({ maxLength: 70 }), fc.string({ maxLength: 300 })), { maxLength: 20 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join(',')),
);

describe('property: request-context headers', () => {
  it('reading any header values never throws; what it keeps is valid, what it drops is reported', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('traceparent', 'tracestate', 'baggage', 'prosa-timeout-ms'), headerValue), fc.boolean(), (headers, throwing) => {
        const ignored: string[] = [];
        const read = readContextHeaders(
          (name) => {
            if (throwing && name === 'tracestate') throw new Error('hostile getter');
            return headers[name];
          },
          (header) => ignored.push(header),
        );
        if (read.trace !== null) {
          expect(read.trace.traceId).toMatch(/^[0-9a-f]{32}$/);
          expect(read.trace.traceId).not.toBe('0'.repeat(32));
          expect(read.trace.spanId).toMatch(/^[0-9a-f]{16}$/);
        } else if (headers['traceparent']) {
          expect(ignored).toContain('traceparent');
        }
        if (read.meta !== undefined) expect(checkMeta(read.meta)).toEqual(read.meta);
        else if (headers['baggage'] && headers['baggage'].split(',').some((m) => m.trim() !== '')) expect(ignored).toContain('baggage');
        if (read.timeoutMs !== undefined) expect(read.timeoutMs).toBeGreaterThan(0);
        expect(ignored.length).toBeLessThanOrEqual(4);
      }),
      RUNS,
    );
  });

  it('what prosa writes reads back the same', () => {
    fc.assert(
      fc.property(
        hex(32).filter((id) => /[1-9a-f]/.test(id)),
        hex(16).filter((id) => /[1-9a-f]/.test(id)),
        fc.integer({ min: 0, max: 255 }),
        fc.dictionary(token, fc.string({ maxLength: 256 }), { maxKeys: MAX_META_ENTRIES }),
        (traceId, spanId, traceFlags, entries) => {
          const headers: Record<string, string> = {};
          const meta = Object.keys(entries).length === 0 ? undefined : checkMeta(entries);
          writeContextHeaders((name, value) => (headers[name] = value), { traceId, spanId, traceFlags }, meta);
          const ignored: string[] = [];
          const read = readContextHeaders((name) => headers[name], (header) => ignored.push(header));
          expect(ignored).toEqual([]);
          expect(read.trace).toMatchObject({ traceId, spanId, traceFlags, isRemote: true });
          expect(read.meta === undefined ? undefined : { ...read.meta }).toEqual(meta === undefined ? undefined : { ...meta });
        },
      ),
      RUNS,
    );
  });
});

describe('property: a hostile tracer', () => {
  let bus: Prosa | undefined;
  afterEach(async () => {
    await bus?.stop();
    bus = undefined;
  });

  it('a tracer whose spans throw at any step costs requests their spans, never their one outcome', async () => {
    const steps = ['startSpan', 'spanContext', 'isRecording', 'setAttribute', 'end', 'recordException'] as const;
    await fc.assert(
      fc.asyncProperty(fc.subarray([...steps], { minLength: 1 }), fc.array(fc.constantFrom('ok', 'throw', 'timeout', 'nobody'), { minLength: 1, maxLength: 8 }), async (failing, plan) => {
        const boom = (step: string) => {
          if ((failing as readonly string[]).includes(step)) throw new Error(`tracer broke at ${step}`);
        };
        const span = {
          spanContext: () => (boom('spanContext'), { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 }),
          isRecording: () => (boom('isRecording'), true),
          setAttribute: () => (boom('setAttribute'), span),
          setStatus: () => span,
          recordException: () => boom('recordException'),
          addEvent: () => span,
          end: () => boom('end'),
        } as unknown as Span;
        const tracer = { startSpan: () => (boom('startSpan'), span) } as unknown as Tracer;
        const provider = { getTracer: () => tracer } as unknown as TracerProvider;
        bus = testBus({ tracing: otelTracing({ tracerProvider: provider }) });
        bus.processor('p', {
          services: ['OK', 'THROW', 'SLOW'],
          adaptor: {
            processRequest: (service, tvf) => {
              if (service === 'THROW') throw new Error('adaptor says no');
              return service === 'SLOW' ? new Promise<Tvf>(() => undefined) : tvf;
            },
          },
        });
        await bus.start();
        const service = { ok: 'OK', throw: 'THROW', timeout: 'SLOW', nobody: 'NOBODY' } as const;
        const outcomes = await Promise.all(
          plan.map((step) =>
            bus!.request(service[step], record(1), { timeoutMs: 20 }).then(
              () => 'response',
              (error: unknown) => (error instanceof ServiceError ? error.kind : 'other'),
            ),
          ),
        );
        const expected = { ok: 'response', throw: 'protocol', timeout: 'timeout', nobody: 'unreachable' } as const;
        expect(outcomes).toEqual(plan.map((step) => expected[step]));
        expect(bus.stats().inFlight).toBe(0);
        await bus.stop();
        bus = undefined;
      }),
      { numRuns: Math.min(20, RUNS.numRuns) },
    );
  });
});
