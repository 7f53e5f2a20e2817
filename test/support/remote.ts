/**
 * A stand-in for a transport: it hands its host to the test, which adds and removes
 * remote providers by hand (as the NATS transport does when instances join and leave).
 */
import type { Provider, RequestMsg } from '../../src/actors/msg.js';
import type { Transport, TransportHost } from '../../src/actors/transport.js';

/** A remote provider that echoes every request (on a microtask, as a reply from afar would come). */
export class EchoRemote implements Provider {
  readonly remote = true;
  accepting = true;
  inFlight = 0;
  inFlightHead: RequestMsg | null = null;
  readonly maxInFlight = 100;
  readonly instances = ['far'];
  delivered = 0;
  constructor(readonly processor = 'nats') {}
  deliver(msg: RequestMsg): void {
    this.delivered++;
    queueMicrotask(() => msg.respond(msg.payload));
  }
  onIdle(): void {}
}

/** A transport whose host the test drives: `host` is set once the bus started it. */
export class HandTransport implements Transport {
  host: TransportHost | undefined;
  constructor(readonly name = 'hand') {}
  async start(host: TransportHost): Promise<void> {
    this.host = host;
  }
  withdraw(): void {}
  async close(): Promise<void> {}
}
