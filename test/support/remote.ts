/**
 * A stand-in for a transport: it hands its host to the test, which adds and removes
 * remote providers by hand (as the NATS transport does when instances join and leave).
 */
import { ServiceError } from '../../src/actors/errors.js';
import { failInFlight, type Provider, type RequestMsg } from '../../src/actors/msg.js';
import type { Transport, TransportHost } from '../../src/actors/transport.js';

/** What every remote provider of these tests has: a provider on instance `far`, counting deliveries. */
abstract class FarProvider implements Provider {
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
    this.handle(msg);
  }
  onIdle(): void {}
  /** What becomes of a delivered request. */
  protected abstract handle(msg: RequestMsg): void;
}

/** A remote provider that echoes every request (on a microtask, as a reply from afar would come). */
export class EchoRemote extends FarProvider {
  protected handle(msg: RequestMsg): void {
    queueMicrotask(() => msg.respond(msg.payload));
  }
}

/**
 * A remote provider whose instance can vanish: it holds every request until `vanish`,
 * which does what a transport does when an instance is lost or gone: removes it from
 * the table, then ends what it held in `unreachable`.
 */
export class VanishingRemote extends FarProvider {
  protected handle(): void {}
  /** Leaves `service` of `host`'s table, then ends the requests held; returns how many. */
  vanish(host: TransportHost, service: string): number {
    host.removeRemote(service, this);
    let ended = 0;
    failInFlight(this, (msg) => {
      ended++;
      return new ServiceError('unreachable', msg.service, this.processor, 'its instance vanished with the request in flight');
    });
    return ended;
  }
}

/**
 * A remote provider still listed whose instance is dead, or stopping: every request fails
 * in `kind` on a microtask (`unreachable`, as the NATS server's "no responders" would, only
 * sooner; `shutdown`, as an instance that began to stop answers).
 */
export class DeadRemote extends FarProvider {
  constructor(
    processor = 'nats',
    readonly kind: 'unreachable' | 'shutdown' = 'unreachable',
  ) {
    super(processor);
  }
  protected handle(msg: RequestMsg): void {
    queueMicrotask(() => msg.fail(new ServiceError(this.kind, msg.service, 'far/echo', `the far instance answered ${this.kind}`)));
  }
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
