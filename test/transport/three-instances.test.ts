/**
 * Three instances in separate processes over one real nats-server: load spread over
 * instances by the NATS queue group (with `spread`, this instance's own provider
 * included), and an instance killed with SIGKILL in the middle of traffic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { Instances, type InstanceProcess } from './support/instances.js';

const HEARTBEAT_MS = 100;
const MISSED = 3;

let server: NatsServer;
const instances = new Instances();
let a: InstanceProcess;
let b: InstanceProcess;
let c: InstanceProcess;

beforeAll(async () => {
  server = await startNatsServer();
  const common = { servers: [server.url], heartbeatMs: HEARTBEAT_MS, missedHeartbeats: MISSED };
  const provider = (name: string) => ({
    ...common,
    name,
    processors: [
      { name: `${name}-shared`, services: ['SHARED'] },
      { name: `${name}-work`, services: ['WORK'], delayMs: 20 },
    ],
  });
  [a, b, c] = await Promise.all([
    instances.start({ ...common, name: 'a', prefer: 'spread', processors: [{ name: 'a-shared', services: ['SHARED'] }] }),
    instances.start(provider('b')),
    instances.start(provider('c')),
  ]);
  await a.until(
    () => a.services(),
    (s) => s['WORK']?.[0]?.instances?.length === 2 && s['SHARED']?.[1]?.instances?.length === 2,
    5_000,
    "b's and c's services in a's table",
  );
});

afterAll(async () => {
  await instances.stopAll();
  await server?.stop();
});

describe('NATS transport: three instances', () => {
  it('spreads requests over the instances that serve a service', async () => {
    const summary = await a.burst('WORK', 200, 20);
    expect(summary.settled).toBe(200);
    expect(summary.errors).toEqual({});
    expect(Object.keys(summary.byInstance).sort()).toEqual(['b', 'c']);
    expect(summary.byInstance['b']).toBeGreaterThan(40);
    expect(summary.byInstance['c']).toBeGreaterThan(40);
  });

  it('under spread, sends through the queue group, so its own provider takes a share too', async () => {
    const summary = await a.burst('SHARED', 300, 10);
    expect(summary.errors).toEqual({});
    expect(Object.keys(summary.byInstance).sort()).toEqual(['a', 'b', 'c']);
    for (const name of ['a', 'b', 'c']) expect(summary.byInstance[name]).toBeGreaterThan(40);
  });

  it('settles every in-flight request when an instance is killed mid-traffic, and drops its services', async () => {
    const burst = a.burst('WORK', 1_500, 40, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const killedAt = Date.now();
    await b.kill('SIGKILL');
    const summary = await burst;
    expect(summary.settled).toBe(summary.sent);
    expect(summary.sent).toBe(1_500);
    // the requests b held end in unreachable when b is found lost, well before their 10 s deadline
    expect(Object.keys(summary.errors).filter((kind) => kind !== 'unreachable')).toEqual([]);
    expect(summary.errors['unreachable']).toBeGreaterThan(0); // b had requests in flight when killed
    expect(summary.maxElapsedMs).toBeLessThan(3_000);
    expect(summary.byInstance['c']).toBeGreaterThan(0);
    // b leaves a's table within a few heartbeats
    await a.until(
      () => a.services(),
      (s) => s['WORK']?.[0]?.instances?.length === 1 && s['WORK'][0].instances[0] === c.instance,
      MISSED * HEARTBEAT_MS * 4,
      'b dropped from WORK',
    );
    expect(Date.now() - killedAt).toBeLessThan(MISSED * HEARTBEAT_MS * 4 + 1_000);
    expect(a.events.some((e) => e.event === 'peer' && e['state'] === 'lost' && e['instance'] === b.instance)).toBe(true);
    // and c carries on alone
    const after = await a.burst('WORK', 50, 10);
    expect(after).toMatchObject({ settled: 50, errors: {}, byInstance: { c: 50 } });
  });
});
