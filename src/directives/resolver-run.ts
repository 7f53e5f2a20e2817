/**
 * One resolver attached to one directive instance: starts its actor with a fresh
 * {@link ResolverHandle} per run, notices when the run finishes or fails, and ends it
 * when the instance says so. The instance decides when; this file only does it.
 */
import { createActor, type AnyActor } from 'xstate';
import type { ResolverShape } from '../actors/adaptor.js';
import type { InspectOption } from '../actors/inspect.js';
import type { Clock } from './clock.js';
import { describeDirective, type Directive } from './directive.js';
import type { ResolverHandle, ValueOptions } from './resolver.js';

/**
 * Where a resolver is in its life on one instance:
 * - `new`: attached before the instance went live, not started yet;
 * - `running`: its actor runs and has not said it is idle;
 * - `idle`: its actor runs and waits (`handle.idle()`);
 * - `done`: its actor finished on its own; its values stay;
 * - `backoff`: its run failed; the values that run gave were removed, and it restarts after a delay;
 * - `held`: stopped because the instance holds its value limit; its values stay;
 * - `stopped`: stopped for good (its source went, or the instance was disposed).
 */
export type ResolverStatus = 'new' | 'running' | 'idle' | 'done' | 'backoff' | 'held' | 'stopped';

/** What a run needs of its directive instance. */
export interface RunHost {
  readonly directive: Directive<unknown>;
  readonly clock: Clock;
  readonly inspect: InspectOption | undefined;
  /** Adds a value for `run`; undefined when at the limit. */
  addValue(run: ResolverRun, value: unknown, options: ValueOptions<unknown> | undefined): number | undefined;
  /** Removes any value by id. */
  removeValue(id: number): boolean;
  /** The run's status changed. */
  runChanged(run: ResolverRun): void;
  /** The run failed: its status is already `backoff`. */
  runFailed(run: ResolverRun, error: unknown): void;
  /** The backoff delay of a failed run is over. */
  restartDue(run: ResolverRun): void;
}

/** One resolver on one instance. */
export class ResolverRun {
  /** Where it is (see {@link ResolverStatus}). */
  status: ResolverStatus = 'new';
  /** Failures in a row since it was last idle or done. */
  failures = 0;
  /** The error of its last failure, while in `backoff`. */
  lastError: unknown;
  /** Delay before the pending restart, while in `backoff`. */
  retryInMs = 0;
  /** Ids of the values this resolver gave, over all its runs, that the instance still holds. */
  readonly values = new Set<number>();
  /** Ids of the values its current (or last) run gave that the instance still holds: a failure removes these. */
  readonly runValues = new Set<number>();

  private readonly host: RunHost;
  private actor: AnyActor | undefined;
  private controller: AbortController | undefined;
  private backoffTimer: unknown;
  private generation = 0;

  constructor(
    host: RunHost,
    /** Name of what gave the resolver: a processor, or a bus-level handler. */
    readonly source: string,
    readonly resolver: ResolverShape,
  ) {
    this.host = host;
  }

  /** True while its actor runs (`running` or `idle`). */
  get active(): boolean {
    return this.status === 'running' || this.status === 'idle';
  }

  /** Starts a new run: a new handle, a new actor. */
  start(): void {
    this.clearBackoff();
    this.runValues.clear();
    const generation = ++this.generation;
    const controller = new AbortController();
    this.controller = controller;
    const host = this.host;
    const live = () => generation === this.generation;
    const handle: ResolverHandle<unknown> = {
      directive: host.directive,
      signal: controller.signal,
      add: (value, options) => (live() ? host.addValue(this, value, options) : undefined),
      remove: (id) => (live() ? host.removeValue(id) : false),
      idle: (isIdle = true) => {
        if (!live()) return;
        if (isIdle && this.status === 'running') {
          this.failures = 0;
          this.setStatus('idle');
        } else if (!isIdle && this.status === 'idle') {
          this.setStatus('running');
        }
      },
      fail: (error) => {
        if (live()) this.failed(error);
      },
      // The handle is the resolver actor's input, which the inspector shows: its name only,
      // never the directive's parameters (settings, and their secrets).
      toJSON: () => ({ directive: describeDirective(host.directive) }),
    };
    this.status = 'running';
    let actor: AnyActor;
    try {
      actor = createActor(this.resolver.logic, {
        id: `${this.source}/${this.resolver.name}`,
        input: handle,
        inspect: host.inspect,
        clock: host.clock,
      });
    } catch (error) {
      this.host.runChanged(this);
      this.failed(error);
      return;
    }
    this.actor = actor;
    actor.subscribe({
      complete: () => {
        if (!live() || actor.getSnapshot().status !== 'done') return;
        this.generation++;
        this.actor = undefined;
        this.failures = 0;
        this.setStatus('done');
      },
      error: (error: unknown) => {
        if (live()) this.failed(error);
      },
    });
    this.host.runChanged(this);
    actor.start();
  }

  /** Ends the current run, if any, and any pending restart; leaves the run in `next`. */
  stop(next: 'held' | 'stopped'): void {
    this.generation++;
    this.clearBackoff();
    this.controller?.abort();
    const actor = this.actor;
    this.actor = undefined;
    if (next === 'stopped' || this.status !== 'done') this.status = next;
    this.host.runChanged(this);
    actor?.stop();
  }

  /** Schedules the restart of a failed run. */
  scheduleRestart(delayMs: number): void {
    this.clearBackoff();
    this.retryInMs = delayMs;
    this.backoffTimer = this.host.clock.setTimeout(() => {
      this.backoffTimer = undefined;
      this.host.restartDue(this);
    }, delayMs);
  }

  private failed(error: unknown): void {
    this.generation++;
    this.controller?.abort();
    const actor = this.actor;
    this.actor = undefined;
    this.failures++;
    this.lastError = error;
    this.status = 'backoff';
    actor?.stop();
    this.host.runChanged(this);
    this.host.runFailed(this, error);
  }

  private setStatus(status: ResolverStatus): void {
    this.status = status;
    this.host.runChanged(this);
  }

  private clearBackoff(): void {
    if (this.backoffTimer === undefined) return;
    this.host.clock.clearTimeout(this.backoffTimer);
    this.backoffTimer = undefined;
  }
}
