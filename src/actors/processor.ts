/**
 * Processor: one XState actor per configured processor, running the processor
 * lifecycle machine. The runtime here gives the machine its ports (adaptor calls,
 * registration, the mailbox) and is the local {@link Provider} that requesters deliver
 * to. {@link Processor} is the public handle.
 */
import type { Logger } from 'pino';
import { types } from 'node:util';
import { createActor, type Actor, type AnyActorRef, type InspectionEvent, type Observer } from 'xstate';
import { isTvf } from '../tvf/is-tvf.js';
import type { Tvf } from '../tvf/tvf.js';
import { messageOf, safeError } from '../tvf/unknown-value.js';
import {
  processorMachine,
  type Crash,
  type Mailbox,
  type ProcessorEvent,
  type ProcessorPorts,
  type ProcessorState,
} from '../machines/processor.machine.js';
import type { MainEvent } from '../machines/main.machine.js';
import { restartPolicy } from '../machines/restart-policy.js';
import type { Adaptor, DirectiveHandler, DirectiveShape, ProcessorContext, ProcessorSpec, ResolverShape } from './adaptor.js';
import { BusError, isServiceErrorKind, ProcessorError, ServiceError, type ServiceErrorKind } from './errors.js';
import { failInFlight, type Provider, type RequestMsg } from './msg.js';
import type { RequestOptions, Requests } from './requests.js';
import type { ServiceTableView } from './service-table.js';

/** The `inspect` option XState actors take: an observer of inspection events. */
export type InspectOption = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/** What a processor needs of its bus. */
export interface ProcessorHost {
  readonly requests: Requests;
  readonly table: ServiceTableView;
  readonly logger: Logger;
  readonly inspect: InspectOption | undefined;
  /** What a log shows of a payload; undefined leaves payloads out of logs. */
  readonly maskPayload: ((service: string, payload: Tvf) => unknown) | undefined;
  readonly drainGraceMs: number;
  readonly terminateTimeoutMs: number;
  /** Sends a lifecycle event to Main. */
  toMain(event: MainEvent): void;
  /** Told of every lifecycle change of a processor. */
  stateChanged(processor: Processor, state: ProcessorState, previous: ProcessorState): void;
}

/** Default of `queue.maxInFlight`. */
export const DEFAULT_MAX_IN_FLIGHT = 10_000;
/** Default of `initTimeoutMs`. */
export const DEFAULT_INIT_TIMEOUT_MS = 30_000;

/** Reason of every run's abort signal. */
const RUN_ENDED = Object.freeze(new Error('the processor run ended (crash or stop)'));

const FINAL: ReadonlySet<ProcessorState> = new Set(['stopped', 'failed']);
const SETTLED: ReadonlySet<ProcessorState> = new Set(['serving', 'crashed', 'stopped', 'failed']);

/** Awaited before adaptor code runs, so that it runs after the transition in progress. */
const OUTSIDE_ACTIONS = Promise.resolve();

/** The intrinsic `then`: a native promise's own `then` property may have been replaced. */
const PROMISE_THEN = Promise.prototype.then;

/** Every {@link Crash} this module made: recognised without reading the value (it may be hostile). */
const CRASHES = new WeakSet<object>();

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

/** What a `ProcessorError` says of its restart, read without trusting it; a restart after no delay for anything else. */
function restartOf(error: unknown): { recoverable: boolean; retryAfterMs: number } {
  try {
    if (error instanceof ProcessorError) {
      const { recoverable, retryAfterMs } = error;
      return {
        recoverable: recoverable !== false,
        retryAfterMs: typeof retryAfterMs === 'number' && retryAfterMs > 0 && Number.isFinite(retryAfterMs) ? retryAfterMs : 0,
      };
    }
  } catch {
    // unreadable: a recoverable crash, as for any other error
  }
  return { recoverable: true, retryAfterMs: 0 };
}

