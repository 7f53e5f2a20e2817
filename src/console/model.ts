/**
 * What the console knows of a running instance, and how it tells: it follows the bus's
 * events (lifecycle changes, table changes, Main's state) and the instance's (settings
 * applies, refused reloads) into bounded logs, counts requests per service into figures
 * ticks, and builds the JSON views the API serves (see docs/console.md). Every message it
 * builds goes to `onMessage` once, as JSON text: the stream hub broadcasts it.
 *
 * Nothing here reads a payload; error texts shown (crash causes, refused reloads) have the
 * settings' secrets redacted. Memory is bounded by `ConsoleLimits` however long it runs.
 */
import { createRequire } from 'node:module';
import type { Emitter, EventType, Handler } from 'mitt';
import type { Processor } from '../actors/processor.js';
import type { ProviderInfo } from '../actors/service-table.js';
import { maskInstanceSettings, instanceSecrets } from '../config/mask-settings.js';
import type { ConsoleLimits } from '../config/console-settings.js';
import type { Instance } from '../instance/instance.js';
import type { ApplyReport } from '../instance/live-settings.js';
import type { MainState } from '../machines/main.machine.js';
import type { ProcessorState } from '../machines/processor.machine.js';
import { ProcessFigures, type ProcessSample } from '../observability/process-figures.js';
import { redactSecrets } from '../observability/secrets.js';
import { messageOf } from '../tvf/unknown-value.js';
import { BoundedLog } from './bounded-log.js';
import { IntervalFigures, type FiguresTick } from './figures.js';
import { CONSOLE_MACHINES, machineGraph, type MachineGraph } from './machines.js';

const { version: PROSA_VERSION } = createRequire(import.meta.url)('../../package.json') as { version: string };

let MACHINE_GRAPHS: Readonly<Record<string, MachineGraph>> | undefined;

/** One entry of the event log: `/api/v1/events`, and the stream's `event` messages. */
export interface ConsoleEvent {
  /** Its number, increasing (also the SSE `id`). */
  id: number;
  /** When it happened (ISO 8601, UTC). */
  at: string;
  /** What happened. */
  type: 'processor.state' | 'processor.removed' | 'main.state' | 'settings.applied' | 'settings.refused';
  /** The processor, for `processor.*` events. */
  processor?: string;
  /** The new state (`processor.state`, `main.state`), or the final one (`processor.removed`). */
  state?: string;
  /** The state it left (`processor.state`). */
  previous?: string;
  /** Why, when known: a crash's message, a refused reload's error (secrets redacted). */
  cause?: string;
  /** What an apply changed (`settings.applied`): processor names by change, failures with their reason (secrets redacted). */
  changes?: ApplyReport;
}

/** One recent transition of a processor (`/api/v1/processors/<name>`). */
export interface ProcessorTransition {
  /** When (ISO 8601, UTC). */
  at: string;
  /** The state it left. */
  from: string;
  /** The state it entered. */
  to: string;
  /** A crash's message (secrets redacted) when it entered `crashed` or `failed`, else null. */
  cause: string | null;
}

/** A processor as `/api/v1/processors` lists it. */
export interface ProcessorView {
  name: string;
  /** Its kind (settings `kind`). */
  kind: string;
  /** Its lifecycle state (a leaf of the processor machine: `serving`, `crashed`, ...). */
  state: ProcessorState;
  /** That state's node id in `/api/v1/machines/processor` (`processor.active.serving`). */
  stateId: string | null;
  /** Since when it is in that state (ISO 8601), as far as the console saw. */
  since: string;
  /** Services it declares. */
  services: string[];
  /** Restarts seen since the console started (entries into `restarting`). */
  restarts: number;
  /** Crashes seen since the console started. */
  crashes: number;
  /** Where its adaptor runs: 0 on the main event loop, N on N worker threads. */
  threads: number;
  /** Requests in flight at it now. */
  inFlight: number;
  /** The message of its last crash (secrets redacted), or null. */
  lastError: string | null;
}

/** `/api/v1/processors/<name>`: the view, and its recent transitions, oldest first. */
export interface ProcessorDetail extends ProcessorView {
  transitions: ProcessorTransition[];
}

