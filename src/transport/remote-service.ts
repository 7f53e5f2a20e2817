/**
 * A remote service: the one {@link Provider} a transport puts in the service table for a
 * service that other instances serve. Requests delivered to it are published to the
 * service's NATS queue group, which hands each to one of those instances.
 */
import type { Provider, RequestMsg } from '../actors/msg.js';

/** Where a remote service hands its requests: the transport's outgoing side. */
export interface RemoteSender {
  /** Publishes `msg` for `service`; settles it at once (`unreachable`, ...) when it cannot. */
  send(service: RemoteService, msg: RequestMsg): void;
  /** `service` has no request in flight any more. */
  idle(service: RemoteService): void;
}

/** The provider, in this instance's table, of a service that other instances serve. */
export class RemoteService implements Provider {
  /** The transport's name: what `services()` and errors show as the processor. */
  readonly processor: string;
  readonly remote = true;
  /** True while the link is up. */
  accepting: boolean;
  inFlight = 0;
  /** Its unsettled requests, as for every provider: what the sender ends when the link goes down or closes. */
  inFlightHead: RequestMsg | null = null;
  readonly maxInFlight: number;
  /** Ids of the instances that serve it, as they announced it (a new array on each change). */
  instances: readonly string[] = [];
  /** The service. */
  readonly service: string;
  /** The subject (and queue group) its requests are published to. */
  readonly subject: string;
  private readonly sender: RemoteSender;

  constructor(processor: string, service: string, subject: string, maxInFlight: number, accepting: boolean, sender: RemoteSender) {
    this.processor = processor;
    this.service = service;
    this.subject = subject;
    this.maxInFlight = maxInFlight;
    this.accepting = accepting;
    this.sender = sender;
  }

  /** Adds an instance; returns whether it was new. */
  join(instance: string): boolean {
    if (this.instances.includes(instance)) return false;
    this.instances = [...this.instances, instance];
    return true;
  }

  /** Removes an instance; returns whether it was there. */
  leave(instance: string): boolean {
    if (!this.instances.includes(instance)) return false;
    this.instances = this.instances.filter((id) => id !== instance);
    return true;
  }

  deliver(msg: RequestMsg): void {
    this.sender.send(this, msg);
  }

  onIdle(): void {
    this.sender.idle(this);
  }

  /** A short form for logs and the inspector. */
  toJSON(): { processor: string; service: string; remote: true; instances: readonly string[] } {
    return { processor: this.processor, service: this.service, remote: true, instances: this.instances };
  }
}