/** What a request's reply was when it was not a record, for the `protocol` error's message. */
function notARecord(reply: unknown): TypeError {
  const what = typeof reply === 'string' ? 'a string' : messageOf(reply);
  return new TypeError(`processRequest returned ${what}, not a Tvf`);
}

/**
 * The resolvers a directive handler returned, checked: an array of objects with a string
 * `name` and a `logic`. Anything else throws a `TypeError` that says what was returned.
 */
function checkedResolvers(returned: unknown): readonly ResolverShape[] {
  if (returned === undefined || returned === null) return [];
  if (!Array.isArray(returned)) throw new TypeError(`the directive handler returned ${messageOf(returned)}, not an array of resolvers`);
  const resolvers: ResolverShape[] = [];
  for (const resolver of returned as unknown[]) {
    const shape = resolver as Partial<ResolverShape> | null;
    if (typeof shape !== 'object' || shape === null || typeof shape.name !== 'string' || typeof shape.logic !== 'object' || shape.logic === null) {
      throw new TypeError(`the directive handler returned ${messageOf(resolver)} among its resolvers, not a { name, logic } resolver`);
    }
    resolvers.push({ name: shape.name, logic: shape.logic });
  }
  return resolvers;
}

function positiveInteger(name: string, option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new BusError('InvalidOption', `processor '${name}': ${option} must be a positive integer, got ${messageOf(value)}`);
  }
  return value;
}

/** @internal The running side of a processor. */
export class ProcessorRuntime implements Provider, ProcessorPorts {
  readonly processor: string;
  readonly remote = false;
  accepting = false;
  inFlight = 0;
  inFlightHead: RequestMsg | null = null;
  readonly maxInFlight: number;

  readonly services: readonly string[];
  readonly actor: Actor<typeof processorMachine>;
  readonly handle: Processor;
  readonly logger: Logger;
  state: ProcessorState = 'created';

  private readonly host: ProcessorHost;
  private readonly adaptor: Adaptor;
  /** @internal */
  readonly directiveHandler: DirectiveHandler | undefined;
  private readonly initTimeoutMs: number;
  private mailbox: AnyActorRef | null = null;
  /** The current run of the adaptor; undefined before the first init. */
  private run: AbortController | undefined;
  /** The current run's context; a placeholder (never aborted by a run) before the first init. */
  private ctx: ProcessorContext;
  /** True while Main's table holds this processor's services. */
  registered = false;
  private runId = 0;
  private drainWatch = false;
  private settledOnce = false;
  /** Trace each request and reply: decided at each init, not per request. */
  private traceRequests = false;
  private readonly receiveRequest = (event: { type: string }) => this.handle_(event as RequestMsg);

  constructor(host: ProcessorHost, name: string, spec: ProcessorSpec) {
    if (typeof spec?.adaptor?.processRequest !== 'function') {
      throw new BusError('InvalidOption', `processor '${name}': adaptor.processRequest must be a function`);
    }
    this.host = host;
    this.processor = name;
    this.adaptor = spec.adaptor;
    if (spec.directives !== undefined && typeof spec.directives !== 'function') {
      throw new BusError('InvalidOption', `processor '${name}': directives must be a function`);
    }
    this.directiveHandler = spec.directives;
    this.services = Object.freeze([...new Set(spec.services ?? [])]);
    for (const service of this.services) {
      if (typeof service !== 'string' || service.length === 0) {
        throw new BusError('InvalidOption', `processor '${name}': service names must be non-empty strings, got ${messageOf(service)}`);
      }
    }
    this.maxInFlight = positiveInteger(name, 'queue.maxInFlight', spec.queue?.maxInFlight, DEFAULT_MAX_IN_FLIGHT);
    this.initTimeoutMs = positiveInteger(name, 'initTimeoutMs', spec.initTimeoutMs, DEFAULT_INIT_TIMEOUT_MS);
    this.logger = spec.logger ?? host.logger.child({ proc: name });
    this.ctx = this.makeContext(new AbortController());
    this.handle = new Processor(this);
    this.actor = createActor(processorMachine, {
      id: name,
      systemId: `processor:${name}`,
      inspect: host.inspect,
      input: {
        name,
        restart: restartPolicy(spec.restart),
        drainGraceMs: host.drainGraceMs,
        terminateTimeoutMs: host.terminateTimeoutMs,
        ports: this,
      },
    });
    this.actor.subscribe({
      next: (snapshot) => this.observe(snapshot.value as ProcessorState),
      error: (error) => this.logger.error({ err: safeError(error) }, 'processor actor failed'),
    });
    this.actor.start();
  }

