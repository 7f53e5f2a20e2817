/**
 * Nothing runs after the link closes: an instance that stops while announcements keep
 * arriving (other instances' heartbeats, over a real nats-server) logs nothing after
 * `NATS link closed`, emits no peer event after its link's `closed`, and keeps no peer,
 * so no missed-heartbeat timer can report an `instance lost` seconds later.
 */
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProsa } from '../../src/index.js';
import { natsTransport } from '../../src/transport/index.js';
import { FakeInstance } from './support/attacker.js';
import { sleep } from '../support/bus.js';
import { captureLogs } from '../support/log-capture.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';

const INTERVAL_MS = 50;
const MISSED = 2;

let server: NatsServer;
let flooder: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  flooder = await connect({ servers: server.url });
});

afterAll(async () => {
  await flooder?.close();
  await server?.stop();
});

describe('NATS transport: closing the link', () => {
  it('logs nothing, emits no peer event and keeps no peer once the link closed, while heartbeats keep arriving', async () => {
    const { logger, lines } = captureLogs({ level: 'info' });
    const bus = createProsa({ name: 'closing', logger, shutdown: { graceMs: 100, terminateTimeoutMs: 50 } });
    const transport = natsTransport({ servers: [server.url], heartbeatMs: INTERVAL_MS, missedHeartbeats: MISSED });
    bus.attachTransport(transport);
    const events: string[] = [];
    transport.events.on('link', ({ state }) => events.push(`link ${state}`));
    transport.events.on('peer', ({ instance, state }) => events.push(`peer ${instance} ${state}`));
    await bus.start();

    // Other instances (as a plain client says it) keep announcing themselves, many a millisecond.
    const peers = Array.from({ length: 10 }, () => new FakeInstance('other'));
    const flood = setInterval(() => {
      for (const peer of peers) {
        const { data, headers } = peer.announce('heartbeat', ['ECHO'], {}, 'prosa.ctl', INTERVAL_MS);
        flooder.publish('prosa.ctl', data, { headers });
      }
    }, 1);
    try {
      while (transport.peers().length < peers.length) await sleep(5);
      await bus.stop();
      const closedAt = lines().findIndex((line) => line.msg === 'NATS link closed');
      expect(closedAt).toBeGreaterThan(-1);
      expect(events).toContain('link closed');
      // Long past any peer's missed-heartbeat timeout, with heartbeats still flowing.
      await sleep(INTERVAL_MS * MISSED * 4);
    } finally {
      clearInterval(flood);
    }
    const closedAt = lines().findIndex((line) => line.msg === 'NATS link closed');
    expect(lines().slice(closedAt + 1).map((line) => line.msg)).toEqual([]);
    expect(events.slice(events.indexOf('link closed') + 1)).toEqual([]);
    expect(transport.peers()).toEqual([]);
  });
});
