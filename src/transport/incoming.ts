/**
 * Incoming requests: the requests other instances send to this one. For each service
 * that a local processor provides, the instance joins the service's NATS queue group;
 * each request taken there goes to a local provider (never back out), with the time the
 * caller has left as its timeout, and its one reply or error goes back to the caller's
 * inbox. A request still unanswered at the end of the event-loop turn that took it is
 * acknowledged, so the caller knows which instance holds it.
 */
import { headers, type Msg, type NatsConnection, type PublishOptions, type Subscription } from 'nats';
import type { Logger } from 'pino';
import { ServiceError, serviceErrorCounts, type ServiceErrorKind } from '../actors/errors.js';
import { MAX_TIMEOUT_MS } from '../actors/requests.js';
import type { TransportHost } from '../actors/transport.js';
import { SimpleStringTvf } from '../tvf/simple-string-tvf.js';
import type { TvfReadOptions } from '../tvf/read-limits.js';
import type { Tvf } from '../tvf/tvf.js';
import type { Subjects } from './subjects.js';
import { encodeRecord, HEADER, headerText, isPayloadTooLarge, readRequestFrame, REQUEST_FRAME_HEAD_HINT } from './wire.js';
import type { IncomingContext } from '../actors/request-context.js';
import { CountedWarning } from '../observability/counted-warning.js';
import { CONTEXT_HEADER, readContextHeaders } from '../observability/trace-context.js';
import { messageOf } from '../tvf/unknown-value.js';

/** Figures of the incoming side, counted since the transport started. */
export interface IncomingStats {
  /** Requests taken from other instances (and from this one, under `spread`). */
  received: number;
  /** Of them, answered with a reply. */
  answered: number;
  /** Of them, answered with an error, by kind. */
  errors: Record<ServiceErrorKind, number>;
  /** Requests acknowledged because they were not answered within their event-loop turn. */
  acknowledged: number;
  /**
   * Replies that could not be published (the link closed), and requests without a reply
   * subject or with one under the prefix that is not an inbox (never answered).
   */
  dropped: number;
  /** Requests being served now. */
  inFlight: number;
}

/** What the incoming side needs of the transport. */
export interface IncomingOptions {
  /** This instance's id, sent with acknowledgements and errors. */
  instance: string;
  /** Limits on reading request records. */
  readLimits: TvfReadOptions;
  /** Logs each request taken and answered at `debug` when that level is on at start (decided once). */
  logger: Logger;
}

/** An incoming request between its arrival and its answer. */
class Served {
  answered = false;
  constructor(
    readonly reply: string,
    readonly service: string,
  ) {}
}

const EMPTY = new Uint8Array(0);

/** What became of a message the incoming side published. */
type Sent = 'sent' | 'dropped' | 'too-large';

/** The requests this instance serves for other instances, and its queue group memberships. */
export class IncomingRequests {
  private readonly subscriptions = new Map<string, Subscription>();
  private connection: NatsConnection | undefined;
  private readonly host: TransportHost;
  private readonly subjects: Subjects;
  private readonly options: IncomingOptions;
  /** Acknowledgement headers: the same for every request, so built once. */
  private readonly ack: PublishOptions;
  private unacknowledged: Served[] = [];
  private ackPending: ReturnType<typeof setImmediate> | undefined;
  private inFlight = 0;
  private readonly counts = {
    received: 0,
    answered: 0,
    errors: serviceErrorCounts(),
    acknowledged: 0,
    dropped: 0,
  };
  private readonly flushAcks = () => this.acknowledge();
  /** Bad request-context headers: counted on the bus, logged the 1st, 10th, 100th... time. */
  private readonly badContext: CountedWarning;
  private readonly ignoredHeader = (header: string, reason: string) => {
    this.host.contextIgnored();
    this.badContext.hit({ header, reason });
  };
  /** Per-request logs cost nothing when off: decided once. */
  private readonly debug: Logger | undefined;

  constructor(host: TransportHost, subjects: Subjects, options: IncomingOptions) {
    this.host = host;
    this.subjects = subjects;
    this.options = options;
    const ack = headers();
    ack.set(HEADER.ack, '1');
    ack.set(HEADER.instance, options.instance);
    this.ack = { headers: ack };
    this.debug = options.logger.isLevelEnabled('debug') ? options.logger : undefined;
    this.badContext = new CountedWarning(options.logger, 'ignored a bad request-context header from another instance');
  }

  /** Services whose queue group this instance is in, in the order it joined them. */
  get services(): string[] {
    return [...this.subscriptions.keys()];
  }

  /** A copy of the counters. */
  stats(): IncomingStats {
    return { ...this.counts, errors: { ...this.counts.errors }, inFlight: this.inFlight };
  }

  /** Publishes and subscribes through `connection` from now on. */
  use(connection: NatsConnection | undefined): void {
    this.connection = connection;
  }

  /**
   * Joins the queue group of every service in `services` and leaves the others.
   * Returns whether the set changed. Without a connection it changes nothing.
   */
  serve(services: readonly string[]): boolean {
    const connection = this.connection;
    if (connection === undefined) return false;
    let changed = false;
    const wanted = new Set(services);
    for (const [service, subscription] of this.subscriptions) {
      if (wanted.has(service)) continue;
      subscription.unsubscribe();
      this.subscriptions.delete(service);
      changed = true;
    }
    for (const service of wanted) {
      if (this.subscriptions.has(service)) continue;
      const subject = this.subjects.service(service);
      const subscription = connection.subscribe(subject, {
        queue: subject,
        callback: (error, message) => {
          if (error === null) this.take(service, message);
        },
      });
      this.subscriptions.set(service, subscription);
      changed = true;
    }
    return changed;
  }

