import { afterEach, describe, expect, it } from 'vitest';
import type { Prosa } from '../../src/index.js';
import { testBus } from '../support/bus.js';
import { addClient, addGateway, answer, eventually, httpClient, upstream } from './support.js';

let bus: Prosa | undefined;
const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  await bus?.stop();
  bus = undefined;
  for (const close of closers.splice(0)) await close();
});

const DICT = { amount: { id: 1, type: 'unsigned' as const }, currency: 2, account: 3, status: 9 };

/** HTTP in -> gateway -> bus -> client -> upstream, and back. */
async function proxy(handler: Parameters<typeof upstream>[0], routeTimeoutMs = 1_000) {
  const server = await upstream(handler);
  closers.push(server.close);
  bus = testBus();
  const client = addClient(
    bus,
    { url: server.url, dict: DICT, statusField: 'status', downAfterMs: 60_000, services: [{ name: 'PAYMENT', path: '/v1/payments' }] },
    'payments-upstream',
  );
  const gateway = addGateway(bus, {
    listen: { port: 0 },
    dict: DICT,
    statusField: 'status',
    routes: [{ method: 'POST', path: '/pay', service: 'PAYMENT', timeoutMs: routeTimeoutMs }],
  });
  await bus.start();
  const http = httpClient(gateway.url());
  closers.push(http.close);
  return { server, http, client };
}

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('HTTP -> bus -> HTTP proxy', () => {
  it('carries the body through both dictionaries and the upstream status back', async () => {
    const { http, server } = await proxy((_req, res, body) => {
      const request = JSON.parse(body.toString()) as { amount: number; currency: string };
      answer(res, 201, JSON.stringify({ amount: request.amount * 2, currency: request.currency }));
    });
    const reply = await http.send('POST', '/pay', '{"amount": 21, "currency": "EUR"}', JSON_HEADERS);
    expect(reply.status).toBe(201);
    expect(JSON.parse(reply.body)).toEqual({ amount: 42, currency: 'EUR' });
    expect(server.requests[0]).toMatchObject({ method: 'POST', url: '/v1/payments' });
  });

  it('answers 502 for an upstream 4xx, with its status and excerpt in the message', async () => {
    const { http } = await proxy((_req, res) => answer(res, 422, '{"reason":"currency not supported"}'));
    const reply = await http.send('POST', '/pay', '{"currency": "XXX"}', JSON_HEADERS);
    expect(reply.status).toBe(502);
    expect(JSON.parse(reply.body)).toEqual({
      error: 'protocol',
      message: "protocol: service 'PAYMENT' at processor 'payments-upstream': upstream answered 422: {\"reason\":\"currency not supported\"}",
    });
  });

  it('propagates the route deadline: 504 at the route timeoutMs, and the upstream call is aborted', async () => {
    const { http, server } = await proxy((_req, res) => setTimeout(() => answer(res, 200, '{}'), 1_000), 120);
    const started = performance.now();
    const reply = await http.send('POST', '/pay', '{}', JSON_HEADERS);
    const elapsed = performance.now() - started;
    expect(reply.status).toBe(504);
    expect(JSON.parse(reply.body).error).toBe('timeout');
    expect(elapsed).toBeGreaterThanOrEqual(100);
    expect(elapsed).toBeLessThan(700); // well before the upstream's answer
    await eventually(() => server.requests[0]!.aborted);
  });

  it('answers 503 while the upstream is down, and 200 again once it is back', async () => {
    const { http, server } = await proxy((_req, res, body) => answer(res, 200, body.toString()));
    expect((await http.send('POST', '/pay', '{"amount": 1}', JSON_HEADERS)).status).toBe(200);
    await server.close();
    const down = await http.send('POST', '/pay', '{"amount": 2}', JSON_HEADERS);
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body).error).toBe('unreachable');
    await server.reopen();
    const back = await http.send('POST', '/pay', '{"amount": 3}', JSON_HEADERS);
    expect(back.status).toBe(200);
    expect(JSON.parse(back.body)).toEqual({ amount: 3 });
  });
});
