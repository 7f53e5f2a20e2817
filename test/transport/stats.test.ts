/**
 * What `transport.stats()` counts, over a real nats-server, with the other instance played
 * by a plain NATS client (a signed announcement, and a queue-group member that holds every
 * request it takes): figures that say "now" are true now, not at the next heartbeat.
 */
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceError, SimpleStringTvf } from '../../src/index.js';
import { natsTransport } from '../../src/transport/index.js';
import { testBus, until } from '../support/bus.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { FakeInstance } from './support/attacker.js';

/** Far longer than the test: no heartbeat (and so no sweep of the requests) happens during it. */
const SLOW_HEARTBEAT_MS = 60_000;

let server: NatsServer;
let far: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  far = await connect({ servers: server.url });
});

afterAll(async () => {
  await far?.close();
  await server?.stop();
});

describe('NATS transport: stats', () => {
  it('counts in outgoing.inFlight the requests in flight now: one that timed out is no longer counted', async () => {
    const holder = new FakeInstance('holder');
    const held: string[] = [];
    far.subscribe('prosa.svc.HOLD', { queue: 'prosa.svc.HOLD', callback: (_error, message) => void held.push(message.subject) });
    const caller = testBus({ name: 'caller', shutdown: { graceMs: 100, terminateTimeoutMs: 50 } });
    const transport = natsTransport({ servers: [server.url], heartbeatMs: SLOW_HEARTBEAT_MS });
    caller.attachTransport(transport);
    await caller.start();
    try {
      const { data, headers } = holder.announce('heartbeat', ['HOLD'], {}, 'prosa.ctl', SLOW_HEARTBEAT_MS);
      far.publish('prosa.ctl', data, { headers });
      await until(() => caller.services()['HOLD'] !== undefined);

      const request = caller.request('HOLD', new SimpleStringTvf(), { timeoutMs: 200 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      await until(() => held.length === 1);
      expect(transport.stats()?.outgoing.inFlight).toBe(1);
      const error = await request;
      expect(error).toBeInstanceOf(ServiceError);
      expect((error as ServiceError).kind).toBe('timeout');
      expect(transport.stats()?.outgoing).toMatchObject({ sent: 1, inFlight: 0 });
    } finally {
      await caller.stop();
    }
  });
});