  /**
   * Leaves every queue group, taking what the server had already sent (drain). Requests
   * taken until then are still answered. Resolves once the server confirmed.
   */
  async withdraw(): Promise<void> {
    const subscriptions = [...this.subscriptions.values()];
    this.subscriptions.clear();
    await Promise.all(subscriptions.map((subscription) => subscription.drain().catch(() => undefined)));
  }

  /** Stops acknowledging (the link closes). */
  release(): void {
    if (this.ackPending !== undefined) clearImmediate(this.ackPending);
    this.ackPending = undefined;
    this.unacknowledged = [];
  }

  private take(service: string, message: Msg): void {
    this.counts.received++;
    const reply = message.reply;
    if (reply === undefined || reply === '' || this.subjects.isForbiddenReply(reply)) {
      this.counts.dropped++;
      return;
    }
    const served = new Served(reply, service);
    const h = message.headers;
    const frame = readRequestFrame(message.data);
    if (typeof frame === 'string') {
      this.answerError(served, 'protocol', undefined, frame);
      return;
    }
    // Without a frame, the header form: the TVF text alone, the fields in headers.
    const timeoutMs = frame !== undefined ? frame.timeoutMs : h === undefined ? NaN : Number(h.get(HEADER.timeoutMs));
    if (!(timeoutMs > 0)) {
      this.answerError(
        served,
        Number.isNaN(timeoutMs) ? 'protocol' : 'timeout',
        undefined,
        Number.isNaN(timeoutMs)
          ? `the request has no frame (${REQUEST_FRAME_HEAD_HINT}) and its header ${HEADER.timeoutMs} is missing or not a number`
          : "the caller's deadline had passed on arrival",
      );
      return;
    }
    let payload: SimpleStringTvf;
    try {
      payload = SimpleStringTvf.fromUtf8(frame !== undefined ? frame.body : message.data, this.options.readLimits);
    } catch (error) {
      this.answerError(served, 'protocol', undefined, `the request is not a TVF text: ${messageOf(error)}`);
      return;
    }
    const origin = (frame !== undefined ? frame.origin : h!.get(HEADER.origin)) || 'unknown';
    this.debug?.debug({ service, origin, remote: true }, 'remote request taken');
    // The caller's trace and metadata, when it sent any (a request without has no headers,
    // or costs two lookups).
    let context: IncomingContext | undefined;
    if (h !== undefined && (h.has(CONTEXT_HEADER.traceparent) || h.has(CONTEXT_HEADER.baggage))) {
      const read = readContextHeaders((name) => h.get(name), this.ignoredHeader, false);
      context = { trace: read.trace, meta: read.meta };
    }
    this.inFlight++;
    this.host.requestLocal(service, payload, Math.min(timeoutMs, MAX_TIMEOUT_MS), origin, context).then(
      (result) => this.answer(served, result),
      (error: unknown) => this.answerFailure(served, error),
    );
    if (!served.answered) {
      this.unacknowledged.push(served);
      this.ackPending ??= setImmediate(this.flushAcks);
    }
  }

  private answer(served: Served, result: Tvf): void {
    this.inFlight--;
    served.answered = true;
    let data: Uint8Array;
    try {
      data = encodeRecord(result);
    } catch (error) {
      this.answerError(served, 'protocol', undefined, `the reply cannot be written as a TVF text: ${messageOf(error)}`);
      return;
    }
    const sent = this.publish(served.reply, data, undefined);
    if (sent === 'sent') {
      this.counts.answered++;
      this.debug?.debug({ service: served.service, remote: true }, 'remote request answered');
    }
    else if (sent === 'too-large') {
      this.answerError(served, 'protocol', undefined, `the reply is larger than the NATS server's max_payload (${data.length} bytes of TVF text)`);
    }
  }

  private answerFailure(served: Served, error: unknown): void {
    this.inFlight--;
    if (error instanceof ServiceError) this.answerError(served, error.kind, error.processor, error.detail);
    else this.answerError(served, 'protocol', undefined, messageOf(error));
  }

  private answerError(served: Served, kind: ServiceErrorKind, processor: string | undefined, detail: string): void {
    served.answered = true;
    const h = headers();
    h.set(HEADER.error, kind);
    h.set(HEADER.instance, this.options.instance);
    if (processor !== undefined) h.set(HEADER.errorProcessor, headerText(processor));
    h.set(HEADER.errorMessage, headerText(detail));
    if (this.publish(served.reply, EMPTY, { headers: h }) !== 'sent') return;
    this.counts.errors[kind]++;
    this.debug?.debug({ service: served.service, remote: true, kind, detail }, 'remote request answered with an error');
  }

  private acknowledge(): void {
    this.ackPending = undefined;
    const list = this.unacknowledged;
    this.unacknowledged = [];
    for (const served of list) {
      if (served.answered) continue;
      if (this.publish(served.reply, EMPTY, this.ack) === 'sent') this.counts.acknowledged++;
    }
  }

  /** Publishes; counts a message that cannot leave as dropped, except one too large (the caller answers with an error instead). */
  private publish(subject: string, data: Uint8Array, options: PublishOptions | undefined): Sent {
    const connection = this.connection;
    if (connection === undefined || connection.isClosed()) {
      this.counts.dropped++;
      return 'dropped';
    }
    try {
      connection.publish(subject, data, options);
      return 'sent';
    } catch (error) {
      if (data.length > 0 && isPayloadTooLarge(error)) return 'too-large';
      this.counts.dropped++;
      return 'dropped';
    }
  }
}
