/**
 * A request goes on the deadline wheel only when it is still in flight once delivered:
 * one its provider settles during the delivery costs no wheel link and starts no timer,
 * and every other request still gets its deadline. Both kinds give the outcome they would
 * give through the wheel (a reply, an error, or a timeout that is never early), exactly
 * once, whatever the mix of providers.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ServiceError, type Provider, type RequestMsg } from '../../src/index.js';
import { Requests } from '../../src/actors/requests.js';
import { ServiceTable } from '../../src/actors/service-table.js';
import { record, valueOf } from '../support/bus.js';

/** How a provider answers a request. */
type Answer =
  | { how: 'now'; fail: boolean }
  | { how: 'later'; afterMs: number; fail: boolean }
  | { how: 'never' };

/** A provider that answers each request as `answer` says. */
function provider(name: string, answer: (msg: RequestMsg) => Answer): Provider {
  return {
    processor: name,
    remote: false,
    accepting: true,
    inFlight: 0,
    maxInFlight: 1_000,
    inFlightHead: null,
    deliver(msg) {
      const a = answer(msg);
      const settle = (fail: boolean) =>
        fail ? msg.fail(new ServiceError('protocol', msg.service, name, 'told to fail')) : msg.respond(record(valueOf(msg.payload) + 1));
      if (a.how === 'now') settle(a.fail);
      else if (a.how === 'later') setTimeout(() => settle(a.fail), a.afterMs);
    },
    onIdle: () => undefined,
  };
}

const TICK_MS = 10;
/** A timeout fires at most about three ticks late (src/actors/deadlines.ts). */
const LATEST_MS = 3 * TICK_MS;

let requests: Requests;
let table: ServiceTable;
beforeEach(() => {
  vi.useFakeTimers();
  table = new ServiceTable();
  requests = new Requests(1_000, TICK_MS, undefined, () => {});
});
afterEach(() => {
  requests.release();
  vi.useRealTimers();
});

/** Sends `n` with `timeoutMs` to service `S`, noting when and how it settled. */
function send(n: number, timeoutMs: number) {
  const sentAt = Date.now();
  const outcome: { value?: number; kind?: string; at?: number; count: number } = { count: 0 };
  void requests.send(table.lookup('S'), 'S', record(n), { timeoutMs }, undefined).then(
    (reply) => Object.assign(outcome, { value: valueOf(reply), at: Date.now(), count: outcome.count + 1 }),
    (error: unknown) => Object.assign(outcome, { kind: (error as ServiceError).kind, at: Date.now(), count: outcome.count + 1 }),
  );
  return { sentAt, outcome };
}

describe('requests on the deadline wheel', () => {
  it('a request its provider answers while it is delivered starts no deadline timer; one it holds does, and times out', async () => {
    let answer: Answer = { how: 'now', fail: false };
    table.add('S', provider('p', () => answer));
    const answered = send(1, 50);
    answer = { how: 'now', fail: true };
    const failed = send(2, 50);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(answered.outcome).toMatchObject({ value: 2, count: 1 });
    expect(failed.outcome).toMatchObject({ kind: 'protocol', count: 1 });

    answer = { how: 'never' };
    const held = send(3, 50);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(50 + LATEST_MS);
    expect(held.outcome).toMatchObject({ kind: 'timeout', count: 1 });
    expect(requests.stats().inFlight).toBe(0);
  });

  it('every request settles once, with the outcome its provider gave in time or a timeout never early, whatever the mix', async () => {
    const answerArb: fc.Arbitrary<Answer> = fc.oneof(
      fc.record({ how: fc.constant('now' as const), fail: fc.boolean() }),
      fc.record({ how: fc.constant('later' as const), afterMs: fc.integer({ min: 0, max: 200 }), fail: fc.boolean() }),
      fc.constant({ how: 'never' as const }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ answer: answerArb, timeoutMs: fc.integer({ min: 1, max: 150 }), gapMs: fc.integer({ min: 0, max: 20 }) }), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.integer({ min: 1, max: 3 }),
        async (plan, providers) => {
          table = new ServiceTable();
          requests.release();
          requests = new Requests(1_000, TICK_MS, undefined, () => {});
          const answers = new Map<number, Answer>(plan.map((step, i) => [i, step.answer]));
          for (let p = 0; p < providers; p++) table.add('S', provider(`p${p}`, (msg) => answers.get(valueOf(msg.payload))!));
          const sent = [];
          for (const [i, step] of plan.entries()) {
            sent.push({ ...send(i, step.timeoutMs), step });
            await vi.advanceTimersByTimeAsync(step.gapMs);
          }
          await vi.advanceTimersByTimeAsync(400);
          for (const [i, { sentAt, outcome, step }] of sent.entries()) {
            expect(outcome.count, `request ${i}`).toBe(1);
            const { answer, timeoutMs } = step;
            const elapsed = outcome.at! - sentAt;
            if (answer.how === 'now' || (answer.how === 'later' && answer.afterMs < timeoutMs)) {
              // answered before its deadline came: its own answer
              if (answer.fail) expect(outcome.kind, `request ${i}`).toBe('protocol');
              else expect(outcome.value, `request ${i}`).toBe(i + 1);
            } else if (answer.how === 'never' || answer.afterMs > timeoutMs + LATEST_MS) {
              expect(outcome.kind, `request ${i}`).toBe('timeout');
            }
            if (outcome.kind === 'timeout') {
              expect(elapsed, `request ${i} timed out early`).toBeGreaterThanOrEqual(timeoutMs);
              expect(elapsed).toBeLessThanOrEqual(timeoutMs + LATEST_MS);
            }
          }
          const stats = requests.stats();
          expect(stats.inFlight).toBe(0);
          expect(stats.responses + Object.values(stats.errors).reduce((a, b) => a + b, 0)).toBe(plan.length);
        },
      ),
      { numRuns: Number(process.env.PROSA_PROPERTY_RUNS ?? 60) },
    );
  });
});
