/**
 * The resolvers of one directive instance: every run attached to it, by source, with the
 * rules of when each runs (at once once the instance is attached and below its value
 * limit; held at the limit; restarted with backoff after a failure) and the fact the
 * instance's machine hears: whether some resolver is at work.
 */
import type { Logger } from 'pino';
import type { InspectOption, ResolverShape } from '../actors/index.js';
import { backoffDelay, type RestartPolicy } from '../machines/restart-policy.js';
import { safeError } from '../tvf/unknown-value.js';
import type { Clock } from './clock.js';
import type { Directive } from './directive.js';
import type { ResolverFailure, ResolverInfo } from './reference.js';
import type { ValueOptions } from './resolver.js';
import { ResolverRun, type ResolverStatus, type RunHost } from './resolver-run.js';
import type { ValueStore } from './values.js';

/** What a resolver set needs of its instance. */
export interface ResolverSetHost {
  readonly directive: Directive<unknown>;
  /** The directive's name, for logs. */
  readonly name: string;
  readonly clock: Clock;
  readonly inspect: InspectOption | undefined;
  readonly logger: Logger;
  /** Backoff of failed resolvers (only `delayMs` and `maxDelayMs` are used). */
  readonly restart: RestartPolicy;
  /** Where the instance is (its machine): `attached` once it left `pending` (a resolver attached now starts at once), `live` until disposed. */
  readonly lifecycle: { readonly attached: boolean; readonly live: boolean };
  /** Some resolver is at work (`true`) where none was, or none is any more (`false`). */
  busyChanged(busy: boolean): void;
  /** A resolver failed; it restarts after `failure.retryInMs`. */
  failed(failure: ResolverFailure): void;
}

/** The runs of one instance, in the order they were attached. */
export class ResolverSet implements RunHost {
  private readonly runs: ResolverRun[] = [];
  private readonly host: ResolverSetHost;
  private readonly values: ValueStore<ResolverRun>;

  constructor(host: ResolverSetHost, values: ValueStore<ResolverRun>) {
    this.host = host;
    this.values = values;
  }

  get directive(): Directive<unknown> {
    return this.host.directive;
  }

  get clock(): Clock {
    return this.host.clock;
  }

  get inspect(): InspectOption | undefined {
    return this.host.inspect;
  }

  /** True when some resolver is at work: started and neither idle, finished, held nor backing off. */
  get busy(): boolean {
    return this.runs.some((run) => run.status === 'running');
  }

  /**
   * Attaches the resolvers a source gave (malformed ones are logged and skipped). Once the
   * instance is attached they start at once, or are held when it is at its limit.
   */
  add(source: string, resolvers: readonly ResolverShape[]): void {
    for (const resolver of resolvers) {
      if (typeof resolver?.name !== 'string' || typeof resolver.logic !== 'object' || resolver.logic === null) {
        this.host.logger.warn({ directive: this.host.name, source }, 'ignored a malformed resolver');
        continue;
      }
      const run = new ResolverRun(this, source, resolver);
      this.runs.push(run);
      if (this.host.lifecycle.attached) this.startOrHold(run);
    }
  }

  /**
   * Stops the resolvers of a source for good and removes their values; then, if that
   * changed whether some resolver is at work, says so (after the removals, so that a
   * subscriber told the instance settled sees their values gone).
   */
  dropSource(source: string): void {
    const dropped = this.runs.filter((run) => run.source === source);
    if (dropped.length === 0) return;
    const wasBusy = this.busy;
    for (const run of dropped) this.runs.splice(this.runs.indexOf(run), 1);
    for (const run of dropped) run.stop('stopped');
    for (const run of dropped) this.values.removeFrom(run);
    if (this.busy !== wasBusy) this.host.busyChanged(!wasBusy);
  }

  /** Starts every resolver attached while the instance was pending (it just attached). */
  startNew(): void {
    for (const run of [...this.runs]) if (run.status === 'new') this.startOrHold(run);
  }

  /**
   * Stops every running resolver and holds it; its values stay (the instance reached its
   * limit). Does nothing when the store is below its limit again by now: the machine's
   * `full` lags when a value came and went within one of its effects, and holding then
   * would resume at once, and again, forever.
   */
  hold(): void {
    if (this.values.belowLimit) return;
    for (const run of this.runs) {
      if (run.status !== 'stopped' && run.status !== 'held' && run.status !== 'done') run.stop('held');
    }
  }

  /** Starts the held resolvers again while the instance is below its limit. */
  resume(): void {
    for (const run of [...this.runs]) {
      if (run.status === 'held' && this.values.belowLimit && this.runs.includes(run)) run.start();
    }
  }

  /** Stops every resolver for good and forgets them (the instance is disposed). */
  stopAll(): void {
    for (const run of this.runs.splice(0)) run.stop('stopped');
  }

  /** The resolvers and where they are, for inspection and tests. */
  info(): ResolverInfo[] {
    return this.runs.map((run) => ({
      resolver: run.name,
      source: run.source,
      status: run.status,
      values: this.values.idsFrom(run),
    }));
  }

  /** The failures of the resolvers now backing off. */
  failures(): ResolverFailure[] {
    return this.runs.filter((run) => run.status === 'backoff').map(failureOf);
  }

  // RunHost ----------------------------------------------------------------

  addValue(run: ResolverRun, runNumber: number, value: unknown, options: ValueOptions<unknown> | undefined): number | undefined {
    return this.host.lifecycle.live ? this.values.add(run, runNumber, value, options) : undefined;
  }

  removeValue(id: number): boolean {
    return this.values.remove(id);
  }

  statusChanged(run: ResolverRun, previous: ResolverStatus): void {
    const isBusy = run.status === 'running';
    if (isBusy === (previous === 'running')) return;
    // A run taken out of the set (its source went, the instance was disposed) no longer counts.
    if (!this.runs.includes(run)) return;
    // The set's busy flag flips only when no other run keeps it where it was.
    if (this.runs.some((other) => other !== run && other.status === 'running')) return;
    this.host.busyChanged(isBusy);
  }

  runFailed(run: ResolverRun, runNumber: number, error: unknown): void {
    const delay = backoffDelay(this.host.restart, run.failures);
    run.scheduleRestart(delay);
    this.host.logger.warn(
      { err: safeError(error), directive: this.host.name, resolver: run.name, source: run.source, failures: run.failures },
      `resolver failed; restarting in ${delay} ms`,
    );
    this.values.removeFrom(run, runNumber);
    this.host.failed(failureOf(run));
  }

  restartDue(run: ResolverRun): void {
    if (this.host.lifecycle.live && run.status === 'backoff' && this.runs.includes(run)) this.startOrHold(run);
  }

  private startOrHold(run: ResolverRun): void {
    if (this.values.belowLimit) run.start();
    else run.stop('held');
  }
}

function failureOf(run: ResolverRun): ResolverFailure {
  return { resolver: run.name, source: run.source, error: run.lastError, failures: run.failures, retryInMs: run.retryInMs };
}
