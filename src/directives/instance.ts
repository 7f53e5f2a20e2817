/**
 * One directive instance: the values of an equivalence class of directives, the
 * resolvers attached to it, the references that hold it, and its lifecycle machine
 * (src/machines/directive.machine.ts), which decides when resolvers are held and when
 * the instance is disposed. Values and resolver runs are bookkept here; the machine
 * hears the facts when they flip.
 */
import type { Logger } from 'pino';
import { createActor, type Actor } from 'xstate';
import type { ResolverShape } from '../actors/adaptor.js';
import type { InspectOption } from '../actors/inspect.js';
import {
  directiveMachine,
  directiveState,
  type DirectiveEvent,
  type DirectivePorts,
  type DirectiveState,
  type DirectiveStateValue,
} from '../machines/directive.machine.js';
import { backoffDelay, type RestartPolicy } from '../machines/restart-policy.js';
import type { Clock } from './clock.js';
import { describeDirective, type Directive, type ValueLimits } from './directive.js';
import {
  DirectiveReference,
  type DirectiveValue,
  type ReferenceHost,
  type ResolverFailure,
  type ResolverInfo,
} from './reference.js';
import type { ValueOptions } from './resolver.js';
import { ResolverRun, type RunHost } from './resolver-run.js';
import { safeError } from '../tvf/unknown-value.js';

/** What an instance needs of its registry. */
export interface InstanceHost {
  readonly clock: Clock;
  readonly inspect: InspectOption | undefined;
  readonly logger: Logger;
  /** Backoff of failed resolvers (only `delayMs` and `maxDelayMs` are used). */
  readonly restart: RestartPolicy;
  /** The instance was disposed: forget it. */
  forget(instance: DirectiveInstance): void;
}

/** One value held by an instance. */
interface ValueRecord extends DirectiveValue<unknown> {
  readonly run: ResolverRun;
  readonly release: ((value: unknown) => void) | undefined;
  timer: unknown;
}

/** A directive instance. */
export class DirectiveInstance implements DirectivePorts, RunHost, ReferenceHost<unknown> {
  /** How logs and the inspector name it (`describeDirective`): short, never a long key. */
  readonly name: string;
  /** The first directive of the equivalence class. */
  readonly directive: Directive<unknown>;
  /** Registry key: kind and key. */
  readonly id: string;
  readonly limits: ValueLimits;
  readonly actor: Actor<typeof directiveMachine>;

  private readonly host: InstanceHost;
  /** Values by id, in the order they were added (a Map: removing one costs O(1), not a scan). */
  private readonly values = new Map<number, ValueRecord>();
  private readonly runs: ResolverRun[] = [];
  private readonly refs = new Set<DirectiveReference<unknown>>();
  private nextValueId = 1;
  private busy = 0;
  private wasSettled = false;
  /** The facts as last told to the machine (it hears only flips). */
  private told = { busy: false, full: false };
  /** Work queued by the machine's actions, run after the transition (see `runEffects`). */
  private readonly effects: (() => void)[] = [];
  private runningEffects = false;

  /**
   * @param serial - number of the instance in its registry: it tells apart, in the
   *   inspector, two instances of one name (a processor being replaced).
   */
  constructor(host: InstanceHost, directive: Directive<unknown>, id: string, limits: ValueLimits, serial: number) {
    this.host = host;
    this.directive = directive;
    this.id = id;
    this.limits = limits;
    this.name = describeDirective(directive);
    this.actor = createActor(directiveMachine, {
      id: `directive:${this.name}#${serial}`,
      inspect: host.inspect,
      clock: host.clock,
      input: { name: this.name, maxValues: limits.maxValues, disposeAfterMs: limits.disposeAfterMs, ports: this },
    });
    // Observers hear every processed event, after its actions ran, outside any action.
    this.actor.subscribe({ next: () => this.runEffects(), error: (error) => this.report(error, 'directive machine') });
    this.actor.start();
  }

  get clock(): Clock {
    return this.host.clock;
  }

  /**
   * What JSON shows of the instance (it is the machine's ports, so the inspector would
   * otherwise be sent its directive's parameters, settings and secrets included): its name.
   */
  toJSON(): { directive: string } {
    return { directive: this.name };
  }

  get inspect(): InspectOption | undefined {
    return this.host.inspect;
  }

  /** Lifecycle state, flattened from the machine. */
  get state(): DirectiveState {
    return directiveState(this.actor.getSnapshot().value as DirectiveStateValue);
  }

  /** True until disposed. */
  get live(): boolean {
    return this.actor.getSnapshot().status === 'active';
  }

  /** True when attached and no resolver is at work. */
  get settled(): boolean {
    return this.busy === 0 && this.state !== 'pending' && this.live;
  }

