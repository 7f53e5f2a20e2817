/**
 * One resolver attached to one directive instance: starts its actor with a fresh
 * {@link ResolverHandle} per run, notices when the run finishes or fails, and ends it
 * when its resolver set says so. The set decides when; this file only does it.
 */
import { createActor, type AnyActor } from 'xstate';
import type { InspectOption, ResolverShape } from '../actors/index.js';
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

/** What a run needs of its resolver set. */
export interface RunHost {
  readonly directive: Directive<unknown>;
  readonly clock: Clock;
  readonly inspect: InspectOption | undefined;
  /** Adds a value given by run number `run` of `resolver`; undefined when at the limit. */
  addValue(resolver: ResolverRun, run: number, value: unknown, options: ValueOptions<unknown> | undefined): number | undefined;
  /** Removes any value by id. */
  removeValue(id: number): boolean;
  /** The run's status changed from `previous`. */
  statusChanged(resolver: ResolverRun, previous: ResolverStatus): void;
  /** Run number `run` failed: its status is already `backoff`. */
  runFailed(resolver: ResolverRun, run: number, error: unknown): void;
  /** The backoff delay of a failed run is over. */
  restartDue(resolver: ResolverRun): void;
}

/** One resolver on one instance. */
export class ResolverRun {
  /** Where it is (see {@link ResolverStatus}). */
  private current: ResolverStatus = 'new';
  /** Failures in a row since it was last idle or done. */
  failures = 0;
  /** The error of its last failure, while in `backoff`. */
  lastError: unknown;
  /** Delay before the pending restart, while in `backoff`. */
  retryInMs = 0;

  private readonly host: RunHost;
  private actor: AnyActor | undefined;
  private controller: AbortController | undefined;
  private backoffTimer: unknown;
  /** Number of the current run; bumped whenever a run starts or ends, so a dead handle knows it is dead. */
  private generation = 0;

  constructor(
    host: RunHost,
    /** Name of what gave the resolver: a processor, or a bus-level handler. */
    readonly source: string,
    readonly resolver: ResolverShape,
  ) {
    this.host = host;
  }

  /** Where it is in its life on this instance. */
  get status(): ResolverStatus {
    return this.current;
  }

  /** Name of the resolver (values and reports name it). */
  get name(): string {
    return this.resolver.name;
  }

  /** Starts a new run: a new handle, a new actor. */
  start(): void {
    this.clearBackoff();
    const run = ++this.generation;
    const controller = new AbortController();
    this.controller = controller;
    const host = this.host;
    const live = () => run === this.generation;
    const handle: ResolverHandle<unknown> = {
      directive: host.directive,
      signal: controller.signal,
      add: (value, options) => (live() ? host.addValue(this, run, value, options) : undefined),
      remove: (id) => (live() ? host.removeValue(id) : false),
      idle: (isIdle = true) => {
        if (!live()) return;
        if (isIdle && this.current === 'running') {
          this.failures = 0;
          this.setStatus('idle');
        } else if (!isIdle && this.current === 'idle') {
          this.setStatus('running');
        }
      },
      fail: (error) => {
        if (live()) this.failed(run, error);
      },
      // The handle is the resolver actor's input, which the inspector shows: its name only,
      // never the directive's parameters (settings, and their secrets).
      toJSON: () => ({ directive: describeDirective(host.directive) }),
    };
    let actor: AnyActor;
    try {
      actor = createActor(this.resolver.logic, {
        id: `${this.source}/${this.resolver.name}`,
        input: handle,
        inspect: host.inspect,
        clock: host.clock,
      });
    } catch (error) {
      this.setStatus('running');
      this.failed(run, error);
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
        if (live()) this.failed(run, error);
      },
    });
    this.setStatus('running');
    actor.start();
  }

  /** Ends the current run, if any, and any pending restart; leaves the run in `next` (a `done` run stays `done` when held). */
  stop(next: 'held' | 'stopped'): void {
    this.generation++;
    this.clearBackoff();
    this.controller?.abort();
    const actor = this.actor;
    this.actor = undefined;
    this.setStatus(next === 'stopped' || this.current !== 'done' ? next : 'done');
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

  private failed(run: number, error: unknown): void {
    this.generation++;
    this.controller?.abort();
    const actor = this.actor;
    this.actor = undefined;
    this.failures++;
    this.lastError = error;
    const previous = this.current;
    this.current = 'backoff';
    actor?.stop();
    this.host.statusChanged(this, previous);
    this.host.runFailed(this, run, error);
  }

  private setStatus(status: ResolverStatus): void {
    const previous = this.current;
    this.current = status;
    this.host.statusChanged(this, previous);
  }

  private clearBackoff(): void {
    if (this.backoffTimer === undefined) return;
    this.host.clock.clearTimeout(this.backoffTimer);
    this.backoffTimer = undefined;
  }
}
