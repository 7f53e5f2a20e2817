/**
 * Hostile values from adaptors (the bus's rule, docs/bus.md: a throw inside `processRequest` is a `protocol`
 * error for that request; the adaptor's own failures are crashes): whatever an adaptor
 * throws, rejects with, returns, resolves with or passes to `ctx.fail`, and whatever its
 * `init`, `terminate` or directive handler throw,
 * - a request ends in a `protocol` ServiceError with a string message, never in a non-record reply;
 * - a crash is recorded with an Error whose message is a string, and the processor restarts;
 * - the processor that served the hostile value still serves its next request;
 * - another processor's service is served throughout;
 * - no log call throws (the logger runs at `trace`, so pino's serializers see every value);
 * - nothing ends as an unhandled rejection or an uncaught exception.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTvf, ServiceError, type Adaptor, type ProcessorContext, type Tvf } from '../../src/index.js';
import { maskingFormatters } from '../../src/observability/log-masking.js';
import { PayloadMasks } from '../../src/observability/payload-masks.js';
import { record, sleep, testBus, valueOf } from '../support/bus.js';
import { captureLogs } from '../support/log-capture.js';
import { hostileValue, type Hostile } from '../support/hostile.js';

/** How the adaptor hands the hostile value over. */
type Way = 'throw' | 'reject' | 'return' | 'resolve' | 'fail' | 'init' | 'terminate' | 'directive-throw' | 'directive-return';
const WAYS: readonly Way[] = ['throw', 'reject', 'return', 'resolve', 'fail', 'init', 'terminate', 'directive-throw', 'directive-return'];

/** Field 1 of a request: 0 asks for the hostile value, 1 for an echo. */
const HOSTILE = 0;
const ECHO = 1;

const escaped: unknown[] = [];
const onEscaped = (error: unknown) => void escaped.push(error);
beforeAll(() => {
  process.on('unhandledRejection', onEscaped);
  process.on('uncaughtException', onEscaped);
});
afterAll(() => {
  process.off('unhandledRejection', onEscaped);
  process.off('uncaughtException', onEscaped);
});

/** A logger at `trace` (every serializer runs) writing JSON lines into memory, with the instance masking formatters. */
function traceLogger() {
  const { logger, raw } = captureLogs({ level: 'trace', formatters: maskingFormatters(new PayloadMasks()) });
  return { logger, lines: raw };
}

function hostileAdaptor(way: Way, hostile: Hostile, runs: { inits: number; ctx: ProcessorContext | undefined }): Adaptor {
  return {
    init: (ctx) => {
      runs.ctx = ctx;
      if (way === 'init' && runs.inits++ === 0) throw hostile.make();
    },
    processRequest: (_service, request) => {
      if (valueOf(request) === ECHO) return request;
      switch (way) {
        case 'throw':
          throw hostile.make();
        case 'reject':
          return Promise.reject(hostile.make());
        case 'return':
          return hostile.make() as Tvf;
        case 'resolve':
          return Promise.resolve().then(() => hostile.make() as Tvf);
        default:
          return request;
      }
    },
    terminate: () => {
      if (way === 'terminate') throw hostile.make();
    },
  };
}

/** Settles `promise` into what it ended as, never throwing. */
async function outcomeOf(promise: Promise<Tvf>): Promise<{ reply?: unknown; error?: unknown }> {
  try {
    return { reply: await promise };
  } catch (error) {
    return { error };
  }
}

describe('hostile values from adaptors', () => {
  it('end as a protocol error or a crash with a readable message; the bus, the processor and the logs carry on', async () => {
    await fc.assert(
      fc.asyncProperty(hostileValue(), fc.constantFrom(...WAYS), async (hostile, way) => {
        escaped.length = 0;
        const { logger, lines } = traceLogger();
        const bus = testBus({ logger, shutdown: { graceMs: 20, terminateTimeoutMs: 20 } });
        const runs = { inits: 0, ctx: undefined as ProcessorContext | undefined };
        const h = bus.processor('h', {
          services: ['H'],
          restart: { delayMs: 1, maxDelayMs: 2, maxRestarts: 5, windowMs: 10_000 },
          adaptor: hostileAdaptor(way, hostile, runs),
          directives: () => {
            if (way === 'directive-throw') throw hostile.make();
            return (way === 'directive-return' ? hostile.make() : []) as never;
          },
        });
        bus.processor('ok', { services: ['OK'], adaptor: { processRequest: (_s, r) => r } });
        await bus.start();

        if (way === 'throw' || way === 'reject' || way === 'return' || way === 'resolve') {
          const outcome = await outcomeOf(bus.request('H', record(HOSTILE), { timeoutMs: 1_000 }));
          expect(outcome.reply, 'resolved a reply').toBeUndefined();
          expect(outcome.error).toBeInstanceOf(ServiceError);
          expect((outcome.error as ServiceError).kind).toBe('protocol');
          expect(typeof (outcome.error as ServiceError).message).toBe('string');
        } else if (way === 'fail') {
          runs.ctx!.fail(hostile.make());
          expect(h.state).not.toBe('serving');
        } else if (way === 'directive-throw' || way === 'directive-return') {
          expect(h.resolversFor({ kind: 'Hostile', key: 'k' })).toEqual([]);
        }
        if (way === 'fail' || way === 'init') {
          await h.when('serving');
          expect(h.lastError).toBeInstanceOf(Error);
          expect(typeof (h.lastError as Error).message).toBe('string');
        }

        expect(h.state).toBe('serving');
        const again = await bus.request('H', record(ECHO));
        expect(isTvf(again) && valueOf(again)).toBe(ECHO);
        expect(valueOf(await bus.request('OK', record(7)))).toBe(7);
        await bus.stop();
        expect(h.state).toBe('stopped');
        await sleep(1); // let any stray rejection surface
        expect(escaped.map(String)).toEqual([]);
        for (const line of lines) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
        if (way !== 'directive-return') expect(lines.length).toBeGreaterThan(0);
      }),
      { numRuns: Number(process.env.PROSA_PROPERTY_RUNS ?? 60) },
    );
  });

  it('reach every hostile value through every way at least once', async () => {
    // The property above draws at random; this runs the whole cross product once, quietly.
    const { HOSTILE_VALUES } = await import('../support/hostile.js');
    let runs = 0;
    for (const hostile of HOSTILE_VALUES) {
      for (const way of ['throw', 'return', 'fail'] as const) {
        const bus = testBus({ logger: captureLogs({ level: 'trace' }).logger });
        const state = { inits: 0, ctx: undefined as ProcessorContext | undefined };
        const h = bus.processor('h', { services: ['H'], restart: { delayMs: 1 }, adaptor: hostileAdaptor(way, hostile, state) });
        await bus.start();
        if (way === 'fail') state.ctx!.fail(hostile.make());
        else await expect(bus.request('H', record(HOSTILE))).rejects.toMatchObject({ kind: 'protocol' });
        await h.when('serving');
        expect(valueOf(await bus.request('H', record(ECHO))), `${hostile.name} by ${way}`).toBe(ECHO);
        await bus.stop();
        runs++;
      }
    }
    expect(runs).toBe(HOSTILE_VALUES.length * 3);
  });
});
