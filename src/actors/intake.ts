/**
 * The intake: what a serving processor's mailbox hands its adaptor, event by event.
 *
 * A request (`request.sent`) goes to the adaptor's `processRequest`, and whatever the
 * adaptor throws, returns or resolves with, the request ends in its reply or an error; a
 * table change (`table.changed`) goes to the adaptor's `serviceTableChanged`. This is the
 * hot path: nothing here allocates per request beyond the adaptor's own work.
 */
import type { Logger } from 'pino';
import { types } from 'node:util';
import { isTvf } from '../tvf/is-tvf.js';
import type { Tvf } from '../tvf/tvf.js';
import { messageOf, safeError } from '../tvf/unknown-value.js';
import type { Adaptor, ProcessorContext } from './adaptor.js';
import { isServiceErrorKind, ServiceError, type ServiceErrorKind } from './errors.js';
import type { MailboxEvent, RequestMsg } from './msg.js';
import { SERVING, type RequestTracing } from './request-context.js';
import type { ServiceTableView } from './service-table.js';

/** The intrinsic `then`: a native promise's own `then` property may have been replaced. */
const PROMISE_THEN = Promise.prototype.then;

/** How an intake is made: what it needs of its processor and bus. */
export interface IntakeOptions {
  /** The processor's name, in the errors it makes. */
  readonly processor: string;
  readonly adaptor: Adaptor;
  readonly logger: Logger;
  /** The bus's table, handed to `serviceTableChanged`. */
  readonly table: ServiceTableView;
  /** What a trace line shows of a payload; undefined leaves payloads out. */
  readonly maskPayload: ((service: string, payload: Tvf) => unknown) | undefined;
  /** The bus's tracing; undefined when off. */
  readonly tracing: RequestTracing | undefined;
}

/** Hands the events of a processor's mailbox to its adaptor. */
export class Intake {
  private readonly processor: string;
  private readonly adaptor: Adaptor;
  private readonly logger: Logger;
  private readonly table: ServiceTableView;
  private readonly maskPayload: ((service: string, payload: Tvf) => unknown) | undefined;
  private readonly tracing: RequestTracing | undefined;
  /** The context of the run being served; set by {@link Intake.open}. */
  private ctx: ProcessorContext | undefined;
  /** Trace each request and reply: decided when the mailbox opens, not per request. */
  private trace = false;

  /**
   * The mailbox's one handler, bound once. Never throws (a throw would stop the mailbox
   * while the processor stays `serving`).
   */
  readonly receive = (event: MailboxEvent): void => {
    if (event.type === 'request.sent') this.request(event);
    else this.tableChanged();
  };

  constructor(options: IntakeOptions) {
    this.processor = options.processor;
    this.adaptor = options.adaptor;
    this.logger = options.logger;
    this.table = options.table;
    this.maskPayload = options.maskPayload;
    this.tracing = options.tracing;
  }

  /** Serves the run whose context is `ctx`, from now on (the mailbox opened). */
  open(ctx: ProcessorContext): void {
    this.ctx = ctx;
    this.trace = this.logger.isLevelEnabled('trace');
  }

  /**
   * Hands one request to the adaptor. Whatever the adaptor throws, returns or resolves
   * with, the request ends in its reply or an error. Never throws.
   */
  private request(msg: RequestMsg): void {
    if (this.trace) this.traceSafely(msg, msg.payload, 'request');
    // While the adaptor runs synchronously, `ctx.request` knows which request it serves (restored after: a stack).
    const previous = SERVING.msg;
    SERVING.msg = msg;
    try {
      const context = msg.context;
      const result: unknown =
        context !== null && context.trace !== null && this.tracing !== undefined
          ? this.tracing.serve(msg, this.processor, this.adaptor, this.ctx!)
          : this.adaptor.processRequest(msg.service, msg.payload, this.ctx!, msg);
      SERVING.msg = previous;
      if (isTvf(result)) this.respond(msg, result);
      else this.follow(msg, result);
    } catch (error) {
      SERVING.msg = previous;
      this.protocolFailure(msg, error);
    }
  }

  /**
   * Settles `msg` once `result` (what `processRequest` returned, not a record) settles.
   * A function of its own so that the two handlers' closure holds only the intake and
   * `msg` while the adaptor works: nothing else of `request` stays alive per request in
   * flight.
   */
  private follow(msg: RequestMsg, result: unknown): void {
    // A native promise: its own `then`, whatever the object says it is. A thenable or a
    // wrong value: `new Promise` adopts a thenable safely (a `then` getter or call that
    // throws is a rejection, a second call is ignored); any other value comes through as
    // is and fails `isTvf` in `reply`. The handlers are written inline, unnamed: a
    // transpiler that keeps function names (esbuild's `keepNames`, as tsx runs it) would
    // give a named one a property store of its own, a few hundred bytes per request.
    const promise = types.isPromise(result) ? result : adopted(result);
    PROMISE_THEN.call(promise, (reply: unknown) => this.reply(msg, reply), (error: unknown) => this.protocolFailure(msg, error));
  }