/** One service of `/api/v1/services`. */
export interface ServiceView {
  name: string;
  /** True while at least one provider (local or remote) is in the table. */
  provided: boolean;
  /** Its providers in table order; a remote one names the instances behind it when the transport says. */
  providers: ProviderInfo[];
  /** Processors of this instance that declare it (serving or not). */
  declaredBy: string[];
}

/** `/api/v1/services`, and the stream's `services` message. */
export interface ServicesView {
  /** The table version (increases with every change). */
  version: number;
  /** Every service in the table or declared by a processor, by name. */
  services: ServiceView[];
}

/** `/api/v1/instance`. */
export interface InstanceView {
  name: string;
  /** prosa's version. */
  version: string;
  /** Main's state (`created` before start). */
  state: MainState | 'created';
  /** When the console started watching (ISO 8601). */
  startedAt: string;
  /** Seconds since then. */
  uptimeSeconds: number;
  /** The settings applied last, every secret masked. */
  settings: unknown;
  /** Settings applies seen (reloads and API applies). */
  applies: number;
  /** Request counters since the bus was created. */
  requests: ReturnType<Instance['prosa']['stats']>;
  /** Memory, CPU and event-loop delay of the process, as of the last figures tick. */
  process: ProcessSample;
  /** What this console allows. */
  console: { enableCall: boolean; enableApply: boolean; figuresIntervalMs: number; limits: ConsoleLimits };
}

/** The stream's first message: everything a page needs to draw at once. */
export interface ConsoleSnapshot {
  instance: InstanceView;
  processors: ProcessorView[];
  services: ServicesView;
  /** Recent events, oldest first. */
  events: ConsoleEvent[];
  /** Recent figures ticks, oldest first. */
  figures: FiguresTick[];
}

/** Names of the stream's messages (SSE `event:` field) and their data. */
export type ConsoleMessages = {
  snapshot: ConsoleSnapshot;
  event: ConsoleEvent;
  processors: ProcessorView[];
  services: ServicesView;
  figures: FiguresTick;
};

/** Options of a {@link ConsoleModel}. */
export interface ConsoleModelOptions {
  limits: ConsoleLimits;
  figuresIntervalMs: number;
  latencySampleEvery: number;
  enableCall: boolean;
  enableApply: boolean;
  /** Called with every message built, once, as JSON text (and the event id for `event`). */
  onMessage: (type: keyof ConsoleMessages, text: string, id?: number) => void;
  /**
   * The wall clock, in milliseconds since the epoch.
   * @defaultValue `Date.now`
   */
  now?: () => number;
}

/** What the console tracks of one processor beyond its handle. */
class Tracked {
  restarts = 0;
  crashes = 0;
  since: number;
  readonly transitions: ProcessorTransition[] = [];
  constructor(now: number) {
    this.since = now;
  }
}

/** The console's state of one instance. Open until `close()`. */
export class ConsoleModel {
  /** Recent events. */
  readonly events: BoundedLog<ConsoleEvent>;
  /** Recent figures ticks. */
  readonly figures: BoundedLog<FiguresTick>;
  private readonly tracked = new Map<string, Tracked>();
  private readonly counts: IntervalFigures;
  private readonly processFigures = new ProcessFigures();
  private readonly now: () => number;
  private readonly startedAt: number;
  private lastTick: number;
  private applies = 0;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly undo: (() => void)[] = [];
  private servicesPending = false;
  private closed = false;
  private readonly stateIds: Record<string, string>;

