/**
 * The settings files in examples/ load, build and answer what their comments promise,
 * on ports chosen at run time (PROSA__ overrides), so they never collide with anything.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/index.js';
import { buildInstance, type Instance } from '../../src/instance/index.js';
import { defaultKinds } from '../../src/processors/index.js';
import type { HttpClientReport, HttpServerReport } from '../../src/processors/http/index.js';
import { eventually, httpClient } from './support.js';
import { silentLogger } from '../support/bus.js';

const example = (name: string) => resolve(import.meta.dirname, '../../examples', name);

let instance: Instance | undefined;
const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await instance?.stop();
  instance = undefined;
});

/** A loopback port free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen({ host: '127.0.0.1', port: 0 }, done));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

async function run(file: string, env: Record<string, string>): Promise<Instance> {
  const settings = await loadSettings(example(file), { kinds: defaultKinds(), env });
  instance = buildInstance(settings, { kinds: defaultKinds(), logger: silentLogger() });
  await instance.start();
  return instance;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('examples/', () => {
  it('http-gateway.yaml answers the README curl lines', async () => {
    const running = await run('http-gateway.yaml', { PROSA__PROCESSORS__GATEWAY__SETTINGS__LISTEN__PORT: '0' });
    const url = (running.reports()['gateway'] as HttpServerReport).url!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const http = httpClient(url);
    closers.push(http.close);

    const pay = await http.send('POST', '/pay', '{"amount": 1250, "currency": "EUR"}', JSON_HEADERS);
    expect(pay.status).toBe(200);
    expect(pay.body).toBe('{"result":"approved","authCode":"A1B2C3"}');
    const account = await http.send('GET', '/accounts/FR76-3000?verbose=yes');
    expect(account.body).toBe('{"account":"FR76-3000","verbose":"yes"}');
    const bad = await http.send('POST', '/pay', '{"amount": 12', JSON_HEADERS);
    expect(bad.status).toBe(400);
    expect(bad.body).toBe('{"error":"malformedBody","message":"JSON body: unexpected end of the text at byte 13"}');

    expect(running.reports()['gateway']).toEqual({ kind: 'http-server', url, answers: { '2xx': 2, '3xx': 0, '4xx': 1, '5xx': 0 }, inFlight: 0 });
    await running.stop();
    expect((running.reports()['gateway'] as HttpServerReport).url).toBeUndefined();
  });

  it('an instance stop quiesces the gateway first: requests in flight are answered, none ends in shutdown', async () => {
    const running = await run('http-gateway.yaml', {
      PROSA__PROCESSORS__GATEWAY__SETTINGS__LISTEN__PORT: '0',
      PROSA__PROCESSORS__PAYMENTS__SETTINGS__LATENCY_MS: '200',
    });
    const url = (running.reports()['gateway'] as HttpServerReport).url!;
    const clients = [1, 2, 3].map(() => httpClient(url));
    closers.push(...clients.map((c) => c.close));
    const replies = clients.map((c) => c.send('POST', '/pay', '{"amount": 1}', JSON_HEADERS));
    await eventually(() => (running.reports()['gateway'] as HttpServerReport).inFlight === 3);
    const stopped = running.stop();
    expect((await Promise.all(replies)).map((r) => r.status)).toEqual([200, 200, 200]);
    await stopped;
    expect(running.prosa.stats().errors.shutdown).toBe(0);
    const late = httpClient(url);
    closers.push(late.close);
    await expect(late.send('POST', '/pay', '{}', JSON_HEADERS)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('http-proxy.yaml carries a request HTTP -> bus -> HTTP -> bus -> stub and back', async () => {
    const front = await freePort();
    const backend = await freePort();
    const running = await run('http-proxy.yaml', {
      PROSA__PROCESSORS__FRONT__SETTINGS__LISTEN__PORT: String(front),
      PROSA__PROCESSORS__BACKEND__SETTINGS__LISTEN__PORT: String(backend),
      PROSA__PROCESSORS__PAYMENTS_UPSTREAM__SETTINGS__URL: `http://127.0.0.1:${backend}`,
    });
    // The client probed before the backend listened, and waited for it: it starts without a crash.
    const upstreamClient = running.processors.get('payments-upstream')!.processor;
    expect(upstreamClient.state).toBe('serving');
    expect(upstreamClient.lastError).toBeUndefined();
    const http = httpClient(`http://127.0.0.1:${front}`);
    closers.push(http.close);
    const pay = await http.send('POST', '/pay', '{"amount": 990, "currency": "EUR"}', JSON_HEADERS);
    expect(pay.status).toBe(200);
    expect(pay.body).toBe('{"result":"approved","authCode":"Z9Y8X7"}');
    const client = running.reports()['payments-upstream'] as HttpClientReport;
    expect(client).toEqual({
      kind: 'http-client',
      upstream: `http://127.0.0.1:${backend}`,
      requests: 1,
      outcomes: { response: 1, protocol: 0, unreachable: 0, timeout: 0 },
    });
  });
});