  /** Sends `proc.start`. */
  start(): void {
    this.actor.send({ type: 'proc.start' });
  }

  /** Sends `prosa.shutdown`, unless the processor already ended. */
  shutdown(reason: string): void {
    this.tell({ type: 'prosa.shutdown', reason });
  }

  /** Sends a lifecycle event, unless the processor already ended (stopped or failed). */
  tell(event: ProcessorEvent): void {
    if (this.actor.getSnapshot().status === 'active') this.actor.send(event);
  }

  /** The last crash the machine recorded. */
  lastCrash(): Crash | undefined {
    return this.actor.getSnapshot().context.lastCrash;
  }

  /** Sends a request with this processor as its origin. */
  request(service: string, payload: Tvf, options: RequestOptions | undefined): Promise<Tvf> {
    const host = this.host;
    return host.requests.send(host.table.lookup(service), service, payload, options, this.processor);
  }

  /**
   * Asks the processor's directive handler, with the current run's context. A throw, or a
   * result that is not an array of resolvers, is logged and counts as none. Never throws.
   */
  resolversFor(directive: DirectiveShape): readonly ResolverShape[] {
    const handler = this.directiveHandler;
    if (handler === undefined) return [];
    try {
      return checkedResolvers(handler(directive, this.ctx));
    } catch (error) {
      this.logger.warn({ err: safeError(error), directive: directive.kind }, `directive handler failed: ${messageOf(error)}`);
      return [];
    }
  }

  /** A short form for the inspector: the ports hold the whole runtime. */
  toJSON(): { processor: string } {
    return { processor: this.processor };
  }

  // Provider ---------------------------------------------------------------

  deliver(msg: RequestMsg): void {
    this.mailbox!.send(msg);
  }

  onIdle(): void {
    if (!this.drainWatch) return;
    this.drainWatch = false;
    this.actor.send({ type: 'proc.drained' });
  }

  // ProcessorPorts -----------------------------------------------------------