  /**
   * Tells the adaptor of the table. A throw or rejection (of a promise or thenable it
   * returns) is logged at `warn`. Never throws.
   */
  private tableChanged(): void {
    try {
      const result: unknown = this.adaptor.serviceTableChanged?.(this.table, this.ctx!);
      if (result !== undefined && result !== null && (typeof result === 'object' || typeof result === 'function')) {
        // Adopted safely, as a request's result is: a hostile thenable cannot throw here.
        new Promise<unknown>((resolve) => resolve(result)).then(undefined, (error: unknown) => this.tableHookFailed(error));
      }
    } catch (error) {
      this.tableHookFailed(error);
    }
  }

  private tableHookFailed(error: unknown): void {
    try {
      this.logger.warn({ err: safeError(error) }, `serviceTableChanged failed: ${messageOf(error)}`);
    } catch {
      // a logger that throws: nothing more can be said
    }
  }

  /** Settles `msg` with `reply` when it is a record, else with a `protocol` error. Never throws. */
  private reply(msg: RequestMsg, reply: unknown): void {
    if (isTvf(reply)) this.respond(msg, reply);
    else this.protocolFailure(msg, notARecord(reply));
  }

  /** Settles `msg` with a record. Never throws. */
  private respond(msg: RequestMsg, reply: Tvf): void {
    if (this.trace) this.traceSafely(msg, reply, 'reply');
    try {
      msg.respond(reply);
    } catch (error) {
      // The request settled before anything could throw (see RequestMsg.respond); what
      // threw after is bookkeeping (an observer, a drain watch): log it.
      this.logger.warn({ err: safeError(error), service: msg.service, id: msg.id }, 'settling a reply failed');
    }
  }

  /**
   * Ends `msg` in the error its adaptor raised: a `ServiceError` keeps its kind and detail,
   * anything else is `protocol`, with a readable message whatever the value. Never throws.
   */
  private protocolFailure(msg: RequestMsg, error: unknown): void {
    if (msg.settled) return; // the request already timed out or its provider crashed
    try {
      if (this.trace) this.logger.trace({ service: msg.service, id: msg.id, err: safeError(error) }, 'request failed');
      const parts = serviceErrorParts(error);
      // An adaptor's ServiceError (an upstream unreachable, a timeout) keeps its kind and
      // detail, but names this request's service and this processor.
      const failure = parts === undefined
        ? new ServiceError('protocol', msg.service, this.processor, `adaptor failed: ${messageOf(error)}`, safeError(error))
        : new ServiceError(parts.kind, msg.service, this.processor, parts.detail, safeError(error));
      msg.fail(failure);
    } catch (thrown) {
      if (!msg.settled) msg.fail(new ServiceError('protocol', msg.service, this.processor, 'adaptor failed: an unreadable value'));
      this.logger.warn({ err: safeError(thrown), service: msg.service, id: msg.id }, 'settling a failed request failed');
    }
  }

  /**
   * One trace line per request and per reply (level `trace`, checked when the mailbox
   * opens). The payload shows only through the bus's `maskPayload`; without it, it is left out.
   */
  private traceSafely(msg: RequestMsg, payload: Tvf, what: 'request' | 'reply'): void {
    const mask = this.maskPayload;
    try {
      this.logger.trace(
        { service: msg.service, id: msg.id, origin: msg.origin, payload: mask === undefined ? undefined : mask(msg.service, payload) },
        what,
      );
    } catch (error) {
      this.logger.warn({ err: safeError(error), service: msg.service, id: msg.id }, `tracing a ${what} failed: ${messageOf(error)}`);
    }
  }
}

/** A promise of `value`, adopting it safely when it is a thenable (out of `follow`, whose closure would hold `value`). */
function adopted(value: unknown): Promise<unknown> {
  return new Promise<unknown>((resolve) => resolve(value));
}

/**
 * The kind and detail of `error` when it is a `ServiceError` an adaptor threw (to say
 * `unreachable` or `timeout` for an upstream), read without trusting it; else undefined.
 */
function serviceErrorParts(error: unknown): { kind: ServiceErrorKind; detail: string } | undefined {
  try {
    if (!(error instanceof ServiceError)) return undefined;
    const { kind, detail } = error;
    return isServiceErrorKind(kind) && typeof detail === 'string' ? { kind, detail } : undefined;
  } catch {
    return undefined; // a Proxy whose traps throw, a getter that throws: not one of ours
  }
}

/** What a request's reply was when it was not a record, for the `protocol` error's message. */
function notARecord(reply: unknown): TypeError {
  const what = typeof reply === 'string' ? 'a string' : messageOf(reply);
  return new TypeError(`processRequest returned ${what}, not a Tvf`);
}
