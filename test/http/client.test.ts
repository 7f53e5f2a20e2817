import { afterEach, describe, expect, it } from 'vitest';
import { ServiceError, SimpleStringTvf, type Prosa, type Tvf } from '../../src/index.js';
import { sleep, testBus } from '../support/bus.js';
import { addClient, answer, eventually, upstream } from './support.js';

let bus: Prosa | undefined;
const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  await bus?.stop();
  bus = undefined;
  for (const close of closers.splice(0)) await close();
});

async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceError);
  return error as ServiceError;
}

function record(fields: Record<number, string>): Tvf {
  const tvf = new SimpleStringTvf();
  for (const [id, value] of Object.entries(fields)) tvf.putString(Number(id), value);
  return tvf;
}

const DICT = { amount: { id: 1, type: 'unsigned' as const }, currency: 2, account: 3, status: 9 };

async function echoUpstream() {
  const server = await upstream((req, res, body) => {
    const type = req.headers['content-type'] ?? 'application/json';
    answer(res, 200, body.length === 0 ? '{}' : body.toString('utf8'), type);
  });
  closers.push(server.close);
  return server;
}

describe('http-client: calls', () => {
  it('sends the record as JSON through the dict and reads the 2xx reply back', async () => {
    const server = await echoUpstream();
    bus = testBus();
    addClient(bus, { url: `${server.url}/api/`, dict: DICT, headers: { 'X-Api-Key': 'k1' }, services: [{ name: 'PAY', path: '/pay' }] });
    await bus.start();
    const reply = await bus.request('PAY', record({ 1: '1250', 2: 'EUR' }));
    expect(reply.getUnsigned(1)).toBe(1250n);
    expect(reply.getString(2)).toBe('EUR');
    const seen = server.requests[0]!;
    expect(seen).toMatchObject({ method: 'POST', url: '/api/pay', body: '{"amount":1250,"currency":"EUR"}' });
    expect(seen.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(seen.headers['x-api-key']).toBe('k1');
  });

  it('speaks the TVF text form, fills path placeholders, sends no body with GET, and puts the status in statusField', async () => {
    const server = await upstream((_req, res) => answer(res, 201, '2;3;USD;', 'application/x-prosa-tvf'));
    closers.push(server.close);
    bus = testBus();
    addClient(bus, {
      url: server.url,
      format: 'tvf',
      dict: DICT,
      statusField: 'status',
      services: [
        { name: 'ACCOUNT', method: 'GET', path: '/accounts/:id?full=1', params: { id: 'account' } },
        { name: 'PAY', path: '/pay', headers: { 'x-route': 'pay' } },
      ],
    });
    await bus.start();
    const reply = await bus.request('ACCOUNT', record({ 3: 'FR 76/1' }));
    expect(reply.getString(2)).toBe('USD');
    expect(reply.getString(9)).toBe('201');
    expect(server.requests[0]).toMatchObject({ method: 'GET', url: '/accounts/FR%2076%2F1?full=1', body: '' });
    await bus.request('PAY', record({ 1: '5' }));
    expect(server.requests[1]).toMatchObject({ method: 'POST', url: '/pay', body: '1;1;5;' });
    expect(server.requests[1]!.headers['x-route']).toBe('pay');
    expect(server.requests[1]!.headers['content-type']).toBe('application/x-prosa-tvf; charset=utf-8');
  });

  it('a record missing a path field is a protocol error, and nothing is sent', async () => {
    const server = await echoUpstream();
    bus = testBus();
    addClient(bus, { url: server.url, services: [{ name: 'ACCOUNT', method: 'GET', path: '/accounts/:id', params: { id: 3 } }] });
    await bus.start();
    const error = await failure(bus.request('ACCOUNT', record({ 1: 'x' })));
    expect(error.kind).toBe('protocol');
    expect(error.message).toMatch(/the request cannot be sent: .*field 3/);
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    [404, '{"error":"no such account"}', 'upstream answered 404: {"error":"no such account"}'],
    [500, `boom ${'x'.repeat(500)}`, `upstream answered 500: boom ${'x'.repeat(195)}`],
    [503, '', 'upstream answered 503'],
  ])('upstream %i is a protocol error with the status and a short excerpt', async (status, body, detail) => {
    const server = await upstream((_req, res) => answer(res, status, body, 'text/plain'));
    closers.push(server.close);
    bus = testBus();
    addClient(bus, { url: server.url, services: [{ name: 'PAY', path: '/pay' }] });
    await bus.start();
    const error = await failure(bus.request('PAY', record({ 1: '1' })));
    expect(error.kind).toBe('protocol');
    expect(error.processor).toBe('client');
    expect(error.detail).toBe(detail);
  });

  it('a 2xx reply that is not a record is a protocol error', async () => {
    const server = await upstream((_req, res) => answer(res, 200, '{"amount": "lots"'));
    closers.push(server.close);
    bus = testBus();
    addClient(bus, { url: server.url, dict: DICT, services: [{ name: 'PAY', path: '/pay' }] });
    await bus.start();
    const error = await failure(bus.request('PAY', record({})));
    expect(error.kind).toBe('protocol');
    expect(error.detail).toBe('upstream answered 200 with a bad body: JSON body: unexpected end of the text at byte 17');
  });

  it('a reply larger than maxBodyBytes is a protocol error', async () => {
    const server = await upstream((_req, res) => answer(res, 200, JSON.stringify({ '2': 'x'.repeat(5_000) })));
    closers.push(server.close);
    bus = testBus();
    addClient(bus, { url: server.url, maxBodyBytes: 1_000, services: [{ name: 'PAY', path: '/pay' }] });
    await bus.start();
    const error = await failure(bus.request('PAY', record({})));
    expect(error.kind).toBe('protocol');
    expect(error.detail).toContain('larger than maxBodyBytes (1000)');
  });
});

describe('http-client: deadlines', () => {
  it('an upstream slower than timeoutMs is a timeout, and the call is aborted', async () => {
    const server = await upstream((_req, res) => setTimeout(() => answer(res, 200, '{}'), 1_000));
    closers.push(server.close);
    bus = testBus();
    addClient(bus, { url: server.url, timeoutMs: 80, services: [{ name: 'PAY', path: '/pay' }] });
    await bus.start();
    const started = performance.now();
    const error = await failure(bus.request('PAY', record({}), { timeoutMs: 5_000 }));
    expect(performance.now() - started).toBeLessThan(700); // well before the upstream's answer
    expect(error.kind).toBe('timeout');
    expect(error.detail).toMatch(/did not answer within 80 ms \(call aborted\)$/);
    await eventually(() => server.requests[0]!.aborted);
  });

  it("waits no longer than the request's own remaining time, and aborts the call at the deadline", async () => {
    const server = await upstream((_req, res) => setTimeout(() => answer(res, 200, '{}'), 1_000));
    closers.push(server.close);
    bus = testBus();
    addClient(bus, { url: server.url, timeoutMs: 10_000, services: [{ name: 'PAY', path: '/pay' }] });
    await bus.start();
    const started = performance.now();
    const error = await failure(bus.request('PAY', record({}), { timeoutMs: 100 }));
    expect(error.kind).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(700); // well before the upstream's answer
    await eventually(() => server.requests[0]!.aborted);
    expect(bus.stats().late).toBe(0);
  });
});

describe('http-client: upstream down and back', () => {
  it('waits in init for an upstream that is not up yet: out of the table, no crash, in once a probe answers', async () => {
    const server = await echoUpstream();
    await server.close();
    bus = testBus();
    const { processor } = addClient(bus, { url: server.url, probe: { waitMs: 20_000 }, services: [{ name: 'PAY', path: '/pay' }] });
    const started = bus.start();
    await sleep(120); // a few probes
    expect(processor.state).toBe('initializing');
    expect(bus.services()['PAY']).toBeUndefined();
    expect((await failure(bus.request('PAY', record({})))).detail).toBe('no provider serves it');
    await server.reopen();
    await started;
    expect(processor.state).toBe('serving');
    expect(processor.lastError).toBeUndefined();
    expect((await bus.request('PAY', record({ 2: 'EUR' }))).getString(2)).toBe('EUR');
  });

  it('a stop while init waits for the upstream ends the wait at once', async () => {
    const server = await echoUpstream();
    await server.close();
    bus = testBus();
    const { processor } = addClient(bus, { url: server.url, probe: { waitMs: 600_000 }, services: [{ name: 'PAY', path: '/pay' }] });
    const started = bus.start().catch((error: unknown) => error);
    await sleep(60);
    expect(processor.state).toBe('initializing');
    // Bounded only to fail fast: without the abort the stop would wait out the init timeout.
    const stopped = await Promise.race([bus.stop().then(() => 'stopped'), sleep(10_000).then(() => 'still waiting')]);
    expect(stopped).toBe('stopped');
    expect(processor.state).toBe('stopped');
    expect(await started).toMatchObject({ kind: 'BusStopped' });
  });

  it('starts only once a probe reaches the upstream (TCP), retrying with backoff', async () => {
    const server = await echoUpstream();
    await server.close();
    bus = testBus();
    const { processor } = addClient(bus, { url: server.url, probe: { waitMs: 0 }, services: [{ name: 'PAY', path: '/pay' }] }, 'client', {
      restart: { delayMs: 20, maxDelayMs: 40 },
    });
    await bus.start();
    expect(processor.state).not.toBe('serving');
    expect(String(processor.lastError)).toMatch(/upstream http:\/\/127\.0\.0\.1:\d+ is unreachable: TCP connection failed: connect ECONNREFUSED/);
    expect((await failure(bus.request('PAY', record({})))).kind).toBe('unreachable');
    await server.reopen();
    await processor.when('serving');
    expect((await bus.request('PAY', record({ 2: 'EUR' }))).getString(2)).toBe('EUR');
  });

  it('probes with HEAD on probe.path when given; any status counts as up', async () => {
    const server = await upstream((req, res) => answer(res, req.method === 'HEAD' ? 404 : 200, '{}'));
    closers.push(server.close);
    bus = testBus();
    const { processor } = addClient(bus, { url: server.url, probe: { path: '/health' }, services: [{ name: 'PAY', path: '/pay' }] });
    await bus.start();
    expect(processor.state).toBe('serving');
    expect(server.requests[0]).toMatchObject({ method: 'HEAD', url: '/health' });
  });

  it('a refused connection is unreachable; down past downAfterMs, the processor leaves the table until the upstream is back', async () => {
    const server = await echoUpstream();
    bus = testBus();
    const { processor } = addClient(bus, { url: server.url, downAfterMs: 100, services: [{ name: 'PAY', path: '/pay' }] }, 'client', {
      restart: { delayMs: 30, maxDelayMs: 60, maxRestarts: 100 },
    });
    await bus.start();
    expect((await bus.request('PAY', record({ 2: 'A' }))).getString(2)).toBe('A');
    await server.close();

    const first = await failure(bus.request('PAY', record({})));
    expect(first.kind).toBe('unreachable');
    expect(first.processor).toBe('client');
    expect(first.detail).toMatch(/^upstream http:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    expect(processor.state).toBe('serving'); // down for less than downAfterMs

    await sleep(120);
    const second = await failure(bus.request('PAY', record({})));
    expect(second.kind).toBe('unreachable');
    expect(second.processor).toBe('client'); // this one still had its provider
    await processor.when('crashed', 'restarting');
    expect(String(processor.lastError)).toMatch(/unreachable for \d+ ms \(connect ECONNREFUSED/);
    expect(bus.services()['PAY']).toBeUndefined();
    const fast = await failure(bus.request('PAY', record({})));
    expect(fast.kind).toBe('unreachable');
    expect(fast.processor).toBeUndefined(); // refused by the bus: no provider left
    expect(fast.detail).toBe('no provider serves it');

    await server.reopen();
    await processor.when('serving');
    expect((await bus.request('PAY', record({ 2: 'B' }))).getString(2)).toBe('B');
  });

  it('a reset connection is unreachable', async () => {
    const server = await upstream((req) => req.socket.destroy());
    closers.push(server.close);
    bus = testBus();
    addClient(bus, { url: server.url, services: [{ name: 'PAY', path: '/pay' }] });
    await bus.start();
    const error = await failure(bus.request('PAY', record({})));
    expect(error.kind).toBe('unreachable');
    expect(error.detail).toMatch(/UND_ERR_SOCKET|ECONNRESET/);
  });

  it('an answer in between resets the down clock', async () => {
    const server = await echoUpstream();
    let refuse = false;
    server.setHandler((req, res, body) => (refuse ? req.socket.destroy() : answer(res, 200, body.toString() || '{}')));
    bus = testBus();
    const { processor } = addClient(bus, { url: server.url, downAfterMs: 80, services: [{ name: 'PAY', path: '/pay' }] });
    await bus.start();
    for (let i = 0; i < 4; i++) {
      refuse = true;
      expect((await failure(bus.request('PAY', record({})))).kind).toBe('unreachable');
      await sleep(40);
      refuse = false;
      await bus.request('PAY', record({}));
    }
    expect(processor.state).toBe('serving');
  });
});
