/**
 * Outgoing requests: the requests this instance sends to other instances. Each is
 * published to its service's queue group with the reply subject `<inbox><id>`; what
 * comes back there (an acknowledgement, the reply, an error, or the server's "no
 * responders") settles it, through the same {@link RequestMsg} a local provider would use.
 *
 * Guarantee, as on one bus: every request settles exactly once. Besides a reply or its
 * deadline, a request ends in `unreachable` when the link goes down, when the instance
 * that acknowledged it is lost or gone, or when no instance acknowledged or answered it
 * within the pickup timeout (lost on the way, or taken by an instance that died at once).
 *
 * The inbox carries a random token that announcements never show, so only who saw a
 * request can answer it. An acknowledgement or an error is taken only when its
 * `prosa-instance` header names this instance or one it follows (or it is the server's
 * own "no responders"); anything else with headers is refused and leaves the request
 * waiting for its genuine answer. Plain replies carry no header, to keep the hot path free
 * of header encoding: a client that reads requests (server permissions stop that) can
 * answer them.
 */
import { headers, type Msg, type MsgHdrs, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { isServiceErrorKind, ServiceError, serviceErrorCounts, type ServiceErrorKind } from '../actors/errors.js';
import { failInFlight, type RequestMsg } from '../actors/msg.js';
import { SimpleStringTvf } from '../tvf/simple-string-tvf.js';
import type { TvfReadOptions } from '../tvf/read-limits.js';
import type { RemoteSender, RemoteService } from './remote-service.js';
import { encodeRequest, HEADER, isPayloadTooLarge, oneLine } from './wire.js';
import { writeContextHeaders } from '../observability/trace-context.js';
import { messageOf } from '../tvf/unknown-value.js';

/** Figures of the outgoing side, counted since the transport started. */
export interface OutgoingStats {
  /** Requests published to other instances. */
  sent: number;
  /** Requests that ended in a reply from another instance. */
  responses: number;
  /** Requests that ended in an error, by kind (errors other instances sent and ones raised here). */
  errors: Record<ServiceErrorKind, number>;
  /** Requests another instance acknowledged (taken, not answered within its event-loop turn). */
  acknowledged: number;
  /** Replies or acknowledgements for requests that had already settled (dropped). */
  late: number;
  /** Requests in flight to other instances now. */
  inFlight: number;
}

/** What the outgoing side needs of the transport. */
export interface OutgoingOptions {
  /** This instance's id, sent as the origin of its requests. */
  instance: string;
  /** Reply subjects are this prefix plus the request id. */
  inbox: string;
  /** The subscription that takes every reply: `inbox` and `>`. */
  inboxWildcard: string;
  /** See `pickupTimeoutMs` in the settings. */
  pickupTimeoutMs: number;
  /** Limits on reading reply records. */
  readLimits: TvfReadOptions;
  /** Logs each request sent and settled at `debug` when that level is on at start (decided once). */
  logger: Logger;
  /** True when `instance` may acknowledge or answer with an error: this instance, or one it follows. */
  trusts: (instance: string) => boolean;
  /** Told of what arrived on the inbox and was not taken. */
  refuse: (why: string, instance: string | undefined) => void;
}

/** Most processor origins kept at once (a bus with more makes the rest again as it sends). */
const MAX_ORIGINS = 10_000;

/** Stands in for a reply that came after its request had settled: never read. */
const DROPPED = new SimpleStringTvf();

/** The requests this instance has in flight at other instances. */
export class OutgoingRequests implements RemoteSender {
  /**
   * Request id -> request, for every request published and not yet seen settled: how a
   * reply finds its request (one that settled otherwise stays until the next sweep, so a
   * late reply to it is counted as late).
   */
  private readonly pending = new Map<number, RequestMsg>();
  /**
   * The remote services with requests in flight. Each one's in-flight list (which every
   * {@link RequestMsg} keeps for its provider) holds exactly its unsettled requests: what
   * {@link endAll} ends, as a crashed processor's requests end, and what `inFlight` counts.
   */
  private readonly busy = new Set<RemoteService>();
  /** Request id -> the instance that acknowledged it (only requests that were acknowledged). */
  private readonly takenBy = new Map<number, string>();
  private connection: NatsConnection | undefined;
  private readonly options: OutgoingOptions;
  private readonly counts = { sent: 0, responses: 0, errors: serviceErrorCounts(), acknowledged: 0, late: 0 };
  /** Per-request logs cost nothing when off: decided once. */
  private readonly debug: Logger | undefined;

  /** The frame's origin of a request from outside the bus. */
  private readonly anonymous: string;
  /** Processor -> its frame origin, `<instance>/<processor>` on one line: made once per processor. */
  private readonly origins = new Map<string, string>();

  constructor(options: OutgoingOptions) {
    this.options = options;
    this.anonymous = `${oneLine(options.instance)}/-`;
    this.debug = options.logger.isLevelEnabled('debug') ? options.logger : undefined;
  }

  /**
   * Publishes through `connection` from now on, and takes what arrives on the inbox there
   * (subscribes to `inboxWildcard`); `undefined` once the link closes: requests fail at once.
   */
  use(connection: NatsConnection | undefined): void {
    this.connection = connection;
    connection?.subscribe(this.options.inboxWildcard, {
      callback: (error, message) => {
        if (error === null) this.receive(message);
      },
    });
  }

  /** A copy of the counters. */
  stats(): OutgoingStats {
    let inFlight = 0;
    for (const service of this.busy) inFlight += service.inFlight;
    return { ...this.counts, errors: { ...this.counts.errors }, inFlight };
  }

  /** Publishes `msg` to `service`'s queue group, or settles it at once when it cannot. */
  send(service: RemoteService, msg: RequestMsg): void {
    const connection = this.connection;
    if (connection === undefined) {
      this.fail(msg, 'unreachable', service.processor, 'the NATS link is down');
      return;
    }
    const origin = msg.origin;
    let data: Uint8Array;
    try {
      data = encodeRequest(
        msg.payload,
        Math.max(1, Math.ceil(msg.deadline - performance.now())),
        origin === undefined ? this.anonymous : this.origins.get(origin) ?? this.originOf(origin),
      );
    } catch (error) {
      this.fail(msg, 'protocol', service.processor, `the request cannot be written as a TVF text: ${messageOf(error)}`);
      return;
    }
    // The request context (trace, metadata), the only headers a request may have: read
    // only for a request that carries one.
    const context = msg.context;
    let h: MsgHdrs | undefined;
    if (context !== null) {
      const set = headers();
      writeContextHeaders((name, value) => set.set(name, value), context.trace, context.meta);
      if (set.keys().length > 0) h = set;
    }
    try {
      connection.publish(service.subject, data, h === undefined ? { reply: this.options.inbox + msg.id } : { reply: this.options.inbox + msg.id, headers: h });
    } catch (error) {
      if (isPayloadTooLarge(error)) {
        this.fail(msg, 'protocol', service.processor, `the request is larger than the NATS server's max_payload (${data.length} bytes of TVF text)`);
      } else {
        this.fail(msg, 'unreachable', service.processor, `the request could not be published: ${messageOf(error)}`);
      }
      return;
    }
    this.counts.sent++;
    this.pending.set(msg.id, msg);
    this.busy.add(service);
    this.debug?.debug({ id: msg.id, service: msg.service, remote: true }, 'remote request sent');
  }

  /** Handles what arrives on the inbox: an acknowledgement, a reply, an error, or "no responders". */
  receive(message: Msg): void {
    const h = message.headers;
    // A reply has no header (headers cost a few µs a message both ways: the inbox's token
    // is what keeps strangers out). An acknowledgement or an error names its instance,
    // which must be one this instance follows; the server's "no responders" names none.
    const noResponders = h !== undefined && h.code === 503 && message.data.length === 0;
    const from = h === undefined ? '' : h.get(HEADER.instance);
    if (h !== undefined && !noResponders && (from === '' || !this.options.trusts(from))) {
      this.options.refuse(from === '' ? 'it names no instance' : 'it names an instance this one does not follow', from || undefined);
      return;
    }
    const id = Number(message.subject.slice(this.options.inbox.length));
    const msg = this.pending.get(id);
    const isAck = h !== undefined && h.get(HEADER.ack) !== '';
    if (msg === undefined || msg.settled) {
      this.counts.late++;
      if (msg !== undefined && !isAck) {
        this.forget(id);
        msg.respond(DROPPED); // counts the late reply on the bus, as a local one would be
      }
      return;
    }
    if (isAck) {
      this.takenBy.set(id, from);
      this.counts.acknowledged++;
      return;
    }
    this.forget(id);
    if (noResponders) {
      this.fail(msg, 'unreachable', this.processorOf(msg), 'no instance serves it now (NATS: no responders)');
      return;
    }
    const kind = h === undefined ? '' : h.get(HEADER.error);
    if (kind !== '') {
      this.settleWithError(msg, kind, from, h!.get(HEADER.errorProcessor), h!.get(HEADER.errorMessage));
      return;
    }
    let payload: SimpleStringTvf;
    try {
      payload = SimpleStringTvf.fromUtf8(message.data, this.options.readLimits);
    } catch (error) {
      this.fail(msg, 'protocol', this.processorOf(msg), `the reply is not a TVF text: ${messageOf(error)}`);
      return;
    }
    if (msg.respond(payload)) {
      this.counts.responses++;
      this.debug?.debug({ id, service: msg.service, remote: true, ms: performance.now() - msg.sentAt }, 'remote reply');
    }
  }

  /** Ends, in `unreachable`, the requests `instance` acknowledged and has not answered. */
  endTakenBy(instance: string, why: 'lost' | 'gone'): number {
    const detail =
      why === 'lost'
        ? `instance '${instance}' was lost (heartbeats missed) with the request in flight`
        : `instance '${instance}' closed its link with the request in flight`;
    let ended = 0;
    for (const [id, taker] of this.takenBy) {
      if (taker !== instance) continue;
      const msg = this.pending.get(id);
      this.forget(id);
      if (msg !== undefined && !msg.settled) {
        this.fail(msg, 'unreachable', this.processorOf(msg), detail);
        ended++;
      }
    }
    return ended;
  }

  /** `service` has no request in flight any more. */
  idle(service: RemoteService): void {
    this.busy.delete(service);
  }

  /** Ends every request in flight with `kind` (the link went down, or the transport closes). */
  endAll(kind: 'unreachable' | 'shutdown', detail: string): number {
    let ended = 0;
    for (const service of this.busy) {
      // a request sent from within the walk (by a request observer) joins its list's head: walk until idle
      while (service.inFlight > 0) {
        ended += service.inFlight;
        failInFlight(service, (msg) => this.error(msg, kind, service.processor, detail));
      }
    }
    this.pending.clear();
    this.takenBy.clear();
    return ended;
  }

  /**
   * Forgets requests that settled otherwise (their deadline passed), and ends in
   * `unreachable` those nobody acknowledged or answered within the pickup timeout.
   * Called once per heartbeat interval; returns how many it ended.
   */
  sweep(now: number): number {
    const oldest = now - this.options.pickupTimeoutMs;
    let ended = 0;
    for (const [id, msg] of this.pending) {
      if (msg.settled) {
        this.forget(id);
      } else if (msg.sentAt <= oldest && !this.takenBy.has(id)) {
        this.forget(id);
        this.fail(
          msg,
          'unreachable',
          this.processorOf(msg),
          `no instance took the request within ${this.options.pickupTimeoutMs} ms (lost on the way, or its instance died)`,
        );
        ended++;
      }
    }
    return ended;
  }

  private settleWithError(msg: RequestMsg, kind: string, instance: string, processor: string, message: string): void {
    const at = processor === '' ? instance : `${instance}/${processor}`;
    if (isServiceErrorKind(kind)) {
      this.fail(msg, kind, at === '' ? this.processorOf(msg) : at, message);
    } else {
      this.fail(msg, 'protocol', at === '' ? this.processorOf(msg) : at, `unknown error kind '${kind}': ${message}`);
    }
  }

  private fail(msg: RequestMsg, kind: ServiceErrorKind, processor: string | undefined, detail: string): void {
    if (!msg.settled) msg.fail(this.error(msg, kind, processor, detail));
  }

  /** The error that ends `msg`, an unsettled request, counted (and logged at `debug`) as it is made. */
  private error(msg: RequestMsg, kind: ServiceErrorKind, processor: string | undefined, detail: string): ServiceError {
    this.counts.errors[kind]++;
    this.debug?.debug({ id: msg.id, service: msg.service, remote: true, kind, detail }, 'remote request failed');
    return new ServiceError(kind, msg.service, processor, detail);
  }

  private processorOf(msg: RequestMsg): string | undefined {
    return msg.provider?.processor;
  }

  /** `processor`'s frame origin, kept (processors are few: at most {@link MAX_ORIGINS} are kept). */
  private originOf(processor: string): string {
    const origin = oneLine(`${this.options.instance}/${processor}`);
    if (this.origins.size >= MAX_ORIGINS) this.origins.clear();
    this.origins.set(processor, origin);
    return origin;
  }

  private forget(id: number): void {
    this.pending.delete(id);
    this.takenBy.delete(id);
  }
}
