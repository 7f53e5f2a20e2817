/**
 * The bus's central guarantee with processors on worker threads (a sibling of
 * bus.property.test.ts): three providers of one service, one on the main thread, one on
 * `threads: 1`, one on `threads: 2`, under any sequence of requests (fast, slow, throwing,
 * a `ServiceError` of another kind, a non-record reply, a hostile thrown value, a nested
 * `ctx.request` back to the main thread, a worker that exits with requests in flight),
 * sent through the bus or as a processor, with time passing between them:
 * - every request settles exactly once, with an outcome its mode allows (a request held
 *   by a worker that died ends `unreachable`, never in silence, never twice);
 * - the bus's counters add up: every request (nested ones included) counted once and
 *   settled once, none left in flight, no late reply from a worker (a main-thread
 *   adaptor's reply after its crash comes late, and is counted as such);
 * - the error kinds cross the thread boundary as the adaptor raised them.
 *
 * One bus serves every run (workers start in seconds through the tsx loader); each run
 * ends once every processor serves again. Runs: PROSA_THREADS_PROPERTY_RUNS (default 12),
 * fewer than the other properties because a run that kills a worker waits for fresh ones.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceError, SimpleStringTvf, threadAdaptor, type Prosa, type Processor, type Tvf } from '../../src/index.js';
import { byMode, MODES } from '../fixtures/threads/adaptors.js';
import { sleep, testBus, until } from '../support/bus.js';

type Mode = (typeof MODES)[number];
const MODULE = new URL('../fixtures/threads/adaptors.ts', import.meta.url).href;
const RUNS = Number(process.env.PROSA_THREADS_PROPERTY_RUNS ?? 12);

/** What each mode may end in: its own outcome, or `unreachable` when its provider died meanwhile. */
const ALLOWED: Record<Mode, readonly string[]> = {
  fast: ['response', 'unreachable'],
  slow: ['response', 'unreachable'],
  ask: ['response', 'unreachable'],
  throw: ['protocol', 'unreachable'],
  wrong: ['protocol', 'unreachable'],
  hostile: ['protocol', 'unreachable'],
  kind: ['overloaded', 'unreachable'],
  exit: ['unreachable', 'protocol'],
};

interface Tracked {
  mode: Mode;
  settled: number;
  outcome: string | undefined;
}

function requestOf(mode: Mode, delayMs: number): Tvf {
  const tvf = new SimpleStringTvf();
  tvf.putUnsigned(1, MODES.indexOf(mode));
  tvf.putUnsigned(3, delayMs);
  return tvf;
}

let bus: Prosa;
let processors: Processor[];
/** Late replies by processor: a main-thread adaptor's reply after its crash comes late; a worker's never reaches the bus. */
const late = new Map<string, number>();

beforeAll(async () => {
  bus = testBus({ shutdown: { graceMs: 500, terminateTimeoutMs: 1_000 } });
  const restart = { delayMs: 5, maxDelayMs: 20, maxRestarts: 10_000 };
  const threaded = (threads: number) => threadAdaptor({ module: MODULE, export: 'byMode', threads, terminateTimeoutMs: 200 });
  bus.processor('echo-m', { services: ['M'], adaptor: { processRequest: (_s, r) => r } });
  processors = [
    bus.processor('main', { services: ['S'], adaptor: byMode(), restart }),
    bus.processor('one', { services: ['S'], adaptor: threaded(1), restart }),
    bus.processor('two', { services: ['S'], adaptor: threaded(2), restart }),
  ];
  bus.observe({ lateReply: (_service, processor) => void late.set(String(processor), (late.get(String(processor)) ?? 0) + 1) });
  await bus.start();
}, 60_000);

afterAll(async () => {
  await bus?.stop();
});

const command = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('send' as const), mode: fc.constantFrom(...MODES.filter((m) => m !== 'exit')), delayMs: fc.integer({ min: 0, max: 30 }), asProcessor: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('send' as const), mode: fc.constant('exit' as const), delayMs: fc.constant(0), asProcessor: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 20 }) }) },
);

describe('threads: the bus guarantee with processors on worker threads', () => {
  it('every request settles exactly once with an allowed outcome; the counters add up', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async (commands) => {
        const before = bus.stats();
        const tracked: Tracked[] = [];
        const pending: Promise<void>[] = [];
        for (const step of commands) {
          if (step.t === 'wait') {
            await sleep(step.ms);
            continue;
          }
          const entry: Tracked = { mode: step.mode, settled: 0, outcome: undefined };
          tracked.push(entry);
          const payload = requestOf(step.mode, step.delayMs);
          const sent = step.asProcessor ? processors[0]!.request('S', payload) : bus.request('S', payload);
          pending.push(
            sent.then(
              () => {
                entry.settled++;
                entry.outcome = 'response';
              },
              (error: unknown) => {
                entry.settled++;
                entry.outcome = error instanceof ServiceError ? error.kind : `not a ServiceError: ${String(error)}`;
              },
            ),
          );
        }
        await Promise.all(pending);
        for (const entry of tracked) {
          expect(entry.settled).toBe(1);
          expect(ALLOWED[entry.mode], `${entry.mode} ended in ${entry.outcome}`).toContain(entry.outcome);
        }
        const after = bus.stats();
        const errors = Object.values(after.errors).reduce((a, b) => a + b, 0) - Object.values(before.errors).reduce((a, b) => a + b, 0);
        // Each `ask` that reached its adaptor sent one nested request of its own.
        const sent = after.requests - before.requests;
        const asks = tracked.filter((entry) => entry.mode === 'ask').length;
        expect(sent).toBeGreaterThanOrEqual(tracked.length);
        expect(sent).toBeLessThanOrEqual(tracked.length + asks);
        expect(after.responses - before.responses + errors).toBe(sent);
        expect(after.inFlight).toBe(0);
        expect(late.get('one') ?? 0).toBe(0);
        expect(late.get('two') ?? 0).toBe(0);
        expect(after.late - before.late).toBe(late.get('main') ?? 0);
        late.delete('main');
        // The next run starts with every provider back.
        await until(() => processors.every((p) => p.state === 'serving'), 30_000);
      }),
      { numRuns: RUNS },
    );
  }, 300_000);
});
