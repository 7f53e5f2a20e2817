/**
 * Main: the bus of one instance. One XState actor runs the Main lifecycle; this module
 * gives it its ports (the service table, the processors) and is the embedding API
 * (`createProsa`).
 */
import mittModule, { type Emitter } from 'mitt';
import { pino, type Logger } from 'pino';
import { createActor, waitFor, type Actor } from 'xstate';
import type { Tvf } from '../tvf/tvf.js';
import { messageOf, safeError } from '../tvf/unknown-value.js';
import { mainMachine, type MainPorts, type MainState } from '../machines/main.machine.js';
import type { Crash, ProcessorEvent, ProcessorState } from '../machines/processor.machine.js';
import type { ProcessorSpec } from './adaptor.js';
import { BusError } from './errors.js';
import {
  Processor,
  ProcessorRuntime,
  type InspectOption,
  type ProcessorHost,
} from './processor.js';
import type { Provider } from './msg.js';
import { Requests, type BusObserver, type RequestOptions, type RequestStats } from './requests.js';
import { ServiceTable, type ProviderInfo, type ServiceTableView } from './service-table.js';
import type { Transport, TransportHost } from './transport.js';

// mitt's types describe its CommonJS build; under NodeNext its ESM default export is the function.
const mitt = mittModule as unknown as typeof mittModule.default;

/** Options of {@link createProsa}. */
export interface ProsaOptions {
  /** Instance name: in logs, metrics and the inspector. */
  name: string;
  /**
   * pino logger; each processor gets a child with `proc` bound. Defaults to a pino
   * logger at the level of `PROSA_LOG_LEVEL`, else `info`.
   */
  logger?: Logger;
  /**
   * What a log line shows of a request's or reply's payload (processors log each request
   * and reply at level `trace`): typically a masked copy, e.g. observability's
   * `PayloadMasks.mask`. Without it, payloads never appear in the bus's logs.
   */
  maskPayload?: (service: string, payload: Tvf) => unknown;
  /** XState inspection observer, passed to Main and every processor actor (e.g. `@statelyai/inspect`). */
  inspect?: InspectOption;
  /** How the bus stops. */
  shutdown?: {
    /**
     * Time in-flight requests get to finish once a processor drains; past it they end in `shutdown`.
     * @defaultValue 5000
     */
    graceMs?: number;
    /**
     * Time each adaptor's `terminate` gets; past it the processor counts as stopped anyway.
     * @defaultValue 2000
     */
    terminateTimeoutMs?: number;
  };
  /**
   * Timeout of requests that do not give their own `timeoutMs`.
   * @defaultValue 10000
   */
  requestTimeoutMs?: number;
  /**
   * Resolution of the deadline timer: a request never times out early, and at most about
   * three ticks late while the event loop runs freely.
   * @defaultValue 10
   */
  deadlineTickMs?: number;
  /** Hooks called as requests settle (metrics). More can be added later with `observe`. */
  observer?: BusObserver;
}

/** Events a bus emits on `prosa.events` (a mitt emitter). */
export type ProsaEvents = {
  /** A processor changed lifecycle state. */
  'processor.state': { processor: Processor; state: ProcessorState; previous: ProcessorState };
  /** The service table changed (coalesced: one event per batch of changes). */
  table: { version: number };
  /** Main changed lifecycle state. */
  'main.state': { state: MainState };
  /** A processor left the bus (`remove()` finished): its name is free again. */
  'processor.removed': { processor: Processor; state: ProcessorState };
};

/** Options of `prosa.services()`. */
export interface ServicesOptions {
  /** List each provider as a {@link ProviderInfo}, marked local or remote. */
  detail: true;
}

/** A remote provider change queued for Main. */
interface RemoteChange {
  add: boolean;
  service: string;
  provider: Provider;
}

/** A transport attached to the bus, and how far its lifecycle went. */
interface AttachedTransport {
  readonly transport: Transport;
  started: boolean;
  withdrawn: boolean;
  closing: Promise<void> | undefined;
}

/** State of a bus: Main's, or `created` before `start()`. */
export type ProsaState = 'created' | MainState;