  /**
   * Starts a run and calls the adaptor's `init`, one microtask later: the machine invokes
   * this from a transition that an action of Main (or of the processor) set off, and adaptor
   * code must not run inside an XState action (an actor it creates there, a directive for
   * one, makes XState warn and sees a half-done transition). A run that ended meanwhile
   * skips `init`.
   */
  async init(): Promise<void> {
    this.traceRequests = this.logger.isLevelEnabled('trace');
    const run = new AbortController();
    this.run = run;
    this.ctx = this.makeContext(run);
    await OUTSIDE_ACTIONS;
    if (run.signal.aborted) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const init = this.adaptor.init;
      if (init === undefined) return;
      await Promise.race([
        init.call(this.adaptor, this.ctx),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new ProcessorError(`init did not finish within ${this.initTimeoutMs} ms`, { kind: 'InitTimeout' })),
            this.initTimeoutMs,
          );
        }),
      ]);
    } catch (error) {
      throw this.toCrash(error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Calls the adaptor's `terminate`, one microtask later, outside any XState action (see `init`). */
  async terminate(): Promise<void> {
    await OUTSIDE_ACTIONS;
    try {
      await this.adaptor.terminate?.(this.ctx);
    } catch (error) {
      this.logger.warn({ err: safeError(error) }, `adaptor terminate failed: ${messageOf(error)}`);
    }
  }

  registerServices(): void {
    this.host.toMain({ type: 'prosa.register', processor: this.processor });
  }

  unregisterServices(): void {
    this.accepting = false;
    if (this.registered) this.host.toMain({ type: 'prosa.unregister', processor: this.processor });
  }

  openIntake(mailbox: Mailbox): () => void {
    mailbox.receive(this.receiveRequest);
    this.mailbox = mailbox.self;
    this.accepting = true;
    return () => {
      this.accepting = false;
      this.mailbox = null;
    };
  }

  watchDrain(): void {
    this.accepting = false;
    if (this.inFlight === 0) this.actor.send({ type: 'proc.drained' });
    else this.drainWatch = true;
  }

  failInFlight(kind: 'unreachable' | 'shutdown'): void {
    this.drainWatch = false;
    if (this.inFlight === 0) return;
    const detail = kind === 'unreachable' ? 'the processor crashed with the request in flight' : 'the processor stopped with the request in flight';
    failInFlight(this, (msg) => new ServiceError(kind, msg.service, this.processor, detail));
  }

  endRun(): void {
    // A shared reason: abort() would otherwise build a DOMException per run.
    this.run?.abort(RUN_ENDED);
  }

  /**
   * The crash `error` makes: recoverable unless a `ProcessorError` says otherwise. Its
   * `error` is `safeError(error)`, so every log line, inspector and `lastError` downstream
   * holds a value that reads without running hostile code. A crash made here is returned
   * as is (init rejects with one). Never throws.
   */
  toCrash(error: unknown): Crash {
    if (typeof error === 'object' && error !== null && CRASHES.has(error)) return error as Crash;
    const crash: Crash = { error: safeError(error), ...restartOf(error), at: performance.now() };
    CRASHES.add(crash);
    return crash;
  }

  // internals ----------------------------------------------------------------

  /**
   * The mailbox's receive handler: hands one request to the adaptor. Never throws (a throw
   * would stop the mailbox while the processor stays `serving`): whatever the adaptor
   * throws, returns or resolves with, the request ends in its reply or a `protocol` error.
   */
  private handle_(msg: RequestMsg): void {
    if (this.traceRequests) this.traceSafely(msg, msg.payload, 'request');
    try {
      const result: unknown = this.adaptor.processRequest(msg.service, msg.payload, this.ctx, msg);
      if (isTvf(result)) {
        this.respond(msg, result);
      } else if (types.isPromise(result)) {
        // A native promise: its own `then`, whatever the object says it is.
        PROMISE_THEN.call(result, (reply: unknown) => this.reply(msg, reply), (error: unknown) => this.protocolFailure(msg, error));
      } else {
        // A thenable or a wrong value: `new Promise` adopts a thenable safely (a `then`
        // getter or call that throws is a rejection, a second call is ignored); any other
        // value comes through as is and fails `isTvf` in `reply`.
        new Promise<unknown>((resolve) => resolve(result)).then(
          (reply) => this.reply(msg, reply),
          (error: unknown) => this.protocolFailure(msg, error),
        );
      }
    } catch (error) {
      this.protocolFailure(msg, error);
    }
  }

  /** Settles `msg` with `reply` when it is a record, else with a `protocol` error. Never throws. */
  private reply(msg: RequestMsg, reply: unknown): void {
    if (isTvf(reply)) this.respond(msg, reply);
    else this.protocolFailure(msg, notARecord(reply));
  }

  /** Settles `msg` with a record. Never throws. */
  private respond(msg: RequestMsg, reply: Tvf): void {
    if (this.traceRequests) this.traceSafely(msg, reply, 'reply');
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
      if (this.traceRequests) this.logger.trace({ service: msg.service, id: msg.id, err: safeError(error) }, 'request failed');
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
   * One trace line per request and per reply (level `trace`, checked once per run). The
   * payload shows only through the bus's `maskPayload`; without it, it is left out.
   */
  private traceSafely(msg: RequestMsg, payload: Tvf, what: 'request' | 'reply'): void {
    const mask = this.host.maskPayload;
    try {
      this.logger.trace(
        { service: msg.service, id: msg.id, origin: msg.origin, payload: mask === undefined ? undefined : mask(msg.service, payload) },
        what,
      );
    } catch (error) {
      this.logger.warn({ err: safeError(error), service: msg.service, id: msg.id }, `tracing a ${what} failed: ${messageOf(error)}`);
    }
  }

  private makeContext(run: AbortController): ProcessorContext {
    const runId = ++this.runId;
    const signal = run.signal;
    return {
      name: this.processor,
      logger: this.logger,
      signal,
      request: (service: string, payload: Tvf, options?: RequestOptions) => this.request(service, payload, options),
      fail: (error: unknown) => {
        if (runId !== this.runId || signal.aborted) return; // that run already ended
        this.actor.send({ type: 'proc.crash', crash: this.toCrash(error) });
      },
    };
  }

  private observe(state: ProcessorState): void {
    const previous = this.state;
    if (state === previous) return;
    this.state = state;
    this.handle.notify(state);
    this.host.stateChanged(this.handle, state, previous);
    if (!this.settledOnce && SETTLED.has(state)) {
      this.settledOnce = true;
      this.host.toMain({ type: 'proc.settled', processor: this.processor });
    }
    if (FINAL.has(state)) this.host.toMain({ type: 'proc.ended', processor: this.processor });
  }
}

/** The public handle of a processor on a bus. */
export class Processor {
  /** @internal */
  readonly runtime: ProcessorRuntime;
  private readonly listeners = new Set<(state: ProcessorState) => void>();

  /** @internal */
  constructor(runtime: ProcessorRuntime) {
    this.runtime = runtime;
  }

  /** The processor's name. */
  get name(): string {
    return this.runtime.processor;
  }

  /** Services it provides. */
  get services(): readonly string[] {
    return this.runtime.services;
  }

  /** Current lifecycle state. */
  get state(): ProcessorState {
    return this.runtime.state;
  }

  /** Requests in flight at this processor. */
  get inFlight(): number {
    return this.runtime.inFlight;
  }

  /** The error of the last crash, if any. */
  get lastError(): unknown {
    return this.runtime.lastCrash()?.error;
  }

  /**
   * Calls `listener` on every lifecycle change, synchronously, with the new state.
   * Returns the function that unsubscribes; it is safe to call during a notification.
   */
  subscribe(listener: (state: ProcessorState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** True when the processor was given a directive handler (`ProcessorSpec.directives`). */
  get handlesDirectives(): boolean {
    return this.runtime.directiveHandler !== undefined;
  }

  /**
   * The resolvers this processor gives for `directive` (its `ProcessorSpec.directives`
   * handler, called with the context of its current run); empty when it has no handler,
   * does not handle the directive, or the handler throws (logged). The directive layer
   * calls it while the processor serves.
   */
  resolversFor(directive: DirectiveShape): readonly ResolverShape[] {
    return this.runtime.resolversFor(directive);
  }

  /** Sends a request as this processor. Same contract as `ProcessorContext.request`: never throws. */
  request(service: string, payload: Tvf, options?: RequestOptions): Promise<Tvf> {
    return this.runtime.request(service, payload, options);
  }

  /**
   * Resolves when the processor is in one of `states` (at once if it is). Rejects with a
   * `BusError` if it reaches a final state that is not among them.
   */
  when(...states: ProcessorState[]): Promise<ProcessorState> {
    return new Promise((resolve, reject) => {
      const check = (state: ProcessorState): boolean => {
        if (states.includes(state)) {
          resolve(state);
          return true;
        }
        if (FINAL.has(state)) {
          reject(new BusError('ProcessorEnded', `processor '${this.name}' ended in '${state}' before reaching ${states.join(' or ')}`));
          return true;
        }
        return false;
      };
      if (check(this.state)) return;
      const off = this.subscribe((state) => {
        if (check(state)) off();
      });
    });
  }

  /** @internal */
  notify(state: ProcessorState): void {
    for (const listener of this.listeners) listener(state);
  }
}
