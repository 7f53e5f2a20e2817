import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { routeSchema } from '../../src/processors/http/server/settings.js';
import { SimpleStringTvf, type Prosa, type RequestInfo, type Tvf } from '../../src/index.js';
import { SERVICE_ERROR_KINDS } from '../../src/actors/errors.js';
import { deferred, sleep, testBus } from '../support/bus.js';
import { addGateway, echo, httpClient, parseAnswer, rawExchange } from './support.js';

let bus: Prosa | undefined;
const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await bus?.stop();
  bus = undefined;
});

const DICT = {
  amount: { id: 1, type: 'unsigned' as const },
  currency: 2,
  account: 3,
  verbose: 4,
  requestId: 5,
  status: 9,
};

type RouteInput = z.input<typeof routeSchema>;

const ROUTES = [
  { method: 'POST' as const, path: '/pay', service: 'PAYMENT', timeoutMs: 2_000 },
  {
    method: 'GET' as const,
    path: '/accounts/:id',
    service: 'ACCOUNT',
    params: { id: 'account' },
    query: { verbose: 'verbose' },
    headers: { 'X-Request-Id': 'requestId' },
  },
  { method: 'PUT' as const, path: '/accounts/:id', service: 'ACCOUNT', params: { id: 3 } },
] satisfies RouteInput[];