/**
 * @internal processor state -> the level its arrival is logged at: `registered` (serving),
 * `stopped` and `restarting in N ms` at info, `crashed: cause` at warn, `failed` at error,
 * the passing states at debug.
 */
const LIFECYCLE_LOG: Partial<Record<ProcessorState, 'info' | 'warn' | 'error' | 'debug'>> = {
  serving: 'info',
  crashed: 'warn',
  restarting: 'info',
  failed: 'error',
  stopped: 'info',
};

function positive(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new BusError('InvalidOption', `${option} must be a positive number, got ${messageOf(value)}`);
  }
  return value;
}

/** A prosa bus: Main, its service table and its processors. */
export class Prosa {
  /** Instance name. */
  readonly name: string;
  /** The bus logger. */
  readonly logger: Logger;
  /** Lifecycle and table events. Handlers run synchronously; keep them short. */
  readonly events: Emitter<ProsaEvents> = mitt<ProsaEvents>();

  private readonly requests: Requests;
  private readonly table = new ServiceTable();
  private readonly runtimes = new Map<string, ProcessorRuntime>();
  private readonly host: ProcessorHost;
  private readonly stopTimeoutMs: number;
  private main: Actor<typeof mainMachine> | undefined;
  private stoppedBeforeStart = false;
  private publishPending: ReturnType<typeof setImmediate> | undefined;
  private readonly transports: AttachedTransport[] = [];
  private remoteChanges: RemoteChange[] = [];

  constructor(options: ProsaOptions) {
    if (typeof options?.name !== 'string' || options.name.length === 0) {
      throw new BusError('InvalidOption', `name must be a non-empty string, got ${messageOf(options?.name)}`);
    }
    this.name = options.name;
    this.logger =
      options.logger ?? pino({ name: options.name, level: process.env['PROSA_LOG_LEVEL'] ?? 'info' });
    const graceMs = positive('shutdown.graceMs', options.shutdown?.graceMs, 5_000);
    const terminateTimeoutMs = positive('shutdown.terminateTimeoutMs', options.shutdown?.terminateTimeoutMs, 2_000);
    this.stopTimeoutMs = graceMs + terminateTimeoutMs + 100;
    this.requests = new Requests(
      positive('requestTimeoutMs', options.requestTimeoutMs, 10_000),
      positive('deadlineTickMs', options.deadlineTickMs, 10),
      options.observer,
      (error) => this.logger.error({ err: safeError(error) }, 'a request observer threw'),
    );
    this.host = {
      requests: this.requests,
      table: this.table,
      logger: this.logger,
      inspect: options.inspect,
      maskPayload: options.maskPayload,
      drainGraceMs: graceMs,
      terminateTimeoutMs,
      toMain: (event) => this.main?.send(event),
      stateChanged: (processor, state, previous) => this.processorStateChanged(processor, state, previous),
    };
  }

  /** The XState inspection observer the bus passes to its actors (the `inspect` option), if any. */
  get inspect(): InspectOption | undefined {
    return this.host.inspect;
  }

  /** Main's lifecycle state, or `created` before `start()`. */
  get state(): ProsaState {
    if (this.stoppedBeforeStart) return 'stopped';
    return this.main === undefined ? 'created' : (this.main.getSnapshot().value as MainState);
  }

  /** A read-only view of the service table (live: it follows every change). */
  get serviceTable(): ServiceTableView {
    return this.table;
  }

  /**
   * Adds a processor. Before `start()` it waits for the start; while the bus runs it
   * starts at once. Throws a `BusError` for a duplicate name, a bad spec, or a bus that
   * is stopping or stopped.
   */
  processor(name: string, spec: ProcessorSpec): Processor {
    if (typeof name !== 'string' || name.length === 0) {
      throw new BusError('InvalidOption', `processor name must be a non-empty string, got ${messageOf(name)}`);
    }
    if (this.runtimes.has(name)) {
      throw new BusError('DuplicateProcessor', `a processor named '${name}' is already on bus '${this.name}'`);
    }
    const state = this.state;
    if (state === 'stopping' || state === 'stopped') {
      throw new BusError('BusStopped', `bus '${this.name}' is ${state}: cannot add processor '${name}'`);
    }
    const runtime = new ProcessorRuntime(this.host, name, spec);
    this.runtimes.set(name, runtime);
    this.main?.send({ type: 'proc.added', processor: name });
    return runtime.handle;
  }

