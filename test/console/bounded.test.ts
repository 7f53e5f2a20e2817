/**
 * The console's memory is bounded however long it runs and however many clients connect:
 * the event and figures logs, the services counted apart, the stream's clients.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedLog } from '../../src/console/bounded-log.js';
import { IntervalFigures } from '../../src/console/figures.js';
import { sseFrame, StreamHub } from '../../src/console/stream.js';
import type { ProcessSample } from '../../src/observability/process-figures.js';
import { OUTCOMES } from '../../src/observability/request-figures.js';

const RUNS = Number(process.env.PROSA_PROPERTY_RUNS ?? 60);

describe('BoundedLog', () => {
  it('holds the most recent entries within its count and byte budget, and lists them as one JSON array', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 400 }),
        fc.array(fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 30 }), fc.integer()), { maxLength: 200 }),
        (maxEntries, maxBytes, values) => {
          const log = new BoundedLog<{ id: number; v: unknown }>(maxEntries, maxBytes);
          const all: { id: number; text: string; bytes: number }[] = [];
          for (const v of values) {
            const entry = log.push((id) => ({ id, v }));
            all.push(entry);
            expect(log.size).toBeLessThanOrEqual(maxEntries);
            expect(log.bytes).toBeLessThanOrEqual(maxBytes);
          }
          const held = log.list();
          // What is held is a run of the most recent entries that fit (entries too large alone are skipped).
          const fitting = all.filter((e) => e.bytes <= maxBytes);
          expect(held.map((e) => e.id)).toEqual(fitting.slice(fitting.length - held.length).map((e) => e.id));
          expect(log.bytes).toBe(held.reduce((sum, e) => sum + e.bytes, 0));
          expect(log.dropped).toBe(all.length - held.length);
          expect(JSON.parse(log.jsonArray())).toEqual(held.map((e) => e.value));
          // The next entry would not fit: the log dropped only what it had to.
          if (held.length < fitting.length) {
            const previous = fitting[fitting.length - held.length - 1]!;
            expect(held.length + 1 > maxEntries || log.bytes + previous.bytes > maxBytes).toBe(true);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('keeps its backing array bounded over a long run', () => {
    const log = new BoundedLog<number>(10, 1_000_000);
    for (let i = 0; i < 100_000; i++) log.push(() => i);
    expect(log.size).toBe(10);
    expect((log as unknown as { entries: unknown[] }).entries.length).toBeLessThan(3_000);
    expect(log.list().map((e) => e.value)).toEqual([...Array(10).keys()].map((i) => 99_990 + i));
  });
});

const SAMPLE = {} as ProcessSample;

describe('IntervalFigures', () => {
  it('counts every request exactly, at most maxServices services apart, however many names come', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.string({ maxLength: 6 }), fc.constantFrom(...OUTCOMES), fc.oneof(fc.constant(Number.NaN), fc.double({ min: 0, max: 1e4, noNaN: true }))), { maxLength: 300 }),
        (maxServices, requests) => {
          const figures = new IntervalFigures({ maxServices, latencySampleEvery: 1 });
          for (const [service, outcome, ms] of requests) figures.requestSettled(service, outcome, ms, 'p');
          expect(figures.serviceCount).toBeLessThanOrEqual(maxServices);
          const tick = figures.tick(1000, 0, [], SAMPLE, new Date(0));
          expect(tick.totals.requests).toBe(requests.length);
          expect(tick.totals.responses).toBe(requests.filter(([, outcome]) => outcome === 'response').length);
          const sum = Object.values(tick.services).reduce((n, s) => n + s.requests, 0);
          expect(sum).toBe(requests.length);
          const timed = requests.filter(([, , ms]) => !Number.isNaN(ms)).length;
          expect(Object.values(tick.services).reduce((n, s) => n + s.latencyMs.count, 0)).toBe(timed);
          // A fresh interval starts at zero.
          expect(figures.tick(1000, 0, [], SAMPLE, new Date(0)).totals.requests).toBe(0);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('shows present services with zeros, and per-second rates over the interval', () => {
    const figures = new IntervalFigures({ maxServices: 10, latencySampleEvery: 1 });
    for (let i = 0; i < 50; i++) figures.requestSettled('A', i % 5 === 0 ? 'timeout' : 'response', 2, 'p');
    const tick = figures.tick(500, 3, ['A', 'IDLE'], SAMPLE, new Date(0));
    expect(tick.services['A']).toMatchObject({ requests: 50, perSecond: 100, responses: 40, errors: { timeout: 10 } });
    expect(tick.services['A']!.latencyMs).toMatchObject({ count: 50 });
    expect(tick.services['IDLE']).toMatchObject({ requests: 0, perSecond: 0 });
    expect(tick.inFlight).toBe(3);
  });
});

/** A stand-in for a stream client's response: `writableLength` is what it has not read. */
class FakeClient extends EventEmitter {
  writableLength = 0;
  written = '';
  destroyed = false;
  headersSent = false;
  writeHead() {
    this.headersSent = true;
    return this;
  }
  flushHeaders() {}
  write(text: string) {
    this.written += text;
    return true;
  }
  end() {}
  destroy() {
    this.destroyed = true;
    this.emit('close');
  }
}

function open(hub: StreamHub): FakeClient {
  const client = new FakeClient();
  hub.open(new EventEmitter() as unknown as IncomingMessage, client as unknown as ServerResponse, sseFrame('snapshot', '{}'));
  return client;
}

describe('StreamHub', () => {
  it('drops a client that does not read past its backlog, and keeps sending to the others', () => {
    const warnings: unknown[] = [];
    const hub = new StreamHub({ maxClients: 4, maxBacklogBytes: 100, logger: { warn: (...args: unknown[]) => warnings.push(args) } as never });
    const reader = open(hub);
    const stuck = open(hub);
    expect(hub.size).toBe(2);
    stuck.writableLength = 101;
    hub.broadcast('event', '{"id":1}', 1);
    expect(stuck.destroyed).toBe(true);
    expect(hub.size).toBe(1);
    expect(hub.slowClients).toBe(1);
    expect(reader.written).toContain('event: event\nid: 1\ndata: {"id":1}\n\n');
    expect(stuck.written).not.toContain('data: {"id":1}');
    expect(warnings.length).toBeGreaterThan(0);
    hub.close();
  });

  it('refuses a client past maxClients, and takes one again once a client left', () => {
    const hub = new StreamHub({ maxClients: 2, maxBacklogBytes: 100 });
    const first = open(hub);
    open(hub);
    const refused = new FakeClient();
    expect(hub.open(new EventEmitter() as unknown as IncomingMessage, refused as unknown as ServerResponse, '')).toBe(false);
    expect(refused.headersSent).toBe(false);
    expect(hub.refusedClients).toBe(1);
    first.emit('close');
    expect(hub.size).toBe(1);
    expect(hub.open(new EventEmitter() as unknown as IncomingMessage, new FakeClient() as unknown as ServerResponse, '')).toBe(true);
    hub.close();
    expect(hub.size).toBe(0);
  });

  it('frames one line of JSON per message, with its id when it has one', () => {
    expect(sseFrame('figures', '{"a":1}')).toBe('event: figures\ndata: {"a":1}\n\n');
    expect(sseFrame('event', '{}', 7)).toBe('event: event\nid: 7\ndata: {}\n\n');
  });
});