/** A bus with an echoing stub for PAYMENT and ACCOUNT and a gateway in front of it. */
async function gatewayOverEcho(settings: Record<string, unknown> = {}, stub = echo()) {
  bus = testBus();
  bus.processor('stub', { services: ['PAYMENT', 'ACCOUNT'], adaptor: stub });
  const gateway = addGateway(bus, { listen: { port: 0 }, dict: DICT, routes: ROUTES, ...settings });
  await bus.start();
  const http = httpClient(gateway.url());
  closers.push(http.close);
  return { gateway, http };
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const TVF_HEADERS = { 'content-type': 'application/x-prosa-tvf' };

describe('http-server: bodies and formats', () => {
  it('turns a JSON body into a record through the dict and answers in JSON', async () => {
    const { http } = await gatewayOverEcho();
    const reply = await http.send('POST', '/pay', '{"amount": 1250, "currency": "EUR"}', JSON_HEADERS);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(reply.body)).toEqual({ amount: 1250, currency: 'EUR' });
  });

  it('reads and answers the TVF text form', async () => {
    const { http } = await gatewayOverEcho();
    const reply = await http.send('POST', '/pay', '1;4;1250;2;3;EUR;', TVF_HEADERS);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/x-prosa-tvf; charset=utf-8');
    expect(reply.body).toBe('1;4;1250;2;3;EUR;');
  });

  it('answers in the format Accept asks for, else the request one', async () => {
    const { http } = await gatewayOverEcho();
    const asJson = await http.send('POST', '/pay', '1;4;1250;', { ...TVF_HEADERS, accept: 'text/html, application/json;q=0.9' });
    expect(asJson.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(asJson.body)).toEqual({ amount: 1250 });
    const asTvf = await http.send('POST', '/pay', '{"amount": 7}', { ...JSON_HEADERS, accept: 'application/x-prosa-tvf' });
    expect(asTvf.body).toBe('1;1;7;');
    const fallback = await http.send('POST', '/pay', '{"amount": 7}', { ...JSON_HEADERS, accept: 'text/html' });
    expect(fallback.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('reads a body without Content-Type in defaultFormat', async () => {
    const { http } = await gatewayOverEcho({ defaultFormat: 'tvf' });
    const reply = await http.send('POST', '/pay', '2;3;USD;');
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('2;3;USD;');
  });

  it('copies path parameters, query parameters and chosen headers into fields', async () => {
    const { http } = await gatewayOverEcho();
    const reply = await http.send('GET', '/accounts/FR76%2012?verbose=yes&other=1', undefined, { 'x-request-id': 'req-42' });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ account: 'FR76 12', verbose: 'yes', requestId: 'req-42' });
    const put = await http.send('PUT', '/accounts/A1', '{"currency": "EUR"}', JSON_HEADERS);
    expect(JSON.parse(put.body)).toEqual({ currency: 'EUR', account: 'A1' });
  });

  it('answers with the status the reply sets in statusField, taking the field out of the body', async () => {
    const stub = {
      processRequest: (_s: string, request: Tvf) => {
        const reply = new SimpleStringTvf();
        reply.putString(9, request.getString(2));
        reply.putString(2, 'done');
        return reply;
      },
    };
    const { http } = await gatewayOverEcho({ statusField: 'status' }, stub);
    const created = await http.send('POST', '/pay', '{"currency": "201"}', JSON_HEADERS);
    expect(created.status).toBe(201);
    expect(JSON.parse(created.body)).toEqual({ currency: 'done' });
    const bad = await http.send('POST', '/pay', '{"currency": "2xx"}', JSON_HEADERS);
    expect(bad.status).toBe(502);
    expect(JSON.parse(bad.body)).toEqual({ error: 'protocol', message: expect.stringContaining("status field holds '2xx'") });
  });

  it.each([
    ['JSON cut short', JSON_HEADERS, '{"amount": 12, ', /^JSON body: unexpected end of the text at byte 15$/],
    ['JSON with a bad token', JSON_HEADERS, '{"amount": tru}', /^JSON body: expected 'true' at byte 14$/],
    ['JSON array', JSON_HEADERS, '[1, 2]', /^JSON body: a record is a JSON object, not an array$/],
    ['JSON of the wrong type', JSON_HEADERS, '{"amount": -3}', /field 1 cannot be set/],
    ['JSON naming an unknown field', JSON_HEADERS, '{"nope": 1}', /no field named "nope"/],
    ['JSON not UTF-8', JSON_HEADERS, Buffer.from([0x7b, 0xff, 0x7d]), /^JSON body: not valid UTF-8$/],
    ['TVF with a bad length', TVF_HEADERS, '1;x;12;', /^TVF body: at byte 2: /],
    ['TVF running past its end', TVF_HEADERS, '1;9;12;', /^TVF body: at byte \d+: value of field 1 runs past the end/],
  ])('answers 400 malformedBody for %s, with the offset', async (_name, headers, body, message) => {
    const { http } = await gatewayOverEcho();
    const reply = await http.send('POST', '/pay', body as string, headers);
    expect(reply.status).toBe(400);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    const error = JSON.parse(reply.body) as { error: string; message: string };
    expect(Object.keys(error)).toEqual(['error', 'message']);
    expect(error.error).toBe('malformedBody');
    expect(error.message).toMatch(message);
    expect(error.message).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('answers 415 for a Content-Type neither format reads', async () => {
    const { http } = await gatewayOverEcho();
    const reply = await http.send('POST', '/pay', 'amount=12', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(reply.status).toBe(415);
    expect(JSON.parse(reply.body).error).toBe('unsupportedMediaType');
  });
});

describe('http-server: routing', () => {
  it('answers 404 for an unknown path, 405 with Allow for a wrong method, 400 for an undecodable URL', async () => {
    const { http } = await gatewayOverEcho();
    const missing = await http.send('GET', '/nowhere');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ error: 'notFound', message: 'no route for /nowhere' });
    const wrong = await http.send('DELETE', '/accounts/7');
    expect(wrong.status).toBe(405);
    expect(wrong.headers['allow']).toBe('GET, PUT');
    expect(JSON.parse(wrong.body).error).toBe('methodNotAllowed');
    const bad = await http.send('GET', '/accounts/%zz');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toBe('badUrl');
  });
});

describe('http-server: outcomes as status codes', () => {
  it('answers 504 timeout when the service is slower than the route timeoutMs, which it passes as the deadline', async () => {
    const seen: number[] = [];
    const stub = {
      processRequest: async (_s: string, request: Tvf, _ctx: unknown, info: RequestInfo) => {
        seen.push(info.timeoutMs);
        await sleep(1_000);
        return request;
      },
    };
    bus = testBus();
    bus.processor('stub', { services: ['SLOW'], adaptor: stub });
    const gateway = addGateway(bus, { listen: { port: 0 }, routes: [{ path: '/slow', service: 'SLOW', timeoutMs: 60 }] });
    await bus.start();
    const http = httpClient(gateway.url());
    closers.push(http.close);
    const started = performance.now();
    const reply = await http.send('POST', '/slow', '{}', JSON_HEADERS);
    expect(reply.status).toBe(504);
    expect(performance.now() - started).toBeLessThan(700); // well before the stub's answer
    expect(JSON.parse(reply.body)).toEqual({ error: 'timeout', message: "timeout: service 'SLOW' at processor 'stub': no reply within 60 ms" });
    expect(seen).toEqual([60]);
  });

  it('answers 503 unreachable when no processor provides the service', async () => {
    bus = testBus();
    const gateway = addGateway(bus, { listen: { port: 0 }, routes: [{ path: '/x', service: 'NOBODY' }] });
    await bus.start();
    const http = httpClient(gateway.url());
    closers.push(http.close);
    const reply = await http.send('POST', '/x', '{}', JSON_HEADERS);
    expect(reply.status).toBe(503);
    expect(reply.headers['connection']).not.toBe('close');
    expect(JSON.parse(reply.body).error).toBe('unreachable');
  });

  it('answers 502 protocol when the provider fails the request', async () => {
    const { http } = await gatewayOverEcho({}, { processRequest: () => { throw new Error('card declined by the rules engine'); } });
    const reply = await http.send('POST', '/pay', '{}', JSON_HEADERS);
    expect(reply.status).toBe(502);
    expect(JSON.parse(reply.body)).toEqual({
      error: 'protocol',
      message: "protocol: service 'PAYMENT' at processor 'stub': adaptor failed: card declined by the rules engine",
    });
  });

  it('answers 429 overloaded with Retry-After when every provider is full', async () => {
    bus = testBus();
    const release = deferred<void>();
    bus.processor('stub', {
      services: ['PAYMENT'],
      queue: { maxInFlight: 1 },
      adaptor: { processRequest: async (_s, request) => (await release.promise, request) },
    });
    const gateway = addGateway(bus, { listen: { port: 0 }, dict: DICT, routes: ROUTES, retryAfterSeconds: 3 });
    await bus.start();
    const first = httpClient(gateway.url());
    const second = httpClient(gateway.url());
    closers.push(first.close, second.close);
    const pending = first.send('POST', '/pay', '{}', JSON_HEADERS);
    await sleep(30);
    const refused = await second.send('POST', '/pay', '{}', JSON_HEADERS);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('3');
    expect(JSON.parse(refused.body).error).toBe('overloaded');
    release.resolve();
    expect((await pending).status).toBe(200);
  });

  it('answers 503 shutdown with Connection: close when the bus stops while the request is being received', async () => {
    const { gateway } = await gatewayOverEcho();
    const head = 'POST /pay HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n';
    const result = await rawExchange(gateway.port(), [head + '{"amount"', ': 12}'], {
      between: async () => {
        while (gateway.adaptor.exchangesInFlight === 0) await sleep(2);
        void bus!.stop();
      },
    });
    const reply = parseAnswer(result.text)!;
    expect(reply.status).toBe(503);
    expect(reply.headers['connection']).toBe('close');
    expect(JSON.parse(reply.body)).toEqual({ error: 'shutdown', message: "shutdown: service 'PAYMENT': the bus is stopping" });
    expect(result.closedByServer).toBe(true);
  });

  it('answers 500 without details when the bus rejects with something else than a ServiceError', async () => {
    // The bus never does; the gateway still must not leak what it got.
    const { http, gateway } = await gatewayOverEcho();
    const plan = (gateway.adaptor as unknown as { gateway: { ctx: { request: unknown } } }).gateway;
    plan.ctx.request = () => Promise.reject(new Error('secret internals'));
    const reply = await http.send('POST', '/pay', '{}', JSON_HEADERS);
    expect(reply.status).toBe(500);
    expect(JSON.parse(reply.body)).toEqual({ error: 'internalError', message: 'internal error' });
  });
});

describe('http-server: one casing of error kinds', () => {
  it("names every error in its body in the service-error kinds' own casing (lower camelCase)", async () => {
    const CASING = /^[a-z][A-Za-z]*$/;
    for (const kind of SERVICE_ERROR_KINDS) expect(kind).toMatch(CASING);
    const { http } = await gatewayOverEcho({ routes: [...ROUTES, { method: 'GET', path: '/nobody', service: 'NOBODY' }] });
    const answers = [
      await http.send('GET', '/nobody'),
      await http.send('GET', '/nowhere'),
      await http.send('DELETE', '/accounts/7'),
      await http.send('GET', '/accounts/%zz'),
      await http.send('POST', '/pay', '{"amount"', JSON_HEADERS),
      await http.send('POST', '/pay', 'x', { 'content-type': 'text/plain' }),
    ];
    const kinds = answers.map((answer) => JSON.parse(answer.body).error as string);
    expect(kinds[0]).toBe('unreachable');
    expect(kinds.filter((kind) => !CASING.test(kind))).toEqual([]);
  });
});

describe('http-server: limits', () => {
  it('answers 413 and closes when Content-Length is over maxBodyBytes, without reading the body', async () => {
    const { gateway } = await gatewayOverEcho({ maxBodyBytes: 64 });
    const head = 'POST /pay HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n';
    const result = await rawExchange(gateway.port(), [head]);
    const reply = parseAnswer(result.text)!;
    expect(reply.status).toBe(413);
    expect(reply.headers['connection']).toBe('close');
    expect(JSON.parse(reply.body)).toEqual({ error: 'bodyTooLarge', message: 'the body is larger than maxBodyBytes (64)' });
    expect(result.closedByServer).toBe(true);
  });

  it('answers 413 for a chunked body that grows over maxBodyBytes', async () => {
    const { gateway } = await gatewayOverEcho({ maxBodyBytes: 64 });
    const head = 'POST /pay HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    const chunk = `28\r\n${'x'.repeat(40)}\r\n`;
    const result = await rawExchange(gateway.port(), [head, chunk, chunk, chunk], { gapMs: 5 });
    const reply = parseAnswer(result.text)!;
    expect(reply.status).toBe(413);
    expect(result.closedByServer).toBe(true);
  });

  it('a body of exactly maxBodyBytes is read', async () => {
    const { http } = await gatewayOverEcho({ maxBodyBytes: 20 });
    const body = '{"currency":"ABCDE"}';
    expect(body.length).toBe(20);
    expect((await http.send('POST', '/pay', body, JSON_HEADERS)).status).toBe(200);
  });

  it('answers 408 and closes a client that sends its head too slowly (slowloris)', async () => {
    const { gateway } = await gatewayOverEcho({ headersTimeoutMs: 150, requestTimeoutMs: 300 });
    const drip = ['POST /pay HTTP/1.1\r\n', 'Host: x\r\n', 'X-A: 1\r\n', 'X-B: 1\r\n', 'X-C: 1\r\n', 'X-D: 1\r\n', 'X-E: 1\r\n'];
    const result = await rawExchange(gateway.port(), drip, { gapMs: 60, timeoutMs: 2_000 });
    expect(result.closedByServer).toBe(true);
    expect(result.elapsedMs).toBeLessThan(1_000);
    const reply = parseAnswer(result.text)!;
    expect(reply.status).toBe(408);
    expect(JSON.parse(reply.body).error).toBe('requestTimeout');
  });

  it('answers 408 and closes a client that sends its body too slowly', async () => {
    const { gateway } = await gatewayOverEcho({ headersTimeoutMs: 100, requestTimeoutMs: 200 });
    const head = 'POST /pay HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n';
    const drip = [head, ...'{"currency":"EUR"                       }'.split('')];
    const result = await rawExchange(gateway.port(), drip, { gapMs: 40, timeoutMs: 2_000 });
    expect(result.closedByServer).toBe(true);
    expect(result.elapsedMs).toBeLessThan(1_000);
    expect(parseAnswer(result.text)?.status).toBe(408);
    for (let i = 0; i < 50 && gateway.adaptor.exchangesInFlight > 0; i++) await sleep(5);
    expect(gateway.adaptor.exchangesInFlight).toBe(0);
  });

  it('answers 431 for a head over maxHeaderBytes, 400 for bytes that are not HTTP or a request without Host', async () => {
    const { gateway } = await gatewayOverEcho({ maxHeaderBytes: 1024 });
    const big = await rawExchange(gateway.port(), [`GET /accounts/1 HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(2048)}\r\n\r\n`]);
    expect(parseAnswer(big.text)?.status).toBe(431);
    expect(JSON.parse(parseAnswer(big.text)!.body).error).toBe('headersTooLarge');
    const junk = await rawExchange(gateway.port(), ['\x00\x01 hello there\r\n\r\n']);
    expect(parseAnswer(junk.text)?.status).toBe(400);
    expect(JSON.parse(parseAnswer(junk.text)!.body).error).toBe('badRequest');
    const hostless = await rawExchange(gateway.port(), ['GET /accounts/1 HTTP/1.1\r\n\r\n']);
    expect(parseAnswer(hostless.text)?.status).toBe(400);
    expect(JSON.parse(parseAnswer(hostless.text)!.body)).toEqual({ error: 'badRequest', message: 'an HTTP/1.1 request needs a Host header' });
  });
});

describe('http-server: connections and lifecycle', () => {
  it('keeps connections alive between requests', async () => {
    const { gateway } = await gatewayOverEcho();
    const request = 'POST /pay HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}';
    const result = await rawExchange(gateway.port(), [request, request], { gapMs: 50, timeoutMs: 300 });
    expect(result.closedByServer).toBe(false);
    expect(result.text.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
  });

  it('stops gracefully: in-flight requests are answered, then new connections are refused', async () => {
    const { gateway } = await gatewayOverEcho({}, echo(150));
    const url = gateway.url();
    const clients = [1, 2, 3].map(() => httpClient(url));
    closers.push(...clients.map((c) => c.close));
    const inFlight = clients.map((c, i) => c.send('POST', '/pay', `{"amount": ${i}}`, JSON_HEADERS));
    while (gateway.adaptor.exchangesInFlight < 3) await sleep(2);
    const stopped = bus!.stop();
    const replies = await Promise.all(inFlight);
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(replies.map((r) => JSON.parse(r.body).amount)).toEqual([0, 1, 2]);
    expect(replies.every((r) => r.headers['connection'] === 'close')).toBe(true);
    await stopped;
    const late = httpClient(url);
    closers.push(late.close);
    await expect(late.send('POST', '/pay', '{}', JSON_HEADERS)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('closes idle keep-alive connections at once when it stops', async () => {
    const { gateway } = await gatewayOverEcho();
    const request = 'POST /pay HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}';
    const idle = rawExchange(gateway.port(), [request], { timeoutMs: 3_000 });
    await sleep(50);
    const started = performance.now();
    await bus!.stop();
    const result = await idle;
    expect(result.closedByServer).toBe(true);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('a port in use is a recoverable crash: the server listens once the port is free', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (blocker.address() as AddressInfo).port;
    bus = testBus();
    bus.processor('stub', { services: ['PAYMENT'], adaptor: echo() });
    const gateway = addGateway(bus, { listen: { port }, dict: DICT, routes: ROUTES }, 'gateway', { restart: { delayMs: 20, maxDelayMs: 40 } });
    await bus.start();
    expect(['crashed', 'restarting', 'initializing']).toContain(gateway.processor.state);
    expect(String(gateway.processor.lastError)).toContain('EADDRINUSE');
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    await gateway.processor.when('serving');
    const http = httpClient(`http://127.0.0.1:${port}`);
    closers.push(http.close);
    expect((await http.send('POST', '/pay', '{}', JSON_HEADERS)).status).toBe(200);
  });

  it('a host that cannot be bound is a fatal crash', async () => {
    bus = testBus();
    const gateway = addGateway(bus, { listen: { host: "192.0.2.1", port: 0 }, dict: DICT, routes: ROUTES });
    await bus.start();
    await gateway.processor.when('failed');
    expect(gateway.processor.state).toBe('failed');
    expect(String(gateway.processor.lastError)).toMatch(/cannot listen on 192\.0\.2\.1:0/);
  });
});