  /** The processor of that name, if it is on the bus. */
  get(name: string): Processor | undefined {
    return this.runtimes.get(name)?.handle;
  }

  /** Every processor on the bus, in the order they were added. */
  processors(): Processor[] {
    return [...this.runtimes.values()].map((runtime) => runtime.handle);
  }

  /**
   * Drains and stops one processor, then removes it from the bus. Resolves with its
   * final state (`stopped`, or `failed` for one that had failed). Processors that stop
   * or fail otherwise stay listed (with their final state) until removed. Rejects with
   * a `BusError` when no processor has that name.
   */
  async remove(name: string): Promise<ProcessorState> {
    const runtime = this.runtimes.get(name);
    if (runtime === undefined) {
      throw new BusError('UnknownProcessor', `no processor named '${name}' on bus '${this.name}'`);
    }
    let final: ProcessorState = 'stopped';
    if (this.main !== undefined) {
      runtime.shutdown('removed');
      final = await runtime.handle.when('stopped', 'failed');
    }
    runtime.actor.stop();
    if (this.runtimes.get(name) === runtime) {
      this.runtimes.delete(name);
      this.events.emit('processor.removed', { processor: runtime.handle, state: final });
    }
    return final;
  }

  /**
   * Starts Main and every processor added so far. Resolves once each of them has
   * settled its first start (serving, or crashed and left to restart, or failed).
   * Calling it again returns the same wait. Rejects after `stop()`.
   */
  async start(): Promise<void> {
    if (this.stoppedBeforeStart) {
      throw new BusError('BusStopped', `bus '${this.name}' was stopped: it cannot start again`);
    }
    if (this.main === undefined) {
      const main = createActor(mainMachine, {
        id: `main:${this.name}`,
        systemId: 'main',
        inspect: this.host.inspect,
        input: {
          name: this.name,
          stopTimeoutMs: this.stopTimeoutMs,
          processors: this.runtimes.size,
          ports: this.mainPorts(),
        },
      });
      this.main = main;
      let last: MainState | undefined;
      main.subscribe((snapshot) => {
        const state = snapshot.value as MainState;
        if (state === last) return;
        last = state;
        this.logger.debug({ state }, 'main');
        this.events.emit('main.state', { state });
      });
      main.start();
    }
    const snapshot = await waitFor(this.main, (s) => s.value !== 'starting');
    if (snapshot.value !== 'running') {
      throw new BusError('BusStopped', `bus '${this.name}' stopped while starting`);
    }
    await Promise.all(this.transports.map((attached) => this.startTransport(attached)));
  }

  /**
   * Attaches a link to other instances (see `src/transport`, e.g. NATS). Its remote
   * providers join the service table; it serves other instances' requests with local
   * providers. On a running bus it starts at once (a failed start is logged); otherwise
   * `start()` starts it and waits for it. `stop()` withdraws it first and closes it
   * last. Returns the function that detaches it (withdraws and closes it; resolves when
   * closed). Throws a `BusError` on a stopping or stopped bus, or for a transport of a
   * name already attached.
   */
  attachTransport(transport: Transport): () => Promise<void> {
    const state = this.state;
    if (state === 'stopping' || state === 'stopped') {
      throw new BusError('BusStopped', `bus '${this.name}' is ${state}: cannot attach transport '${transport.name}'`);
    }
    if (this.transports.some((t) => t.transport.name === transport.name)) {
      throw new BusError('InvalidOption', `a transport named '${transport.name}' is already attached to bus '${this.name}'`);
    }
    const attached: AttachedTransport = { transport, started: false, withdrawn: false, closing: undefined };
    this.transports.push(attached);
    if (state === 'running') {
      this.startTransport(attached).catch((error: unknown) =>
        this.logger.error({ err: safeError(error), transport: transport.name }, 'transport failed to start'),
      );
    }
    return async () => {
      const index = this.transports.indexOf(attached);
      if (index >= 0) this.transports.splice(index, 1);
      await this.closeTransport(attached);
    };
  }

