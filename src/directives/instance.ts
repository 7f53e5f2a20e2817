/**
 * One directive instance: the instance of an equivalence class of directives. It owns
 * its lifecycle machine (src/machines/directive.machine.ts) and composes three parts,
 * each keeping its own facts once: the values (`values.ts`: ids, TTLs, the limit), the
 * resolver runs (`resolver-set.ts`: who runs, held or backing off), and the references
 * (`reference.ts`). When a part's count crosses a boundary the instance tells the
 * machine; what the machine asks back (start, hold, resume the resolvers; tell the
 * references the instance settled; dispose) it emits, and the instance does it once the
 * transition is over.
 */
import type { Logger } from 'pino';
import { createActor, type Actor } from 'xstate';
import type { InspectOption, ResolverShape } from '../actors/index.js';
import {
  directiveMachine,
  directiveState,
  type DirectiveEvent,
  type DirectiveState,
  type DirectiveStateValue,
} from '../machines/directive.machine.js';
import type { RestartPolicy } from '../machines/restart-policy.js';
import { safeError } from '../tvf/unknown-value.js';
import type { Clock } from './clock.js';
import { describeDirective, type Directive, type ValueLimits } from './directive.js';
import {
  ReferenceSet,
  type DirectiveReference,
  type DirectiveValue,
  type ReferenceHost,
  type ResolverFailure,
  type ResolverInfo,
} from './reference.js';
import type { ResolverRun } from './resolver-run.js';
import { ResolverSet } from './resolver-set.js';
import { ValueStore } from './values.js';

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

/** A directive instance. */
export class DirectiveInstance implements ReferenceHost<unknown> {
  /** How logs and the inspector name it (`describeDirective`): short, never a long key. */
  readonly name: string;
  /** The first directive of the equivalence class. */
  readonly directive: Directive<unknown>;
  /** Registry key: kind and key. */
  readonly id: string;
  readonly actor: Actor<typeof directiveMachine>;

  private readonly host: InstanceHost;
  private readonly values: ValueStore<ResolverRun>;
  private readonly resolverSet: ResolverSet;
  private readonly refs: ReferenceSet<unknown>;

  /**
   * @param serial - number of the instance in its registry: it tells apart, in the
   *   inspector, two instances of one name (a processor being replaced).
   */
  constructor(host: InstanceHost, directive: Directive<unknown>, id: string, limits: ValueLimits, serial: number) {
    this.host = host;
    this.directive = directive;
    this.id = id;
    const name = describeDirective(directive);
    this.name = name;
    this.refs = new ReferenceSet<unknown>(this, {
      referenced: () => this.tell({ type: 'directive.referenced' }),
      unreferenced: () => this.tell({ type: 'directive.unreferenced' }),
    });
    this.values = new ValueStore<ResolverRun>(name, limits.maxValues, host.clock, {
      added: (entry) => this.refs.notify('added', entry),
      removed: (entry) => this.refs.notify('removed', entry),
      limitCrossed: (full) => this.tell({ type: full ? 'directive.limitReached' : 'directive.limitLeft' }),
      report: (error, what) => this.report(error, what),
    });
    this.resolverSet = new ResolverSet(
      {
        directive,
        name,
        clock: host.clock,
        inspect: host.inspect,
        logger: host.logger,
        restart: host.restart,
        lifecycle: this,
        busyChanged: (busy) => this.tell({ type: busy ? 'directive.becameBusy' : 'directive.becameQuiet' }),
        failed: (failure) => this.refs.notify('failed', failure),
      },
      this.values,
    );
    this.actor = createActor(directiveMachine, {
      id: `directive:${name}#${serial}`,
      inspect: host.inspect,
      clock: host.clock,
      input: { name, disposeAfterMs: limits.disposeAfterMs },
    });
    // The machine's effects: XState runs these once each transition is over (see the machine's notes).
    this.actor.on('resolvers.startRequested', () => {
      this.resolverSet.startNew();
      this.tell({ type: 'directive.started', busy: this.resolverSet.busy });
    });
    this.actor.on('resolvers.holdRequested', () => this.resolverSet.hold());
    this.actor.on('resolvers.resumeRequested', () => this.resolverSet.resume());
    this.actor.on('directive.settledChanged', ({ settled }) => this.refs.notify('settled', settled));
    this.actor.on('directive.disposed', () => this.disposeNow());
    this.actor.subscribe({ error: (error) => this.report(error, 'directive machine') });
    this.actor.start();
  }

  get clock(): Clock {
    return this.host.clock;
  }

  /** Lifecycle state, flattened from the machine. */
  get state(): DirectiveState {
    return directiveState(this.actor.getSnapshot().value as DirectiveStateValue);
  }

  /** True until disposed. */
  get live(): boolean {
    return this.actor.getSnapshot().status === 'active';
  }

  /** True once attached and until disposed: resolvers attached now start at once. */
  get attached(): boolean {
    const snapshot = this.actor.getSnapshot();
    return snapshot.status === 'active' && !snapshot.matches('pending');
  }

  /** True when attached and no resolver is at work (the machine's `idle`). */
  get settled(): boolean {
    return this.actor.getSnapshot().matches({ live: { activity: 'idle' } });
  }

  /** Number of references held. */
  get referenceCount(): number {
    return this.refs.size;
  }

  /** A new reference to this instance. */
  reference(): DirectiveReference<unknown> {
    return this.refs.take();
  }

  dropRef(ref: DirectiveReference<unknown>): void {
    this.refs.drop(ref);
  }

  /** The values, in the order they were added. */
  entries(): readonly DirectiveValue<unknown>[] {
    return this.values.entries();
  }

  failures(): ResolverFailure[] {
    return this.resolverSet.failures();
  }

  resolvers(): ResolverInfo[] {
    return this.resolverSet.info();
  }

  setTimer(fn: () => void, ms: number): () => void {
    const clock = this.host.clock;
    const id = clock.setTimeout(fn, ms);
    return () => clock.clearTimeout(id);
  }

  report(error: unknown, what: string): void {
    this.host.logger.warn({ err: safeError(error), directive: this.name }, `${what} threw`);
  }

  /** Moves the instance from `pending` to live: its resolvers start. */
  attach(): void {
    this.tell({ type: 'directive.attached' });
  }

  /** Attaches the resolvers a source gave; they start at once if the instance is attached and below its limit. */
  addResolvers(source: string, resolvers: readonly ResolverShape[]): void {
    if (this.live) this.resolverSet.add(source, resolvers);
  }

  /** Stops the resolvers of a source for good and removes their values. */
  dropSource(source: string): void {
    this.resolverSet.dropSource(source);
  }

  /** Disposes the instance now, whatever its references (the registry closes). */
  close(): void {
    this.tell({ type: 'directive.closeRequested' });
  }

  private disposeNow(): void {
    this.resolverSet.stopAll();
    this.values.clear();
    this.refs.endAll();
    this.host.forget(this);
  }

  /** Sends the machine an event, unless it already reached `disposed`. */
  private tell(event: DirectiveEvent): void {
    if (this.live) this.actor.send(event);
  }
}
