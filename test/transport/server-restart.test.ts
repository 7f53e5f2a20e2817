/**
 * The NATS server restarted in the middle of traffic between two instances in separate
 * processes: the disconnect is reported, requests for remote services fail cleanly
 * (`unreachable`) while it lasts, and the link comes back by itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { Instances, type InstanceProcess } from './support/instances.js';

let server: NatsServer;
const instances = new Instances();
let a: InstanceProcess;

beforeAll(async () => {
  server = await startNatsServer();
  const common = { servers: [server.url], heartbeatMs: 100, reconnectTimeWait: 100 };
  [a] = await Promise.all([
    instances.start({ ...common, name: 'a', processors: [] }),
    instances.start({ ...common, name: 'b', processors: [{ name: 'b-work', services: ['WORK'], delayMs: 5 }] }),
  ]);
  await a.until(() => a.services(), (s) => s['WORK'] !== undefined, 5_000, "b's WORK in a's table");
});

afterAll(async () => {
  await instances.stopAll();
  await server?.stop();
});

describe('NATS transport: server restart', () => {
  it('fails requests cleanly while the server is away, reports it, and works again once it is back', async () => {
    const burst = a.burst('WORK', 1_000, 4, 5_000, 5);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await server.stop(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server.start();
    const summary = await burst;
    expect(summary.settled).toBe(summary.sent);
    expect(summary.byInstance['b']).toBeGreaterThan(0);
    // only unreachable while the link was down: no timeout waited out, nothing else
    expect(Object.keys(summary.errors)).toEqual(['unreachable']);
    expect(summary.maxElapsedMs).toBeLessThan(2_000);
    // the same traffic goes through again once the link is back
    expect(summary.last).toEqual(new Array(20).fill('ok'));
    expect(a.events.some((e) => e.event === 'link' && e['state'] === 'down')).toBe(true);
    const up = await a.waitEvent(
      (e) => e.event === 'link' && e['state'] === 'up' && a.events.findIndex((d) => d.event === 'link' && d['state'] === 'down') < a.events.indexOf(e),
      5_000,
    );
    expect(up).toBeDefined();
    const outcome = await a.until(() => a.request('WORK', 1_000), (o) => o.ok, 5_000, 'WORK served again');
    expect(outcome.instance).toBe('b');
    // while the link was down the remote service left a's table, and came back with it
    const down = a.events.findIndex((e) => e.event === 'link' && e['state'] === 'down');
    const tables = a.events.slice(down).filter((e) => e.event === 'table');
    const hasWork = (e: (typeof tables)[number]) => (e['services'] as Record<string, unknown>)['WORK'] !== undefined;
    expect(hasWork(tables[0]!)).toBe(false);
    expect(hasWork(tables[tables.length - 1]!)).toBe(true);
  });
});