  /**
   * Sends a request to a provider of `service`. Never throws: settles exactly once, with
   * the reply, or with a `ServiceError` (`timeout`, `unreachable`, `protocol`,
   * `overloaded`, `shutdown`). A wrong call (a service that is not a string, a payload
   * that is not a record, an invalid `timeoutMs`) rejects with a `BusError` and is not
   * counted.
   */
  request(service: string, payload: Tvf, options?: RequestOptions): Promise<Tvf> {
    return this.requests.send(this.table.lookup(service), service, payload, options, undefined);
  }

  /** Service name -> provider processor names, as of now (local and remote alike). */
  services(): Record<string, string[]>;
  /** Service name -> its providers, each marked local or remote, as of now. */
  services(options: ServicesOptions): Record<string, ProviderInfo[]>;
  services(options?: ServicesOptions): Record<string, string[]> | Record<string, ProviderInfo[]> {
    return options?.detail === true ? this.table.detail() : this.table.snapshot();
  }

  /**
   * Adds a request observer (metrics) to a bus that already exists, running or not; it
   * sees the requests that settle from now on. Returns the function that removes it
   * (idempotent). Observers are called synchronously on the hot path, in the order they
   * were added: keep them cheap, and never throw.
   */
  observe(observer: BusObserver): () => void {
    return this.requests.addObserver(observer);
  }

  /** Request counters since the bus was created. */
  stats(): RequestStats {
    return this.requests.stats();
  }

  /**
   * Stops gracefully: new requests fail with `shutdown`, processors drain (in-flight
   * requests get `shutdown.graceMs`), each adaptor's `terminate` runs once, then Main
   * stops. Resolves within `graceMs + terminateTimeoutMs` (plus a little). Safe to call
   * twice: both calls resolve together.
   */
  async stop(reason = 'stop'): Promise<void> {
    for (const attached of this.transports) this.withdrawTransport(attached);
    this.requests.closed = true;
    const main = this.main;
    if (main === undefined) {
      if (!this.stoppedBeforeStart) {
        this.stoppedBeforeStart = true;
        for (const runtime of this.runtimes.values()) runtime.actor.stop();
        this.runtimes.clear();
        this.requests.release();
      }
    } else {
      if (main.getSnapshot().status !== 'done') main.send({ type: 'main.stop', reason });
      await waitFor(main, (s) => s.status === 'done');
    }
    await Promise.all(this.transports.map((attached) => this.closeTransport(attached)));
  }

  /** Starts an attached transport once; the same wait for every caller. */
  private startTransport(attached: AttachedTransport): Promise<void> {
    if (attached.started) return Promise.resolve();
    attached.started = true;
    return attached.transport.start(this.transportHost());
  }

  private withdrawTransport(attached: AttachedTransport): void {
    if (attached.withdrawn) return;
    attached.withdrawn = true;
    try {
      attached.transport.withdraw();
    } catch (error) {
      this.logger.warn({ err: safeError(error), transport: attached.transport.name }, 'transport withdraw failed');
    }
  }

  /** Withdraws and closes a transport once; the same wait for every caller. */
  private closeTransport(attached: AttachedTransport): Promise<void> {
    this.withdrawTransport(attached);
    attached.closing ??= attached.transport.close().catch((error: unknown) => {
      this.logger.warn({ err: safeError(error), transport: attached.transport.name }, 'transport close failed');
    });
    return attached.closing;
  }

  private transportHost(): TransportHost {
    const queue = (add: boolean, service: string, provider: Provider) => {
      const main = this.main;
      if (main === undefined || main.getSnapshot().status !== 'active') return;
      this.remoteChanges.push({ add, service, provider });
      main.send({ type: 'remote.changed' });
    };
    return {
      name: this.name,
      logger: this.logger,
      table: this.table,
      events: this.events,
      inspect: this.host.inspect,
      addRemote: (service, provider) => queue(true, service, provider),
      removeRemote: (service, provider) => queue(false, service, provider),
      setRouting: (policy) => {
        this.table.routing = policy;
      },
      requestLocal: (service, payload, timeoutMs, origin) =>
        this.requests.send(this.table.lookup(service), service, payload, { timeoutMs }, origin, true),
    };
  }

