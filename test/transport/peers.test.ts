/**
 * The peers of a transport once its link closes: nothing of them may run any more. An
 * announcement that still arrives between `clear()` and the connection's end (the link
 * flushes its last messages meanwhile) must not make a peer again, with its
 * missed-heartbeat timer that would log `instance lost` seconds after `NATS link closed`.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OutgoingRequests } from '../../src/transport/outgoing.js';
import { Peers, type PeerInfo } from '../../src/transport/peers.js';
import type { RemoteService } from '../../src/transport/remote-service.js';
import { Subjects } from '../../src/transport/subjects.js';
import type { Announcement } from '../../src/transport/wire.js';
import { captureLogs } from '../support/log-capture.js';

afterEach(() => {
  vi.useRealTimers();
});

/** An announcement of another instance. */
function announcement(kind: Announcement['kind'], instance: string, services: string[] = ['ECHO']): Announcement {
  // the fields the guard checks (key, seq) play no part here: Peers takes what the guard passed
  return { v: 2, kind, instance, name: instance.split('-')[0]!, key: 'A'.repeat(43), seq: 1, intervalMs: 100, services };
}

function setup() {
  const { logger, lines } = captureLogs();
  const changes: string[] = [];
  const subjects = new Subjects('prosa', 'f00d');
  const outgoing = new OutgoingRequests({
    instance: 'me-1',
    inbox: subjects.inbox,
    inboxWildcard: subjects.inboxWildcard,
    pickupTimeoutMs: 300,
    readLimits: {},
    logger,
    trusts: () => true,
    refuse: () => undefined,
  });
  const heard: PeerInfo[] = [];
  const peers = new Peers({
    table: {
      add: (route: RemoteService) => void changes.push(`+${route.service}`),
      remove: (route: RemoteService) => void changes.push(`-${route.service}`),
    },
    inspect: undefined,
    subjects,
    outgoing,
    transport: 'nats',
    instance: 'me-1',
    missedHeartbeats: 3,
    maxInFlight: 10,
    maxRemoteServices: 100,
    refuseService: () => undefined,
    onChange: (peer) => void heard.push(peer),
    logger,
  });
  return { peers, changes, heard, lines };
}

describe('transport peers, once the link closes', () => {
  it('stops every peer machine and its timer, and hears nothing more: no join, no timer, no log, no event', () => {
    vi.useFakeTimers();
    const { peers, changes, heard, lines } = setup();
    peers.setLinkUp(true);
    peers.hear(announcement('heartbeat', 'b-1'));
    expect(peers.list().map((peer) => peer.instance)).toEqual(['b-1']);
    expect(vi.getTimerCount()).toBe(1); // b-1's missed-heartbeat timer
    peers.clear();
    expect(peers.list()).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    expect(changes).toEqual(['+ECHO', '-ECHO']);
    const logged = lines().length;
    const events = heard.length;
    // Announcements still coming in while the link flushes and closes.
    expect(peers.hear(announcement('hello', 'c-1'))).toBe(false);
    peers.hear(announcement('heartbeat', 'b-1'));
    peers.hear(announcement('heartbeat', 'd-1'));
    peers.hear(announcement('bye', 'b-1'));
    peers.hear(announcement('gone', 'd-1'));
    peers.setLinkUp(false);
    peers.setLinkUp(true);
    expect(peers.list()).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(changes).toEqual(['+ECHO', '-ECHO']);
    expect(heard).toHaveLength(events);
    expect(lines().slice(logged)).toEqual([]);
  });
});
