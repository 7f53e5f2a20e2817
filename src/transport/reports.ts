/**
 * What a NATS transport tells those who watch it: the events it emits, the stats it
 * reports.
 */
import type { LinkState } from '../machines/link.machine.js';
import type { IncomingStats } from './incoming.js';
import type { OutgoingStats } from './outgoing.js';
import type { PeerInfo } from './peers.js';
import type { RefusedStats } from './refusals.js';

/** Events a NATS transport emits on `transport.events`. */
export type NatsTransportEvents = {
  /** The link changed state (`up`, `down`, ...). */
  link: { state: LinkState; previous: LinkState | 'created' };
  /** Another instance joined, changed services, or changed state (`leaving`, `lost`, `gone`). */
  peer: PeerInfo;
};

/** What `NatsTransport.stats()` reports. */
export interface NatsTransportStats {
  /** The link's state. */
  link: LinkState;
  /** Times the link went down since it first came up. */
  disconnects: number;
  /** Requests this instance sent to others. */
  outgoing: OutgoingStats;
  /** Requests other instances sent to this one. */
  incoming: IncomingStats;
  /** What was refused from the wire: forged or replayed announcements, peers and services past their bounds, untrusted replies. */
  refused: RefusedStats;
}