  constructor(
    readonly instance: Instance,
    private readonly options: ConsoleModelOptions,
  ) {
    const { limits } = options;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.lastTick = this.startedAt;
    this.events = new BoundedLog(limits.maxEvents, limits.maxEventBytes);
    this.figures = new BoundedLog(limits.figuresHistory, limits.maxFiguresBytes);
    this.counts = new IntervalFigures({ maxServices: limits.maxServices, latencySampleEvery: options.latencySampleEvery });
    this.stateIds = this.machines()['processor']!.stateIds;
    const prosa = instance.prosa;
    this.undo.push(prosa.observe(this.counts));
    const onState = ({ processor, state, previous }: { processor: Processor; state: ProcessorState; previous: ProcessorState }) =>
      this.processorChanged(processor, state, previous);
    const onRemoved = ({ processor, state }: { processor: Processor; state: ProcessorState }) => {
      this.tracked.delete(processor.name);
      this.record({ type: 'processor.removed', processor: processor.name, state });
      this.sendProcessors();
    };
    const onMain = ({ state }: { state: MainState }) => this.record({ type: 'main.state', state });
    const onTable = () => this.sendServices();
    const onApplied = ({ report }: { report: ApplyReport }) => {
      this.applies++;
      this.record({ type: 'settings.applied', changes: this.redactReport(report) });
      this.sendProcessors();
      this.sendServices();
    };
    const onRefused = ({ trigger, error }: { trigger: string; error: unknown }) =>
      this.record({ type: 'settings.refused', cause: `${trigger}: ${this.redact(messageOf(error))}` });
    this.follow(prosa.events, 'processor.state', onState);
    this.follow(prosa.events, 'processor.removed', onRemoved);
    this.follow(prosa.events, 'main.state', onMain);
    this.follow(prosa.events, 'table', onTable);
    this.follow(instance.events, 'settings.applied', onApplied);
    this.follow(instance.events, 'settings.refused', onRefused);
    this.timer = setInterval(() => this.tick(), options.figuresIntervalMs);
    this.timer.unref();
  }

  /** `/api/v1/instance`. */
  instanceView(): InstanceView {
    const { instance, options } = this;
    return {
      name: instance.prosa.name,
      version: PROSA_VERSION,
      state: instance.prosa.state,
      startedAt: new Date(this.startedAt).toISOString(),
      uptimeSeconds: (this.now() - this.startedAt) / 1000,
      settings: maskInstanceSettings(instance.settings, instance.kinds),
      applies: this.applies,
      requests: instance.prosa.stats(),
      process: this.processFigures.latest(),
      console: {
        enableCall: options.enableCall,
        enableApply: options.enableApply,
        figuresIntervalMs: options.figuresIntervalMs,
        limits: { ...options.limits },
      },
    };
  }

  /** `/api/v1/processors`: every processor of the instance, in settings order. */
  processorViews(): ProcessorView[] {
    const out: ProcessorView[] = [];
    for (const name of this.instance.processors.keys()) {
      const view = this.processorView(name);
      if (view !== undefined) out.push(view);
    }
    return out;
  }

  /** `/api/v1/processors/<name>`, or undefined when no processor has that name. */
  processorDetail(name: string): ProcessorDetail | undefined {
    const view = this.processorView(name);
    if (view === undefined) return undefined;
    return { ...view, transitions: [...(this.tracked.get(name)?.transitions ?? [])] };
  }

  /** `/api/v1/services`. */
  servicesView(): ServicesView {
    const table = this.instance.prosa.serviceTable;
    const detail = table.detail();
    const declared = new Map<string, string[]>();
    for (const [name, entry] of this.instance.processors) {
      for (const service of entry.processor.services) {
        let list = declared.get(service);
        if (list === undefined) declared.set(service, (list = []));
        list.push(name);
      }
    }
    const names = new Set([...Object.keys(detail), ...declared.keys()]);
    const services = [...names].sort().map((name) => {
      const providers = detail[name] ?? [];
      return { name, provided: providers.length > 0, providers, declaredBy: declared.get(name) ?? [] };
    });
    return { version: table.version, services };
  }

  /** `/api/v1/machines`: the lifecycle machines' graphs, by name (made once: the definitions never change). */
  machines(): Readonly<Record<string, MachineGraph>> {
    return (MACHINE_GRAPHS ??= Object.fromEntries(Object.entries(CONSOLE_MACHINES).map(([name, machine]) => [name, machineGraph(machine)])));
  }

