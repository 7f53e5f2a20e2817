/**
 * The embedding API: `createProsa`, and the bus of one instance it makes.
 *
 * A bus is its service table, its processors, its Main actor and its transports, each in
 * a module of its own; this one checks the options, wires them together, and is what an
 * application calls.
 */
import mittModule, { type Emitter } from 'mitt';
import { pino, type Logger } from 'pino';
import type { Tvf } from '../tvf/tvf.js';
import { messageOf, safeError } from '../tvf/unknown-value.js';
import type { MainState } from '../machines/main.machine.js';
import type { ProcessorState } from '../machines/processor.machine.js';
import type { ProcessorSpec } from './adaptor.js';
import { BusError } from './errors.js';
import type { InspectOption } from './inspect.js';
import type { TracingOption } from './request-context.js';
import { logLifecycle } from './lifecycle-log.js';
import { Main } from './main.js';
import type { Processor } from './processor.js';
import { ProcessorRuntime, type ProcessorHost } from './processor-runtime.js';
import { Requests, type BusObserver, type RequestOptions, type RequestStats } from './requests.js';
import { ServiceTable, type ProviderInfo, type ServiceTableView } from './service-table.js';
import { TableUpdates } from './table-updates.js';
import type { Transport } from './transport.js';
import { Transports } from './transports.js';

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
  /**
   * Traces requests (OpenTelemetry spans, trace context across NATS and HTTP): give
   * `otelTracing({...})` (docs/tracing.md). Decided once, here: without it nothing of
   * tracing runs on the hot path.
   * @defaultValue none: tracing off
   */
  tracing?: TracingOption;
}

/** Events a bus emits on `prosa.events` (a mitt emitter). */
export type ProsaEvents = {
  /** A processor changed lifecycle state. */
  'processor.state': { processor: Processor; state: ProcessorState; previous: ProcessorState };
  /** The service table changed (coalesced: one event per batch of changes, on a later turn). */
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

/** State of a bus: Main's, or `created` before `start()`. */
export type ProsaState = 'created' | MainState;

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
  /** The XState inspection observer the bus passes to its actors (the `inspect` option), if any. */
  readonly inspect: InspectOption | undefined;

  private readonly requests: Requests;
  private readonly table: ServiceTable;
  private readonly updates: TableUpdates;
  private readonly runtimes = new Map<string, ProcessorRuntime>();
  private readonly host: ProcessorHost;
  private readonly transports: Transports;
  private readonly stopTimeoutMs: number;
  private main: Main | undefined;
  private stoppedBeforeStart = false;

  constructor(options: ProsaOptions) {
    if (typeof options?.name !== 'string' || options.name.length === 0) {
      throw new BusError('InvalidOption', `name must be a non-empty string, got ${messageOf(options?.name)}`);
    }
    this.name = options.name;
    this.logger =
      options.logger ?? pino({ name: options.name, level: process.env['PROSA_LOG_LEVEL'] ?? 'info' });
    this.inspect = options.inspect;
    const graceMs = positive('shutdown.graceMs', options.shutdown?.graceMs, 5_000);
    const terminateTimeoutMs = positive('shutdown.terminateTimeoutMs', options.shutdown?.terminateTimeoutMs, 2_000);
    this.stopTimeoutMs = graceMs + terminateTimeoutMs + 100;
    this.requests = new Requests(
      positive('requestTimeoutMs', options.requestTimeoutMs, 10_000),
      positive('deadlineTickMs', options.deadlineTickMs, 10),
      options.observer,
      (error) => this.logger.error({ err: safeError(error) }, 'a request observer threw'),
      options.tracing?.forBus(options.name),
    );
    this.table = new ServiceTable(() => this.updates.changed());
    this.updates = new TableUpdates(this.table, (version) => this.events.emit('table', { version }));
    this.host = {
      requests: this.requests,
      table: this.table,
      updates: this.updates,
      logger: this.logger,
      inspect: this.inspect,
      maskPayload: options.maskPayload,
      drainGraceMs: graceMs,
      terminateTimeoutMs,
      changed: (runtime, state, previous) => this.processorChanged(runtime, state, previous),
    };
    this.transports = new Transports({
      name: this.name,
      logger: this.logger,
      table: this.table,
      events: this.events,
      inspect: this.inspect,
      requests: this.requests,
      isOpen: () => this.main !== undefined && this.main.state !== 'stopped',
    });
  }

  /** Main's lifecycle state, or `created` before `start()`. */
  get state(): ProsaState {
    if (this.stoppedBeforeStart) return 'stopped';
    return this.main?.state ?? 'created';
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
    this.main?.added(runtime);
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
      runtime.stop('removed');
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
    this.main ??= new Main({
      name: this.name,
      logger: this.logger,
      inspect: this.inspect,
      stopTimeoutMs: this.stopTimeoutMs,
      processors: this.runtimes,
      release: () => this.release(),
      changed: (state) => {
        this.logger.debug({ state }, 'main');
        this.events.emit('main.state', { state });
      },
    });
    if (!(await this.main.started())) {
      throw new BusError('BusStopped', `bus '${this.name}' stopped while starting`);
    }
    await this.transports.start();
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
    return this.transports.attach(transport, state === 'running');
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
    this.transports.withdraw();
    this.requests.closed = true;
    if (this.main !== undefined) {
      await this.main.stop(reason);
    } else if (!this.stoppedBeforeStart) {
      this.stoppedBeforeStart = true;
      for (const runtime of this.runtimes.values()) runtime.actor.stop();
      this.runtimes.clear();
      this.release();
    }
    await this.transports.close();
  }

  /** Releases the bus's timers once it stopped: the table updates, the deadline wheel. */
  private release(): void {
    this.updates.close();
    this.requests.release();
  }

  private processorChanged(runtime: ProcessorRuntime, state: ProcessorState, previous: ProcessorState): void {
    logLifecycle({ logger: runtime.logger, services: runtime.services, context: runtime.actor.getSnapshot().context }, state, previous);
    this.events.emit('processor.state', { processor: runtime.handle, state, previous });
    this.main?.processorChanged(runtime, state);
  }
}

/** Creates a bus. Nothing runs until `start()`. */
export function createProsa(options: ProsaOptions): Prosa {
  return new Prosa(options);
}