  private mainPorts(): MainPorts {
    return {
      startProcessors: () => {
        for (const runtime of this.runtimes.values()) runtime.start();
      },
      startProcessor: (name) => this.runtimes.get(name)?.start(),
      registerServices: (name) => {
        const runtime = this.runtimes.get(name);
        if (runtime === undefined) return;
        let changed = false;
        for (const service of runtime.services) changed = this.table.add(service, runtime) || changed;
        runtime.registered = true;
        if (changed) this.schedulePublish();
        runtime.actor.send({ type: 'proc.registered' });
      },
      unregisterServices: (name) => {
        const runtime = this.runtimes.get(name);
        if (runtime === undefined || !runtime.registered) return;
        runtime.registered = false;
        let changed = false;
        for (const service of runtime.services) changed = this.table.remove(service, runtime) || changed;
        if (changed) this.schedulePublish();
      },
      shutdownProcessors: (reason) => {
        this.requests.closed = true;
        for (const runtime of this.runtimes.values()) runtime.shutdown(reason);
      },
      release: () => this.release(),
      applyRemoteChanges: () => {
        const changes = this.remoteChanges;
        if (changes.length === 0) return;
        this.remoteChanges = [];
        let changed = false;
        for (const { add, service, provider } of changes) {
          changed = (add ? this.table.add(service, provider) : this.table.remove(service, provider)) || changed;
        }
        if (changed) this.schedulePublish();
      },
    };
  }

  /** Tells every processor of the new table version, once per batch of changes. */
  private schedulePublish(): void {
    if (this.publishPending !== undefined) return;
    this.publishPending = setImmediate(() => {
      this.publishPending = undefined;
      const event: ProcessorEvent = { type: 'prosa.service', version: this.table.version };
      for (const runtime of this.runtimes.values()) runtime.tell(event);
      this.events.emit('table', { version: this.table.version });
    });
  }

  private release(): void {
    if (this.publishPending !== undefined) clearImmediate(this.publishPending);
    this.publishPending = undefined;
    for (const runtime of this.runtimes.values()) {
      if (runtime.actor.getSnapshot().status === 'done') continue;
      // Only processors that outlived the stop timeout get here.
      runtime.failInFlight('shutdown');
      runtime.unregisterServices();
      runtime.endRun();
      runtime.actor.stop();
      this.logger.warn({ proc: runtime.processor, state: runtime.state }, 'processor did not stop in time; stopped by force');
    }
    this.requests.release();
  }

  private processorStateChanged(processor: Processor, state: ProcessorState, previous: ProcessorState): void {
    const level = LIFECYCLE_LOG[state] ?? 'debug';
    const logger = processor.runtime.logger;
    // Each lifecycle change is logged once; the message is built only when its level is on.
    if (logger.isLevelEnabled(level)) {
      const runtime = processor.runtime;
      const context = runtime.actor.getSnapshot().context;
      const crash = context.lastCrash;
      switch (state) {
        case 'serving':
          logger.info({ services: runtime.services, from: previous }, 'registered');
          break;
        case 'crashed':
          logger.warn({ err: crash?.error, from: previous, recoverable: crash?.recoverable }, `crashed: ${describeCause(crash)}`);
          break;
        case 'restarting':
          logger.info(
            { delayMs: context.restartDelayMs, attempt: context.consecutiveCrashes },
            `restarting in ${context.restartDelayMs} ms`,
          );
          break;
        case 'failed': {
          const why = crash?.recoverable === false
            ? 'fatal error'
            : `restart budget spent (${context.crashTimes.length} crashes within ${context.restart.windowMs} ms)`;
          logger.error({ err: crash?.error, from: previous }, `failed: ${why}: ${describeCause(crash)}`);
          break;
        }
        default:
          logger[level]({ from: previous }, state);
      }
    }
    this.events.emit('processor.state', { processor, state, previous });
  }
}

/** The one-line cause of a crash, for a log message (its error is already safe: see `toCrash`). */
function describeCause(crash: Crash | undefined): string {
  return crash === undefined ? 'unknown cause' : messageOf(crash.error);
}

/** Creates a bus. Nothing runs until `start()`. */
export function createProsa(options: ProsaOptions): Prosa {
  return new Prosa(options);
}