  /** The stream's first message, as JSON text (events and figures reused as they are held). */
  snapshotText(): string {
    const head = JSON.stringify({ instance: this.instanceView(), processors: this.processorViews(), services: this.servicesView() });
    return `${head.slice(0, -1)},"events":${this.events.jsonArray()},"figures":${this.figures.jsonArray()}}`;
  }

  /** Secrets of the settings applied now, replaced by `***` in `text`. */
  redact(text: string): string {
    return redactSecrets(text, instanceSecrets(this.instance.settings, this.instance.kinds));
  }

  /** Ends the figures timer and every subscription. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const undo of this.undo.splice(0)) undo();
    this.processFigures.close();
  }

  /** Ends the current figures interval now (the timer calls it every `figuresIntervalMs`). */
  tick(): FiguresTick {
    const now = this.now();
    const present = this.instance.prosa.serviceTable.localServices();
    const tick = this.counts.tick(now - this.lastTick, this.instance.prosa.stats().inFlight, present, this.processFigures.sample(), new Date(now));
    this.lastTick = now;
    const entry = this.figures.push(() => tick);
    this.options.onMessage('figures', entry.text);
    return tick;
  }

  /** Handles `type` of `emitter` until `close()`. */
  private follow<Events extends Record<EventType, unknown>, Key extends keyof Events>(emitter: Emitter<Events>, type: Key, handler: Handler<Events[Key]>): void {
    emitter.on(type, handler);
    this.undo.push(() => emitter.off(type, handler));
  }

  private redactReport(report: ApplyReport): ApplyReport {
    return { ...report, failed: report.failed.map(({ processor, error }) => ({ processor, error: this.redact(error) })) };
  }

  private processorView(name: string): ProcessorView | undefined {
    const entry = this.instance.processors.get(name);
    if (entry === undefined) return undefined;
    const { processor, settings } = entry;
    const tracked = this.trackedOf(name);
    const lastError = processor.lastError;
    const threads = (settings as { threads?: unknown }).threads;
    return {
      name,
      kind: settings.kind,
      state: processor.state,
      stateId: this.stateIds[processor.state] ?? null,
      since: new Date(tracked.since).toISOString(),
      services: [...processor.services],
      restarts: tracked.restarts,
      crashes: tracked.crashes,
      threads: typeof threads === 'number' ? threads : 0,
      inFlight: processor.inFlight,
      lastError: lastError === undefined ? null : this.redact(messageOf(lastError)),
    };
  }

  private trackedOf(name: string): Tracked {
    let tracked = this.tracked.get(name);
    if (tracked === undefined) this.tracked.set(name, (tracked = new Tracked(this.startedAt)));
    return tracked;
  }

  private processorChanged(processor: Processor, state: ProcessorState, previous: ProcessorState): void {
    const now = this.now();
    const tracked = this.trackedOf(processor.name);
    if (state === 'restarting') tracked.restarts++;
    if (state === 'crashed') tracked.crashes++;
    tracked.since = now;
    const cause = (state === 'crashed' || state === 'failed') && processor.lastError !== undefined ? this.redact(messageOf(processor.lastError)) : null;
    tracked.transitions.push({ at: new Date(now).toISOString(), from: previous, to: state, cause });
    if (tracked.transitions.length > this.options.limits.transitionsPerProcessor) tracked.transitions.shift();
    this.record({ type: 'processor.state', processor: processor.name, state, previous, ...(cause === null ? {} : { cause }) });
    this.sendProcessors();
  }

  private record(event: Omit<ConsoleEvent, 'id' | 'at'>): void {
    const at = new Date(this.now()).toISOString();
    const entry = this.events.push((id) => ({ id, at, ...event }));
    this.options.onMessage('event', entry.text, entry.id);
  }

  private sendProcessors(): void {
    this.options.onMessage('processors', JSON.stringify(this.processorViews()));
  }

  /** Table changes come coalesced already; an apply adds one more: sent once per turn. */
  private sendServices(): void {
    if (this.servicesPending) return;
    this.servicesPending = true;
    queueMicrotask(() => {
      this.servicesPending = false;
      if (!this.closed) this.options.onMessage('services', JSON.stringify(this.servicesView()));
    });
  }
}
