/**
 * Fuzzing the http-server: arbitrary bytes as bodies, content types and headers never
 * crash the processor or leak an exception, and every request gets an HTTP answer whose
 * errors are small JSON objects.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prosa } from '../../src/index.js';
import { testBus } from '../support/bus.js';
import { addGateway, echo, parseAnswer, rawExchange } from '../http/support.js';

let bus: Prosa;
let gateway: ReturnType<typeof addGateway>;
const leaked: unknown[] = [];
const onLeak = (error: unknown) => leaked.push(error);

beforeAll(async () => {
  process.on('uncaughtException', onLeak);
  process.on('unhandledRejection', onLeak);
  bus = testBus();
  bus.processor('stub', { services: ['ECHO'], adaptor: echo() });
  gateway = addGateway(bus, {
    listen: { port: 0 },
    dict: { amount: { id: 1, type: 'unsigned' }, when: { id: 2, type: 'date' }, nested: { id: 3, fields: { x: 1 } } },
    maxBodyBytes: 512,
    maxHeaderBytes: 4096,
    headersTimeoutMs: 500,
    requestTimeoutMs: 1_000,
    routes: [
      { method: 'POST', path: '/echo', service: 'ECHO', headers: { 'x-tag': 7 }, query: { q: 8 } },
      { method: 'PUT', path: '/echo/:id', service: 'ECHO', params: { id: 9 } },
    ],
  });
  await bus.start();
});

afterAll(async () => {
  await bus.stop();
  process.off('uncaughtException', onLeak);
  process.off('unhandledRejection', onLeak);
});

const ERROR_KINDS = new Set([
  'malformedBody',
  'badUrl',
  'badRequest',
  'notFound',
  'methodNotAllowed',
  'requestTimeout',
  'bodyTooLarge',
  'unsupportedMediaType',
  'headersTooLarge',
  'protocol',
]);

/** Checks one answer: HTTP, and for an error a `{error, message}` JSON body with a known kind. */
function checkAnswer(text: string, allowed: ReadonlySet<number>): number {
  const reply = parseAnswer(text);
  expect(reply, `no HTTP answer in ${JSON.stringify(text.slice(0, 80))}`).toBeDefined();
  expect(allowed.has(reply!.status), `status ${reply!.status}`).toBe(true);
  if (reply!.status >= 400) {
    const body = JSON.parse(reply!.body) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['error', 'message']);
    expect(ERROR_KINDS.has(body['error'] as string)).toBe(true);
    expect(body['message']).not.toMatch(/\n\s+at /);
  }
  return reply!.status;
}

const contentTypes = fc.oneof(
  fc.constantFrom('application/json', 'application/x-prosa-tvf', 'text/plain', undefined),
  fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, '')),
);

/** Bytes that look a little like the formats, and bytes that do not. */
const bodies = fc.oneof(
  fc.uint8Array({ maxLength: 700 }),
  fc.json({ maxDepth: 3 }).map((s) => Buffer.from(s)),
  fc
    .array(fc.tuple(fc.nat(12), fc.string({ maxLength: 12 })), { maxLength: 6 })
    .map((fields) => Buffer.from(fields.map(([id, v]) => `${id};${Buffer.byteLength(v)};${v};`).join(''))),
  fc.string({ unit: fc.constantFrom(...'0123456789;{}[]":,ab\\é'.split('')), maxLength: 60 }).map((s) => Buffer.from(s)),
);

describe('http-server fuzz', () => {
  it('answers arbitrary bodies and content types with 200 or a JSON error, and keeps serving', async () => {
    const allowed = new Set([200, 400, 413, 415, 502]);
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(bodies, contentTypes, fc.constantFrom('/echo', '/echo?q=%41', '/echo/x%20y'), async (body, type, path) => {
        const method = path.startsWith('/echo/') ? 'PUT' : 'POST';
        const head =
          `${method} ${path} HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n` +
          (type === undefined ? '' : `Content-Type: ${type}\r\n`) +
          `Content-Length: ${body.length}\r\n\r\n`;
        const result = await rawExchange(gateway.port(), [Buffer.concat([Buffer.from(head, 'latin1'), body])]);
        seen.add(checkAnswer(result.text, allowed));
      }),
      { numRuns: 250 },
    );
    expect(seen.has(200)).toBe(true);
    expect(seen.has(400)).toBe(true);
    expect(gateway.processor.state).toBe('serving');
    expect(gateway.processor.lastError).toBeUndefined();
    expect(gateway.adaptor.exchangesInFlight).toBe(0);
    expect(leaked).toEqual([]);
  });

  it('answers arbitrary header bytes, request lines included, with some HTTP answer, and keeps serving', async () => {
    const allowed = new Set([200, 400, 404, 405, 408, 413, 415, 431, 502]);
    const headerBytes = fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1'));
    const headerLine = fc.oneof(
      fc.tuple(fc.constantFrom('X-Tag', 'Content-Type', 'Accept', 'Host', 'X-Other'), headerBytes).map(([n, v]) => `${n}: ${v.replace(/[\r\n]/g, ' ')}`),
      headerBytes.map((line) => line.replace(/[\r\n]/g, '')),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(headerLine, { maxLength: 5 }),
        fc.oneof(fc.constant('POST /echo HTTP/1.1'), headerBytes.map((line) => line.replace(/[\r\n]/g, ''))),
        async (lines, requestLine) => {
          const text = `${requestLine}\r\nConnection: close\r\n${lines.map((l) => `${l}\r\n`).join('')}Content-Length: 2\r\n\r\n{}`;
          const result = await rawExchange(gateway.port(), [Buffer.from(text, 'latin1')], { timeoutMs: 3_000 });
          expect(result.closedByServer).toBe(true);
          checkAnswer(result.text, allowed);
        },
      ),
      { numRuns: 200 },
    );
    expect(gateway.processor.state).toBe('serving');
    expect(gateway.processor.lastError).toBeUndefined();
    expect(gateway.adaptor.exchangesInFlight).toBe(0);
    expect(leaked).toEqual([]);
  });
});
