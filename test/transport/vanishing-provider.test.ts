/**
 * A remote provider that vanishes must not freeze its callers. The caller is an
 * injector of a service only the other instance provides, over a real nats-server:
 *
 * - the provider is killed with SIGKILL: the caller's event loop stays free (its
 *   heartbeats, watched by a plain NATS client, keep coming), it finds the provider lost,
 *   it rejoins a provider that starts again and is served again, and it stops on SIGTERM
 *   within its grace period (the real `prosa run`);
 * - the provider stops gracefully (bye, then gone): the injector pauses as the provider
 *   leaves its table, sending nothing more (so no `unreachable` for requests it would
 *   have sent to nothing), and resumes when a provider is back.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/cli/summary.js';
import { natsTransport } from '../../src/transport/index.js';
import { type Prosa } from '../../src/index.js';
import { injectorFactory, type InjectorReport } from '../../src/processors/index.js';
import { decodeAnnouncement } from '../../src/transport/wire.js';
import { start, type Finished, type Running } from '../cli/command.js';
import { addProcessor } from '../support/processors.js';
import { testBus, sleep, within } from '../support/bus.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { Instances, type InstanceProcess } from './support/instances.js';

const HEARTBEAT_MS = 100;
const MISSED = 3;
const GRACE_MS = 1_000;

let server: NatsServer;
let watcher: NatsConnection;
let dir: string;
const instances = new Instances();
const callers: Running[] = [];
/** When each instance, by bus name, sent a heartbeat (ms since the epoch). */
const heartbeats = new Map<string, number[]>();

beforeAll(async () => {
  server = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'prosa-vanishing-'));
  watcher = await connect({ servers: server.url });
  watcher.subscribe('prosa.ctl', {
    callback: (error, message) => {
      const announcement = error === null ? decodeAnnouncement(message.data) : undefined;
      if (announcement?.kind !== 'heartbeat') return;
      const list = heartbeats.get(announcement.name) ?? [];
      list.push(Date.now());
      heartbeats.set(announcement.name, list);
    },
  });
});

afterEach(async () => {
  for (const caller of callers.splice(0)) caller.child.kill('SIGKILL');
  await instances.stopAll();
});

afterAll(async () => {
  await watcher?.close();
  await server?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** The provider: an instance in its own process serving ECHO. */
function provider(): Promise<InstanceProcess> {
  return instances.start({
    name: 'provider',
    servers: [server.url],
    heartbeatMs: HEARTBEAT_MS,
    missedHeartbeats: MISSED,
    processors: [{ name: 'echo', services: ['ECHO'] }],
  });
}

type Stats = { transport: { incoming: { answered: number } } };
const answered = (instance: InstanceProcess) =>
  instance.until(
    () => instance.ask<Stats>({ op: 'stats' }),
    (s) => s.transport.incoming.answered >= 10,
    5_000,
    'requests from the caller answered',
  );

/** The longest time without a heartbeat of `name` between `from` and `to`. */
function longestSilence(name: string, from: number, to: number): number {
  const times = [from, ...(heartbeats.get(name) ?? []).filter((t) => t > from && t < to), to];
  let longest = 0;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i]! - times[i - 1]!);
  return longest;
}

