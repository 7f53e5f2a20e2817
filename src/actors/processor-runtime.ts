/**
 * The running side of a processor (ProSA's `proc`): its actor, its ports, its provider.
 *
 * It holds the lifecycle actor, implements the ports the lifecycle machine calls, and is
 * the local {@link Provider} requesters deliver to. It writes its own services into the
 * service table as it starts and stops serving, and tells its bus of each lifecycle change.
 */
import type { Logger } from 'pino';
import { createActor, type Actor, type AnyActorRef, type EventObject } from 'xstate';
import type { Tvf } from '../tvf/tvf.js';
import { safeError } from '../tvf/unknown-value.js';
import {
  processorMachine,
  processorState,
  type Crash,
  type Mailbox,
  type ProcessorEvent,
  type ProcessorPorts,
  type ProcessorState,
} from '../machines/processor.machine.js';
import type { Adaptor, DirectiveHandler, DirectiveShape, ProcessorSpec, ResolverShape } from './adaptor.js';
import { askDirectiveHandler } from './directive-handler.js';
import { ServiceError } from './errors.js';
import type { InspectOption } from './inspect.js';
import { Intake } from './intake.js';
import { failInFlight, type Provider, type RequestMsg } from './msg.js';
import { SERVING, type RequestTracing } from './request-context.js';
import { ProcessorHandle, type Processor } from './processor.js';
import { checkSpec } from './processor-spec.js';
import type { RequestOptions, Requests } from './requests.js';
import { Run, type RunOwner } from './run.js';
import type { ServiceTable } from './service-table.js';
import type { TableUpdates } from './table-updates.js';

/** What a processor needs of its bus. */
export interface ProcessorHost {
  readonly requests: Requests;
  /** The service table, which the processor writes its own services into. */
  readonly table: ServiceTable;
  /** Where a processor whose adaptor asks subscribes its mailbox to table changes. */
  readonly updates: TableUpdates;
  readonly logger: Logger;
  readonly inspect: InspectOption | undefined;
  /** What a log shows of a payload; undefined leaves payloads out of logs. */
  readonly maskPayload: ((service: string, payload: Tvf) => unknown) | undefined;
  readonly drainGraceMs: number;
  readonly terminateTimeoutMs: number;
  /** Told of every lifecycle change of a processor, after the handle's listeners. */
  changed(runtime: ProcessorRuntime, state: ProcessorState, previous: ProcessorState): void;
}

/** The running side of one processor. */
export class ProcessorRuntime implements Provider, ProcessorPorts, RunOwner {
  // Provider: read on every request, so plain fields.
  readonly processor: string;
  readonly remote = false;
  /** True exactly while the mailbox is open (set by `openMailbox`, cleared by `unregisterServices` and the mailbox's close). */
  accepting = false;
  inFlight = 0;
  inFlightHead: RequestMsg | null = null;
  readonly maxInFlight: number;

  readonly services: readonly string[];
  readonly logger: Logger;
  readonly tracing: RequestTracing | undefined;
  readonly directives: DirectiveHandler | undefined;
  readonly actor: Actor<typeof processorMachine>;
  readonly handle: Processor;

  private readonly host: ProcessorHost;
  private readonly adaptor: Adaptor;
  private readonly initTimeoutMs: number;
  private readonly tellsTable: boolean;
  private readonly intake: Intake;
  private readonly listeners = new Set<(state: ProcessorState) => void>();
  /** The open mailbox, which requests are delivered to; null while it is closed. */
  private mailbox: AnyActorRef | null = null;
  /** The current run of the adaptor (before the first init, one that never started). */
  private run: Run;
  /** Called once nothing is in flight, while draining; set by `watchDrain`. */
  private drained: (() => void) | undefined;

  /** Checks `spec` (throws a `BusError` naming the field at fault), then creates the actor, started and idle in `created`. */
  constructor(host: ProcessorHost, name: string, spec: ProcessorSpec) {
    const checked = checkSpec(name, spec);
    this.host = host;
    this.processor = name;
    this.adaptor = checked.adaptor;
    this.services = checked.services;
    this.directives = checked.directives;
    this.maxInFlight = checked.maxInFlight;
    this.initTimeoutMs = checked.initTimeoutMs;
    this.tellsTable = checked.tellsTable;
    this.logger = checked.logger ?? host.logger.child({ proc: name });
    this.tracing = host.requests.tracing;
    this.intake = new Intake({
      tracing: this.tracing,
      processor: name,
      adaptor: checked.adaptor,
      logger: this.logger,
      table: host.table,
      maskPayload: host.maskPayload,
    });
    this.run = new Run(this);
    this.handle = new ProcessorHandle(this);
    this.actor = createActor(processorMachine, {
      id: name,
      systemId: `processor:${name}`,
      inspect: host.inspect,
      input: {
        name,
        restart: checked.restart,
        drainGraceMs: host.drainGraceMs,
        terminateTimeoutMs: host.terminateTimeoutMs,
        ports: this,
      },
    });
    let last: ProcessorState = 'created';
    this.actor.subscribe({
      next: (snapshot) => {
        const state = processorState(snapshot.value);
        if (state === last) return;
        const previous = last;
        last = state;
        for (const listener of this.listeners) listener(state);
        host.changed(this, state, previous);
      },
      error: (error) => this.logger.error({ err: safeError(error) }, 'processor actor failed'),
    });
    this.actor.start();
  }

