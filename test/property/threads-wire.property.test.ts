/**
 * The batches workers post (src/threads/protocol.ts): what the worker side queues through
 * an `Outbox` reads back, through `readWorkerBatch`, as the same messages in the same
 * order, however they are chunked; and whatever else reaches the main thread (anything a
 * hostile worker can clone, a good batch with garbage after it, a field of the wrong type)
 * never throws there, delivers only fields of the right types, and is named as malformed
 * unless it is a batch of ours.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FROM_WORKER, FROM_WORKER_ARITY, Outbox, OUTBOX_CHUNK, readWorkerBatch, type WireError, type WorkerMessages } from '../../src/threads/protocol.js';

const RUNS = Number(process.env.PROSA_PROPERTY_RUNS ?? 60);

/** One message as the recorder saw it: its name and fields. */
type Seen = [string, ...unknown[]];

/** A `WorkerMessages` that records every call, checking the types it is promised. */
function recorder(): { to: WorkerMessages; seen: Seen[] } {
  const seen: Seen[] = [];
  const isError = (e: WireError) => typeof e.message === 'string' && typeof e.recoverable === 'boolean';
  const to: WorkerMessages = {
    done: (id, text) => void seen.push(['done', typeof id === 'number' && typeof text === 'string', id, text]),
    failed: (id, error) => void seen.push(['failed', typeof id === 'number' && isError(error), id, error]),
    ask: (id, service, text, timeoutMs) =>
      void seen.push(['ask', typeof id === 'number' && typeof service === 'string' && typeof text === 'string' && (timeoutMs === undefined || typeof timeoutMs === 'number'), id, service, text, timeoutMs]),
    log: (line) => void seen.push(['log', typeof line === 'string', line]),
    ready: () => void seen.push(['ready', true]),
    initFailed: (error) => void seen.push(['initFailed', isError(error), error]),
    crash: (error) => void seen.push(['crash', isError(error), error]),
    terminated: () => void seen.push(['terminated', true]),
  };
  return { to, seen };
}

const wireError: fc.Arbitrary<WireError> = fc.record(
  {
    message: fc.string(),
    recoverable: fc.boolean(),
    kind: fc.constantFrom('timeout', 'unreachable', 'protocol', 'overloaded' as const),
    retryAfterMs: fc.integer({ min: 1, max: 10_000 }),
    bus: fc.boolean(),
  },
  { requiredKeys: ['message', 'recoverable'] },
) as fc.Arbitrary<WireError>;

/** A message a worker of ours posts: its code and fields. */
const message: fc.Arbitrary<[number, ...unknown[]]> = fc.oneof(
  fc.tuple(fc.constant(FROM_WORKER.done), fc.nat(), fc.string()),
  fc.tuple(fc.constant(FROM_WORKER.failed), fc.nat(), wireError),
  fc.tuple(fc.constant(FROM_WORKER.ask), fc.nat(), fc.string(), fc.string(), fc.option(fc.nat(), { nil: undefined })),
  fc.tuple(fc.constant(FROM_WORKER.log), fc.string()),
  fc.tuple(fc.constant(FROM_WORKER.ready)),
  fc.tuple(fc.constant(FROM_WORKER.initFailed), wireError),
  fc.tuple(fc.constant(FROM_WORKER.crash), wireError),
  fc.tuple(fc.constant(FROM_WORKER.terminated)),
);

const NAMES = Object.fromEntries(Object.entries(FROM_WORKER).map(([name, code]) => [code, name])) as Record<number, string>;

/** What the recorder should see for `messages`. */
function expected(messages: readonly [number, ...unknown[]][]): Seen[] {
  return messages.map(([code, ...fields]) => [NAMES[code]!, true, ...fields]);
}

/** Queues `messages` through an outbox and returns the batches it posted, structured-cloned as a port would. */
function posted(messages: readonly [number, ...unknown[]][]): unknown[][] {
  const batches: unknown[][] = [];
  const outbox = new Outbox({ postMessage: (batch) => void batches.push(structuredClone(batch) as unknown[]) }, FROM_WORKER_ARITY);
  for (const [code, a, b, c, d] of messages) outbox.push(code, a, b, c, d);
  outbox.flush();
  return batches;
}

describe('threads: the batches a worker posts', () => {
  it('read back as the messages queued, in order, chunked at OUTBOX_CHUNK messages', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 3 * OUTBOX_CHUNK }), (messages) => {
        const batches = posted(messages);
        expect(batches.length).toBe(Math.ceil(messages.length / OUTBOX_CHUNK));
        const { to, seen } = recorder();
        for (const batch of batches) expect(readWorkerBatch(batch, to)).toBeUndefined();
        expect(seen).toEqual(expected(messages));
      }),
      { numRuns: RUNS },
    );
  });

  it('anything else never throws, delivers only well-typed fields, and a good batch with garbage after it delivers the good part first', () => {
    const garbage = fc.oneof(fc.anything(), fc.array(fc.oneof(fc.integer({ min: -1, max: 10 }), fc.anything()), { maxLength: 12 }));
    fc.assert(
      fc.property(fc.array(message, { maxLength: 6 }), garbage, fc.boolean(), (messages, junk, asBatch) => {
        const good = messages.flat();
        const batch = asBatch ? [...good, ...(Array.isArray(junk) ? junk : [junk])] : junk;
        const { to, seen } = recorder();
        const problem = readWorkerBatch(batch, to);
        for (const [, typed] of seen) expect(typed).toBe(true);
        if (asBatch) expect(seen.slice(0, messages.length)).toEqual(expected(messages));
        if (!Array.isArray(batch)) expect(problem).toMatch(/^a batch that is not an array: /);
        if (problem !== undefined) expect(problem).toMatch(/^(a batch that is not an array|an unknown message code|message code \d+ at \d+)/);
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('names a field of the wrong type by its position and type, never by its value', () => {
    const { to, seen } = recorder();
    const secret = '7;16;4970100000000000;';
    expect(readWorkerBatch([FROM_WORKER.log, 'ok', FROM_WORKER.done, secret, 1], to)).toBe('message code 3 at 2: the request id is a string');
    expect(readWorkerBatch([FROM_WORKER.failed, 1, { message: secret, recoverable: 'yes' }], to)).toBe('message code 4 at 0: the error is an object');
    expect(seen).toEqual([['log', true, 'ok']]);
  });
});