  /** True while the instance holds fewer values than its limit. */
  get belowLimit(): boolean {
    return this.values.size < this.limits.maxValues;
  }

  /** Number of references held. */
  get referenceCount(): number {
    return this.refs.size;
  }

  // references ---------------------------------------------------------------

  /** A new reference to this instance. */
  reference(): DirectiveReference<unknown> {
    const ref = new DirectiveReference<unknown>(this);
    this.refs.add(ref);
    if (this.refs.size === 1) this.tell({ type: 'directive.referenced' });
    return ref;
  }

  dropRef(ref: DirectiveReference<unknown>): void {
    if (!this.refs.delete(ref)) return;
    if (this.refs.size === 0) this.tell({ type: 'directive.unreferenced' });
  }

  entries(): readonly DirectiveValue<unknown>[] {
    const out: DirectiveValue<unknown>[] = [];
    for (const record of this.values.values()) out.push(this.entryOf(record));
    return out;
  }

  failures(): ResolverFailure[] {
    return this.runs.filter((run) => run.status === 'backoff').map((run) => this.failureOf(run));
  }

  resolvers(): ResolverInfo[] {
    return this.runs.map((run) => ({
      resolver: run.resolver.name,
      source: run.source,
      status: run.status,
      values: [...run.values],
    }));
  }

  setTimer(fn: () => void, ms: number): () => void {
    const clock = this.host.clock;
    const id = clock.setTimeout(fn, ms);
    return () => clock.clearTimeout(id);
  }

  report(error: unknown, what: string): void {
    this.host.logger.warn({ err: safeError(error), directive: this.name }, `${what} threw`);
  }

  // resolvers ---------------------------------------------------------------

  /** Moves the instance from `pending` to live: its resolvers start. */
  attach(): void {
    this.actor.send({ type: 'directive.attach' });
    this.recount();
  }

  /** Attaches the resolvers a source gave; they start at once if the instance is live and below its limit. */
  addResolvers(source: string, resolvers: readonly ResolverShape[]): void {
    if (!this.live) return;
    const attached = this.state !== 'pending';
    for (const resolver of resolvers) {
      if (typeof resolver?.name !== 'string' || typeof resolver.logic !== 'object' || resolver.logic === null) {
        this.host.logger.warn({ directive: this.name, source }, 'ignored a malformed resolver');
        continue;
      }
      const run = new ResolverRun(this, source, resolver);
      this.runs.push(run);
      if (!attached) continue;
      if (this.belowLimit) run.start();
      else run.stop('held');
    }
  }

  /** Stops the resolvers of a source for good and removes their values. */
  dropSource(source: string): void {
    const dropped = this.runs.filter((run) => run.source === source);
    if (dropped.length === 0) return;
    for (const run of dropped) this.runs.splice(this.runs.indexOf(run), 1);
    for (const run of dropped) run.stop('stopped');
    for (const run of dropped) this.removeValuesOf(run);
    this.recount();
  }

  /** Disposes the instance now, whatever its references (the registry closes). */
  close(): void {
    if (this.live) this.actor.send({ type: 'directive.close' });
  }

  // DirectivePorts -----------------------------------------------------------
  // The machine's actions only queue the work: it runs once the transition is over (see
  // `runEffects`), so that resolvers, subscribers and release hooks never run inside an
  // XState action (where other machines they drive would run nested).

  startResolvers(): void {
    this.effects.push(() => this.startNewResolvers());
  }

  holdResolvers(): void {
    this.effects.push(() => this.holdRunningResolvers());
  }

  resumeResolvers(): void {
    this.effects.push(() => this.resumeHeldResolvers());
  }

  dispose(): void {
    this.effects.push(() => this.disposeNow());
  }

  /** Runs the work the machine's last transitions queued, in order; called after each transition. */
  private runEffects(): void {
    if (this.runningEffects) return;
    this.runningEffects = true;
    try {
      for (let effect = this.effects.shift(); effect !== undefined; effect = this.effects.shift()) effect();
    } finally {
      this.runningEffects = false;
    }
  }

  private startNewResolvers(): void {
    for (const run of [...this.runs]) {
      if (run.status !== 'new') continue;
      if (this.belowLimit) run.start();
      else run.stop('held');
    }
  }

  private holdRunningResolvers(): void {
    for (const run of this.runs) {
      if (run.status !== 'stopped' && run.status !== 'held' && run.status !== 'done') run.stop('held');
    }
  }

  private resumeHeldResolvers(): void {
    for (const run of [...this.runs]) {
      if (run.status === 'held' && this.belowLimit && this.runs.includes(run)) run.start();
    }
  }

