/**
 * Two instances in separate processes over one real nats-server: a remote call,
 * local-first routing, the remaining deadline crossing the wire, a remote provider
 * crashing, a service withdrawn when its last local provider stops, and a graceful stop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { Instances, type InstanceProcess } from './support/instances.js';

const HEARTBEAT_MS = 100;

let server: NatsServer;
const instances = new Instances();
let a: InstanceProcess;
let b: InstanceProcess;

beforeAll(async () => {
  server = await startNatsServer();
  const common = { servers: [server.url], heartbeatMs: HEARTBEAT_MS };
  [a, b] = await Promise.all([
    instances.start({ ...common, name: 'a', processors: [{ name: 'a-both', services: ['BOTH'] }] }),
    instances.start({
      ...common,
      name: 'b',
      processors: [
        { name: 'b-echo', services: ['ECHO'] },
        { name: 'b-both', services: ['BOTH'] },
        { name: 'b-slow', services: ['SLOW'], delayMs: 400 },
        { name: 'b-crashy', services: ['CRASHY'], delayMs: 300 },
        { name: 'b-extra', services: ['EXTRA'] },
      ],
    }),
  ]);
  await a.until(() => a.services(), (s) => s['CRASHY'] !== undefined, 5_000, "b's services in a's table");
});

afterAll(async () => {
  await instances.stopAll();
  await server?.stop();
});

describe('NATS transport: two instances', () => {
  it('sends a request for a service only another instance provides, and lists it as remote', async () => {
    const outcome = await a.request('ECHO');
    expect(outcome).toMatchObject({ ok: true, instance: 'b', processor: 'b-echo' });
    const services = await a.services();
    expect(services['ECHO']).toEqual([{ processor: 'nats', remote: true, instances: [b.instance] }]);
    expect(services['BOTH']).toEqual([
      { processor: 'a-both', remote: false },
      { processor: 'nats', remote: true, instances: [b.instance] },
    ]);
    // a provides BOTH too, so b lists a as a remote provider of it.
    expect((await b.services())['BOTH']).toEqual([
      { processor: 'b-both', remote: false },
      { processor: 'nats', remote: true, instances: [a.instance] },
    ]);
  });

  it('prefers the local provider under local-first', async () => {
    const summary = await a.burst('BOTH', 40, 4);
    expect(summary).toMatchObject({ sent: 40, settled: 40, byInstance: { a: 40 }, errors: {} });
    const fromB = await b.burst('BOTH', 40, 4);
    expect(fromB.byInstance).toEqual({ b: 40 });
  });

  it('carries the remaining deadline: the remote provider ends the request at the caller\'s deadline', async () => {
    const outcome = await a.request('SLOW', 150);
    expect(outcome).toMatchObject({ ok: false, kind: 'timeout' });
    expect(outcome.elapsedMs).toBeLessThan(390);
    type Stats = { bus: { late: number }; transport: { incoming: { errors: { timeout: number } } } };
    // b's own bus timed the request out at the propagated deadline and answered `timeout`,
    // and dropped its processor's reply as late when it came at 400 ms.
    await b.until(
      () => b.ask<Stats>({ op: 'stats' }),
      (s) => s.transport.incoming.errors.timeout === 1 && s.bus.late === 1,
      3_000,
      'timeout at b and a late reply dropped',
    );
  });

  it('ends the requests of a remote provider that crashes in unreachable, long before their deadline', async () => {
    const inFlight = Array.from({ length: 5 }, () => a.request('CRASHY', 5_000));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await b.ask<boolean>({ op: 'crash', processor: 'b-crashy' })).toBe(true);
    const outcomes = await Promise.all(inFlight);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ ok: false, kind: 'unreachable' });
      expect(outcome.elapsedMs).toBeLessThan(1_000);
    }
    // it restarts, announces its service again, and serves
    await a.until(() => a.request('CRASHY', 2_000), (o) => o.ok, 5_000, 'CRASHY served again');
  });

  it("withdraws a service from the other instance's table when its last local provider stops", async () => {
    expect((await a.request('EXTRA')).ok).toBe(true);
    await b.ask({ op: 'remove', processor: 'b-extra' });
    await a.until(() => a.services(), (s) => s['EXTRA'] === undefined, 2_000, 'EXTRA withdrawn');
    expect(await a.request('EXTRA')).toMatchObject({ ok: false, kind: 'unreachable' });
  });

  it('withdraws every service of an instance that stops gracefully, at once', async () => {
    const t0 = Date.now();
    await b.stop();
    await a.until(() => a.services(), (s) => s['ECHO'] === undefined && s['SLOW'] === undefined, 2_000, 'b withdrawn');
    // a bye, not missed heartbeats: well within the 3 heartbeats a loss takes
    expect(Date.now() - t0).toBeLessThan(3 * HEARTBEAT_MS + 500);
    expect((await a.services())['BOTH']).toEqual([{ processor: 'a-both', remote: false }]);
    expect(a.events.some((e) => e.event === 'peer' && e['state'] === 'gone' && e['instance'] === b.instance)).toBe(true);
    expect(await a.request('ECHO')).toMatchObject({ ok: false, kind: 'unreachable' });
  });
});
