/**
 * The transports `prosa run` and `prosa validate` build from the `transport` section: one
 * set of makers, so that both refuse the same sections.
 */
import type { TransportMakers } from '../instance/instance.js';
import { natsTransport } from '../transport/nats-transport.js';

/** Makers of the transports the command links through: `transport.nats` is a NATS transport. */
export const TRANSPORT_MAKERS: TransportMakers = {
  nats: (settings) => natsTransport(settings),
};