  /** Current lifecycle state, read from the actor's snapshot. */
  get state(): ProcessorState {
    return processorState(this.actor.getSnapshot().value);
  }

  /** The last crash the machine recorded. */
  get lastCrash(): Crash | undefined {
    return this.actor.getSnapshot().context.lastCrash;
  }

  /** Sends `proc.startRequested`. */
  start(): void {
    this.tell({ type: 'proc.startRequested' });
  }

  /** Sends `proc.stopRequested`, unless the processor already ended. */
  stop(reason: string): void {
    this.tell({ type: 'proc.stopRequested', reason });
  }

  /**
   * Stops the processor now, whatever its state (it outlived the bus's stop timeout):
   * what is in flight ends in `shutdown`, its services leave the table, its run ends.
   */
  forceStop(): void {
    this.failInFlight('shutdown');
    this.unregisterServices();
    this.endRun();
    this.actor.stop();
  }

  /** Adds a lifecycle listener; returns the function that removes it (safe during a notification). */
  subscribe(listener: (state: ProcessorState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Sends a request with this processor as its origin. Never throws. It inherits the
   * context of the request this processor serves now: the one whose `processRequest`
   * runs synchronously, or (tracing on) the one an async context carries.
   */
  request(service: string, payload: Tvf, options: RequestOptions | undefined): Promise<Tvf> {
    const serving = SERVING.msg;
    let parent = serving !== null && serving.provider === this ? serving : null;
    if (parent === null && this.tracing !== undefined) {
      const active = this.tracing.activeRequest();
      if (active !== undefined && active.provider === this) parent = active;
    }
    const host = this.host;
    return host.requests.send(host.table.lookup(service), service, payload, options, this.processor, false, parent);
  }

  /** Counts an ignored request-context header on the bus. */
  contextIgnored(): void {
    this.host.requests.contextIgnored();
  }

  /** Sends a request for `parent`, a request this processor serves (`info.request`). Never throws. */
  requestFor(parent: RequestMsg, service: string, payload: Tvf, options: RequestOptions | undefined): Promise<Tvf> {
    const host = this.host;
    return host.requests.send(host.table.lookup(service), service, payload, options, this.processor, false, parent);
  }

  /** The resolvers the directive handler gives for `directive`, with the current run's context (see `Processor.resolversFor`). */
  resolversFor(directive: DirectiveShape): readonly ResolverShape[] {
    const handler = this.directives;
    return handler === undefined ? [] : askDirectiveHandler(handler, directive, this.run.ctx, this.logger);
  }

  /** A short form for the inspector: the ports hold the whole runtime. */
  toJSON(): { processor: string } {
    return { processor: this.processor };
  }

  // RunOwner -----------------------------------------------------------------

  crashed(crash: Crash): void {
    this.tell({ type: 'proc.crashed', crash });
  }

  // Provider -----------------------------------------------------------------

  deliver(msg: RequestMsg): void {
    this.mailbox!.send(msg);
  }

  onIdle(): void {
    const drained = this.drained;
    if (drained === undefined) return;
    this.drained = undefined;
    drained();
  }

  // ProcessorPorts -----------------------------------------------------------

  init(): Promise<void> {
    const run = new Run(this);
    this.run = run;
    return run.init(this.adaptor, this.initTimeoutMs);
  }

  terminate(): Promise<void> {
    return this.run.terminate(this.adaptor);
  }

  registerServices(): void {
    const table = this.host.table;
    for (const service of this.services) table.add(service, this);
  }

  unregisterServices(): void {
    this.accepting = false;
    const table = this.host.table;
    for (const service of this.services) table.remove(service, this);
  }

  openMailbox(mailbox: Mailbox): () => void {
    this.intake.open(this.run.ctx);
    mailbox.receive(this.intake.receive as (event: EventObject) => void);
    this.mailbox = mailbox.self;
    this.accepting = true;
    const unsubscribe = this.tellsTable ? this.host.updates.subscribe(mailbox.self) : undefined;
    return () => {
      unsubscribe?.();
      this.accepting = false;
      this.mailbox = null;
    };
  }

  watchDrain(drained: () => void): () => void {
    if (this.inFlight === 0) drained();
    else this.drained = drained;
    return () => {
      this.drained = undefined;
    };
  }

  failInFlight(kind: 'unreachable' | 'shutdown'): void {
    if (this.inFlight === 0) return;
    const detail = kind === 'unreachable' ? 'the processor crashed with the request in flight' : 'the processor stopped with the request in flight';
    const tracing = this.tracing;
    const event = kind === 'unreachable' ? 'prosa.processor.crashed' : 'prosa.processor.stopped';
    failInFlight(this, (msg) => {
      if (tracing !== undefined && msg.context?.server != null) tracing.event(msg, event);
      return new ServiceError(kind, msg.service, this.processor, detail);
    });
  }

  endRun(): void {
    this.run.end();
  }

  /** Sends a lifecycle event, unless the processor already ended (stopped or failed). */
  private tell(event: ProcessorEvent): void {
    if (this.actor.getSnapshot().status === 'active') this.actor.send(event);
  }
}

