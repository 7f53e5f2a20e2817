/**
 * The bus guarantee across instances: over a local pair of instances linked through a
 * real nats-server, any interleaving of requests (both ways, local, remote, to no
 * provider), provider crashes and instance stops settles every request exactly once,
 * by its deadline, with its own reply (never another request's) or a `ServiceError`;
 * each bus's counters add up, and every request one instance took from the other is
 * answered or counted as dropped.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProsa, ServiceError, SimpleStringTvf, type ProcessorContext, type Prosa, type RoutingPolicy } from '../../src/index.js';
import { natsTransport, type NatsTransport } from '../../src/transport/index.js';
import { silentLogger, sleep } from '../support/bus.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';

const HEARTBEAT_MS = 40;
type Service = 'S' | 'T' | 'NONE';
type Side = 'a' | 'b';

let server: NatsServer;
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server?.stop();
});

interface Instance {
  bus: Prosa;
  transport: NatsTransport;
  contexts: Map<string, ProcessorContext>;
  stopped: Promise<void> | undefined;
}

interface Tracked {
  value: number;
  timeoutMs: number;
  sentAt: number;
  settled: number;
  elapsedMs: number;
  outcome: string | undefined;
}

/** Which processors each side has: name -> services. `a` serves T, `b` serves S and T. */
const LAYOUT: Record<Side, Record<string, readonly Service[]>> = {
  a: { 'a-t': ['T'] },
  b: { 'b-s1': ['S'], 'b-s2': ['S'], 'b-t': ['T'] },
};

function instance(name: Side, prefer: RoutingPolicy, delays: readonly number[]): Instance {
  const bus = createProsa({
    name,
    logger: silentLogger(),
    shutdown: { graceMs: 100, terminateTimeoutMs: 50 },
    deadlineTickMs: 5,
  });
  const contexts = new Map<string, ProcessorContext>();
  let turn = 0;
  for (const [processor, services] of Object.entries(LAYOUT[name])) {
    bus.processor(processor, {
      services,
      restart: { delayMs: 5, maxDelayMs: 20, maxRestarts: 100, windowMs: 60_000 },
      adaptor: {
        init: (ctx) => void contexts.set(processor, ctx),
        processRequest: async (_service, request) => {
          const delay = delays[turn++ % delays.length]!;
          if (delay > 0) await sleep(delay);
          const reply = SimpleStringTvf.from(request);
          reply.putString(2, processor);
          return reply;
        },
      },
    });
  }
  const transport = natsTransport({ servers: [server.url], heartbeatMs: HEARTBEAT_MS, prefer, reconnectTimeWait: 50 });
  bus.attachTransport(transport);
  return { bus, transport, contexts, stopped: undefined };
}

type Action =
  | { type: 'request'; from: Side; service: Service; timeoutMs: number }
  | { type: 'crash'; side: Side; processor: string }
  | { type: 'wait'; ms: number };

const processorNames = [...Object.keys(LAYOUT.a).map((p) => ['a', p] as const), ...Object.keys(LAYOUT.b).map((p) => ['b', p] as const)];

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      type: fc.constant('request' as const),
      from: fc.constantFrom<Side>('a', 'b'),
      service: fc.constantFrom<Service>('S', 'S', 'S', 'T', 'T', 'T', 'NONE'),
      timeoutMs: fc.integer({ min: 15, max: 250 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(...processorNames)
      .map(([side, processor]) => ({ type: 'crash' as const, side, processor })),
  },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 30 }) }) },
);

/** At most one instance stops gracefully, before step `at`. */
const stop = fc.option(fc.record({ at: fc.nat({ max: 60 }), side: fc.constantFrom<Side>('a', 'b') }), { nil: undefined });

describe('property: requests across instances', () => {
  it(
    'settles every request exactly once, with its own reply or a ServiceError, under requests, crashes and stops',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(action, { minLength: 10, maxLength: 60 }),
          stop,
          fc.constantFrom<RoutingPolicy>('local-first', 'spread'),
          fc.array(fc.constantFrom(0, 0, 1, 5, 30), { minLength: 1, maxLength: 5 }),
          async (actions, stopStep, prefer, delays) => {
            const sides: Record<Side, Instance> = { a: instance('a', prefer, delays), b: instance('b', prefer, delays) };
            await Promise.all([sides.a.bus.start(), sides.b.bus.start()]);
            try {
              // each side knows the other's services before traffic starts
              const deadline = Date.now() + 2_000;
              while (!(sides.a.bus.services()['S'] !== undefined && sides.b.bus.services()['T']?.length === 2)) {
                if (Date.now() > deadline) throw new Error('the pair did not see each other');
                await sleep(5);
              }
              const tracked: Tracked[] = [];
              const settling: Promise<void>[] = [];
              let nextValue = 1;
              for (const [index, step] of actions.entries()) {
                if (stopStep?.at === index) sides[stopStep.side].stopped = sides[stopStep.side].bus.stop();
                if (step.type === 'request') {
                  const t: Tracked = {
                    value: nextValue++,
                    timeoutMs: step.timeoutMs,
                    sentAt: performance.now(),
                    settled: 0,
                    elapsedMs: 0,
                    outcome: undefined,
                  };
                  tracked.push(t);
                  const payload = new SimpleStringTvf();
                  payload.putUnsigned(1, t.value);
                  const done = (outcome: string) => {
                    t.settled++;
                    t.elapsedMs = performance.now() - t.sentAt;
                    t.outcome = outcome;
                  };
                  settling.push(
                    sides[step.from].bus.request(step.service, payload, { timeoutMs: step.timeoutMs }).then(
                      (reply) => done(reply.getUnsigned(1) === BigInt(t.value) ? 'reply' : `wrong reply ${reply.getUnsigned(1)}`),
                      (error: unknown) => done(error instanceof ServiceError ? error.kind : `not a ServiceError: ${String(error)}`),
                    ),
                  );
                } else if (step.type === 'crash') {
                  sides[step.side].contexts.get(step.processor)?.fail(new Error('crash'));
                } else {
                  await sleep(step.ms);
                }
              }
              await Promise.all(settling);
              for (const t of tracked) {
                expect(t.settled).toBe(1);
                expect(['reply', 'timeout', 'unreachable', 'overloaded', 'shutdown']).toContain(t.outcome);
                // settled by its own deadline (plus the timer tick and a loaded machine's delays)
                expect(t.elapsedMs).toBeLessThan(t.timeoutMs + 400);
              }
            } finally {
              await Promise.all([(sides.a.stopped ??= sides.a.bus.stop()), (sides.b.stopped ??= sides.b.bus.stop())]);
            }
            for (const side of Object.values(sides)) {
              const stats = side.bus.stats();
              const errors = Object.values(stats.errors).reduce((x, y) => x + y, 0);
              expect(stats.inFlight).toBe(0);
              expect(stats.responses + errors).toBe(stats.requests);
              const incoming = side.transport.stats()!.incoming;
              const incomingErrors = Object.values(incoming.errors).reduce((x, y) => x + y, 0);
              expect(incoming.inFlight).toBe(0);
              expect(incoming.answered + incomingErrors + incoming.dropped).toBe(incoming.received);
              expect(side.transport.stats()!.outgoing.inFlight).toBe(0);
            }
          },
        ),
        { numRuns: 25 },
      );
    },
    120_000,
  );
});
