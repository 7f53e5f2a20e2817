/**
 * Providers leaving behind an http-server gateway: two of three providers of a service
 * leave (removed, or dropped by a live reload) with the round-robin cursor past the one
 * left; the gateway, the bus and the process keep serving, from the provider left.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateSettings } from '../../src/config/index.js';
import { buildInstance, type Instance } from '../../src/instance/index.js';
import { defaultKinds } from '../../src/processors/index.js';
import type { HttpServerReport } from '../../src/processors/http/index.js';
import type { Prosa } from '../../src/index.js';
import { testBus, silentLogger, within } from '../support/bus.js';
import { addGateway, httpClient } from './support.js';

const silent = silentLogger();
const JSON_HEADERS = { 'content-type': 'application/json' };
const DICT = { amount: { id: 1, type: 'unsigned' as const }, servedBy: 9 };
const ROUTES = [{ method: 'POST' as const, path: '/pay', service: 'PAYMENT', timeoutMs: 1_000 }];

let bus: Prosa | undefined;
let instance: Instance | undefined;
const closers: (() => Promise<unknown> | unknown)[] = [];
/** Errors nothing caught while a test ran (a throw in the gateway's request handler lands here). */
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => void uncaught.push(error);
beforeEach(() => {
  uncaught.length = 0;
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
});

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await bus?.stop();
  await instance?.stop();
  bus = undefined;
  instance = undefined;
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
});

/** POSTs `count` payments one after another; returns each answer's status and `servedBy`. */
async function pay(url: string, count: number): Promise<string[]> {
  const http = httpClient(url);
  closers.push(http.close);
  const served: string[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await within(http.send('POST', '/pay', `{"amount": ${i}}`, JSON_HEADERS), 2_000, () => `an answer (uncaught: ${uncaught.map(String).join('; ')})`);
    served.push(`${answer.status} ${answer.status === 200 ? (JSON.parse(answer.body) as { servedBy: string }).servedBy : answer.body}`);
  }
  return served;
}

describe('http-server: providers leaving', () => {
  it('keeps serving from the provider left when two of three are removed after the cursor moved past it', async () => {
    bus = testBus();
    for (const name of ['p0', 'p1', 'p2']) {
      bus.processor(name, {
        services: ['PAYMENT'],
        adaptor: {
          processRequest: (_service, request) => {
            request.putString(9, name);
            return request;
          },
        },
      });
    }
    const gateway = addGateway(bus, { listen: { port: 0 }, dict: DICT, routes: ROUTES });
    await bus.start();
    expect(await pay(gateway.url(), 2)).toEqual(['200 p0', '200 p1']); // the cursor now points at p2
    await bus.remove('p1');
    await bus.remove('p0');
    expect(await pay(gateway.url(), 3)).toEqual(['200 p2', '200 p2', '200 p2']);
    expect(gateway.processor.state).toBe('serving');
    expect(bus.stats()).toMatchObject({ requests: 5, responses: 5, inFlight: 0 });
    expect(uncaught).toEqual([]);
  });

  it('keeps serving when a live reload drops two of the three providers', async () => {
    const kinds = defaultKinds();
    const settingsWith = (stubs: string[]) =>
      validateSettings(
        {
          name: 'reload',
          shutdown: { graceMs: 200, terminateTimeoutMs: 100 },
          processors: [
            { name: 'gateway', kind: 'http-server', settings: { listen: { port: 0 }, dict: DICT, routes: ROUTES } },
            ...stubs.map((name) => ({ name, kind: 'stub', settings: { services: ['PAYMENT'], reply: { 9: name } } })),
          ],
        },
        { kinds, env: {} },
      );
    instance = buildInstance(settingsWith(['s0', 's1', 's2']), { kinds, logger: silent });
    await instance.start();
    const url = (instance.reports()['gateway'] as HttpServerReport).url!;
    expect(await pay(url, 5)).toEqual(['200 s0', '200 s1', '200 s2', '200 s0', '200 s1']); // the cursor now points at s2
    const report = await instance.apply(settingsWith(['s2']));
    expect(report.stopped.sort()).toEqual(['s0', 's1']);
    expect(instance.prosa.services()['PAYMENT']).toEqual(['s2']);
    expect(await pay(url, 3)).toEqual(['200 s2', '200 s2', '200 s2']);
    expect(uncaught).toEqual([]);
  });
});
