/**
 * Processor: one XState actor per configured processor, running the processor
 * lifecycle machine. The runtime here gives the machine its ports (adaptor calls,
 * registration, the mailbox) and is the local {@link Provider} that requesters deliver
 * to. {@link Processor} is the public handle.
 */
import type { Logger } from 'pino';
import { createActor, type Actor, type AnyActorRef, type InspectionEvent, type Observer } from 'xstate';
import type { Tvf } from '../tvf/tvf.js';
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
import { BusError, ProcessorError, ServiceError } from './errors.js';
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

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}

function isTvf(value: unknown): value is Tvf {
  return value !== null && typeof value === 'object' && typeof (value as Tvf).len === 'function';
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  return typeof value === 'string' ? value : String(value);
}

function positiveInteger(name: string, option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new BusError('InvalidOption', `processor '${name}': ${option} must be a positive integer, got ${String(value)}`);
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
        throw new BusError('InvalidOption', `processor '${name}': service names must be non-empty strings, got ${JSON.stringify(service)}`);
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
      error: (error) => this.logger.error({ err: error }, 'processor actor failed'),
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

  /** Asks the processor's directive handler, with the current run's context; a throw is logged and counts as none. */
  resolversFor(directive: DirectiveShape): readonly ResolverShape[] {
    const handler = this.directiveHandler;
    if (handler === undefined) return [];
    try {
      return handler(directive, this.ctx) ?? [];
    } catch (error) {
      this.logger.warn({ err: error, directive: directive.kind }, 'directive handler failed');
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

  async init(): Promise<void> {
    this.traceRequests = this.logger.isLevelEnabled('trace');
    this.run = new AbortController();
    this.ctx = this.makeContext(this.run);
    const init = this.adaptor.init;
    if (init === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        init.call(this.adaptor, this.ctx),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new ProcessorError(`init did not finish within ${this.initTimeoutMs} ms`)),
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

  async terminate(): Promise<void> {
    try {
      await this.adaptor.terminate?.(this.ctx);
    } catch (error) {
      this.logger.warn({ err: error }, 'adaptor terminate failed');
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

  toCrash(error: unknown): Crash {
    if (typeof error === 'object' && error !== null && 'recoverable' in error && 'at' in error && 'error' in error) {
      return error as Crash; // already wrapped (init rejects with a Crash)
    }
    const recoverable = error instanceof ProcessorError ? error.recoverable : true;
    const retryAfterMs = error instanceof ProcessorError ? error.retryAfterMs : 0;
    return { error, recoverable, retryAfterMs, at: performance.now() };
  }

  // internals ----------------------------------------------------------------

  /** The mailbox's receive handler: hands one request to the adaptor. */
  private handle_(msg: RequestMsg): void {
    if (this.traceRequests) this.trace(msg, msg.payload, 'request');
    let result: unknown;
    try {
      result = this.adaptor.processRequest(msg.service, msg.payload, this.ctx, msg);
    } catch (error) {
      this.protocolFailure(msg, error);
      return;
    }
    if (isThenable(result)) {
      result.then(
        (reply) => this.reply(msg, reply),
        (error: unknown) => this.protocolFailure(msg, error),
      );
    } else {
      this.reply(msg, result);
    }
  }

  private reply(msg: RequestMsg, reply: unknown): void {
    if (isTvf(reply)) {
      if (this.traceRequests) this.trace(msg, reply, 'reply');
      msg.respond(reply);
    } else this.protocolFailure(msg, new TypeError(`processRequest returned ${describe(reply)}, not a Tvf`));
  }

  private protocolFailure(msg: RequestMsg, error: unknown): void {
    if (msg.settled) return; // the request already timed out or its provider crashed
    if (this.traceRequests) this.logger.trace({ service: msg.service, id: msg.id, err: error }, 'request failed');
    if (error instanceof ServiceError) {
      // The adaptor chose the kind (an upstream unreachable, a timeout): keep it and its
      // detail, but name this request's service and this processor.
      msg.fail(new ServiceError(error.kind, msg.service, this.processor, error.detail, error));
      return;
    }
    msg.fail(new ServiceError('protocol', msg.service, this.processor, `adaptor failed: ${describe(error)}`, error));
  }

  /**
   * One trace line per request and per reply (level `trace`, checked once per run). The
   * payload shows only through the bus's `maskPayload`; without it, it is left out.
   */
  private trace(msg: RequestMsg, payload: Tvf, what: 'request' | 'reply'): void {
    const mask = this.host.maskPayload;
    this.logger.trace(
      { service: msg.service, id: msg.id, origin: msg.origin, payload: mask === undefined ? undefined : mask(msg.service, payload) },
      what,
    );
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

  /** Sends a request as this processor. Same contract as `ProcessorContext.request`. */
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