  private disposeNow(): void {
    const runs = this.runs.splice(0);
    for (const run of runs) run.stop('stopped');
    const records = [...this.values.values()];
    for (let i = records.length - 1; i >= 0; i--) this.removeRecord(records[i]!, false);
    for (const ref of [...this.refs]) ref.end();
    this.refs.clear();
    this.busy = 0;
    this.host.forget(this);
  }

  // RunHost ----------------------------------------------------------------

  addValue(run: ResolverRun, value: unknown, options: ValueOptions<unknown> | undefined): number | undefined {
    if (!this.live || !this.belowLimit) return undefined;
    const ttlMs = options?.ttlMs;
    if (ttlMs !== undefined && (typeof ttlMs !== 'number' || !(ttlMs >= 0) || !Number.isFinite(ttlMs))) {
      throw new RangeError(`directive ${this.name}: ttlMs must be a finite number >= 0, got ${String(ttlMs)}`);
    }
    const record: ValueRecord = {
      id: this.nextValueId++,
      value,
      resolver: run.resolver.name,
      source: run.source,
      run,
      release: options?.release,
      timer: undefined,
    };
    this.values.set(record.id, record);
    run.values.add(record.id);
    run.runValues.add(record.id);
    if (ttlMs !== undefined) record.timer = this.host.clock.setTimeout(() => this.removeValue(record.id), ttlMs);
    const entry = this.entryOf(record);
    for (const ref of [...this.refs]) ref.notify('added', entry);
    this.tellLimit();
    return record.id;
  }

  removeValue(id: number): boolean {
    const record = this.values.get(id);
    if (record === undefined) return false;
    this.removeRecord(record, true);
    return true;
  }

  runChanged(): void {
    this.recount();
  }

  runFailed(run: ResolverRun, error: unknown): void {
    const delay = backoffDelay(this.host.restart, run.failures);
    run.scheduleRestart(delay);
    const failure = this.failureOf(run);
    this.host.logger.warn(
      { err: safeError(error), directive: this.name, resolver: run.resolver.name, source: run.source, failures: run.failures },
      `resolver failed; restarting in ${delay} ms`,
    );
    for (const id of [...run.runValues]) this.removeValue(id);
    for (const ref of [...this.refs]) ref.notify('failed', failure);
  }

  restartDue(run: ResolverRun): void {
    if (!this.live || run.status !== 'backoff' || !this.runs.includes(run)) return;
    if (this.belowLimit) run.start();
    else run.stop('held');
  }

  // internals ----------------------------------------------------------------

  private removeValuesOf(run: ResolverRun): void {
    for (const id of [...run.values]) this.removeValue(id);
  }

  private removeRecord(record: ValueRecord, tellMachine: boolean): void {
    if (!this.values.delete(record.id)) return;
    record.run.values.delete(record.id);
    record.run.runValues.delete(record.id);
    if (record.timer !== undefined) this.host.clock.clearTimeout(record.timer);
    const entry = this.entryOf(record);
    for (const ref of [...this.refs]) ref.notify('removed', entry);
    if (record.release !== undefined) {
      try {
        record.release(record.value);
      } catch (error) {
        this.report(error, 'value release');
      }
    }
    if (tellMachine) this.tellLimit();
  }

  /** Sends the machine an event, unless it already reached `disposed`. */
  private tell(event: DirectiveEvent): void {
    if (this.live) this.actor.send(event);
  }

  /** Tells the machine when the value count crosses the limit. */
  private tellLimit(): void {
    const full = !this.belowLimit;
    if (full === this.told.full) return;
    this.told.full = full;
    this.tell({ type: full ? 'directive.full' : 'directive.belowLimit' });
  }

  private entryOf(record: ValueRecord): DirectiveValue<unknown> {
    return { id: record.id, value: record.value, resolver: record.resolver, source: record.source };
  }

  private failureOf(run: ResolverRun): ResolverFailure {
    return {
      resolver: run.resolver.name,
      source: run.source,
      error: run.lastError,
      failures: run.failures,
      retryInMs: run.retryInMs,
    };
  }

  /** Recounts busy resolvers; tells the machine and the subscribers what changed. */
  private recount(): void {
    let busy = 0;
    for (const run of this.runs) if (run.status === 'running') busy++;
    this.busy = busy;
    if (busy > 0 !== this.told.busy) {
      this.told.busy = busy > 0;
      this.tell({ type: busy > 0 ? 'directive.busy' : 'directive.quiet' });
    }
    const settled = this.settled;
    if (settled !== this.wasSettled) {
      this.wasSettled = settled;
      for (const ref of [...this.refs]) ref.notify('settled', settled);
    }
  }
}
