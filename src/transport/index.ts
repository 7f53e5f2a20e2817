/**
 * Links between instances: the NATS transport, its settings and its wire format.
 */
export {
  NatsTransport,
  natsTransport,
  type NatsTransportEvents,
  type NatsTransportOptions,
  type NatsTransportStats,
} from './nats-transport.js';
export { TransportError, type TransportErrorKind } from './errors.js';
export { RemoteService } from './remote-service.js';
export type { PeerInfo } from './peers.js';
export type { OutgoingStats } from './outgoing.js';
export type { IncomingStats } from './incoming.js';
export { HEADER, type Announcement } from './wire.js';
export { Subjects, subjectToken } from './subjects.js';