describe('NATS transport: a remote provider that vanishes', () => {
  it('killed with SIGKILL: the caller stays responsive, finds it lost, rejoins a new one, and stops on SIGTERM', async () => {
    const settings = join(dir, 'caller.yaml');
    writeFileSync(
      settings,
      [
        'name: caller',
        'log: { level: info }',
        `shutdown: { graceMs: ${GRACE_MS} }`,
        'processors:',
        '  - name: inj',
        '    kind: inj',
        '    settings: { service: ECHO, maxSpeed: 100, maxConcurrent: 4, timeoutMs: 2000, retryDelayMs: 100 }',
        'transport:',
        `  nats: { servers: ["${server.url}"], heartbeatMs: ${HEARTBEAT_MS}, missedHeartbeats: ${MISSED} }`,
        '',
      ].join('\n'),
    );
    const first = await provider();
    const caller = start(['run', settings, '--json']);
    callers.push(caller);
    await within(caller.waitForStderr(/"msg":"injecting"/), 15_000, 'the caller injecting');
    await answered(first);

    const killedAt = Date.now();
    await first.kill('SIGKILL');
    await within(caller.waitForStderr(/"msg":"instance lost: heartbeats missed"/), 5_000, 'the provider found lost');
    await sleep(1_500);
    // Its event loop never stalled: heartbeats every 100 ms all along (generous for a loaded machine).
    expect(longestSilence('caller', killedAt, Date.now())).toBeLessThan(1_200);

    const second = await provider();
    await answered(second); // it rejoined: requests succeed again

    caller.child.kill('SIGTERM');
    const signalledAt = Date.now();
    const ended: Finished = await within(caller.finished, GRACE_MS + 5_000, 'the caller stopping on SIGTERM');
    expect(Date.now() - signalledAt).toBeLessThan(GRACE_MS + 3_000);
    expect(ended.code, ended.stderr).toBe(0);
    const summary = JSON.parse(ended.stdout) as RunSummary;
    expect(summary.stopReason).toBe('SIGTERM');
    const report = summary.processors['inj']!.report as InjectorReport;
    // Each provider answered at least 10 (`answered`); on a loaded machine SIGTERM can come
    // right after the tenth answer of the second one.
    expect(report.responses).toBeGreaterThanOrEqual(20);
    // Only the requests on the wire at the kill, and a few tries (one per retryDelayMs)
    // while the dead instance was still listed: not a stream of them.
    expect(report.errors.unreachable).toBeGreaterThan(0);
    expect(report.errors.unreachable).toBeLessThan(40);
    expect(report.sent).toBe(report.responses + report.errors.unreachable);
  });

  it('stopped gracefully: the injector pauses as it leaves, sending nothing more, and resumes when it is back', async () => {
    const first = await provider();
    let bus: Prosa | undefined = testBus({ name: 'caller-2', shutdown: { graceMs: 1000, terminateTimeoutMs: 500 } });
    try {
      const transport = natsTransport({ servers: [server.url], heartbeatMs: HEARTBEAT_MS, missedHeartbeats: MISSED });
      bus.attachTransport(transport);
      const { product } = addProcessor(bus, injectorFactory, 'inj', { service: 'ECHO', maxSpeed: 200, maxConcurrent: 4 });
      const report = () => product.report!() as InjectorReport;
      /** Every request the injector sent went out to the provider: none was sent once ECHO had left the table. */
      const allWentOut = () => expect(transport.stats()!.outgoing.sent).toBe(report().sent);
      await bus.start();
      await answered(first);

      await first.stop(); // bye: it leaves every table at once, answering what it took; then gone
      const left = Date.now();
      while (bus.serviceTable.lookup('ECHO') !== undefined && Date.now() - left < 2_000) await sleep(10);
      expect(bus.serviceTable.lookup('ECHO')).toBeUndefined();
      const paused = report();
      await sleep(300);
      expect(report().sent).toBe(paused.sent);
      allWentOut();
      // Only a request already on its way when the provider left its queue group can fail
      // ("no responders": NATS leaves that race open); nothing sent after the bye was heard.
      expect(report().errors.unreachable).toBe(transport.stats()!.outgoing.errors.unreachable);
      expect(report().errors.unreachable).toBeLessThanOrEqual(4);

      const second = await provider();
      await answered(second);
      allWentOut();
      const stopping = Date.now();
      await bus.stop();
      bus = undefined;
      expect(Date.now() - stopping).toBeLessThan(GRACE_MS + 1_000);
    } finally {
      await bus?.stop();
    }
  });
});
