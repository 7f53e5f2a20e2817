/**
 * References: what `directives.add(d)` returns to each holder of a directive instance
 * (Controller Bus's `Reference`), and the set of them an instance holds. A reference
 * reads the instance's values, subscribes to their changes, waits for the first value or
 * for the instance to settle, and is released once; the instance is disposed after its
 * grace period once every reference is.
 */
import type { DirectiveState } from '../machines/directive.machine.js';
import type { Directive } from './directive.js';
import { DirectiveError } from './errors.js';
import type { ResolverStatus } from './resolver-run.js';

/** One value of a directive, with the id its resolver got for it. */
export interface DirectiveValue<V> {
  /** Id, unique within the instance. */
  readonly id: number;
  /** The value. */
  readonly value: V;
  /** Name of the resolver that gave it. */
  readonly resolver: string;
  /** Name of the processor or bus-level handler that gave that resolver. */
  readonly source: string;
}

/** A resolver failure, as reported to subscribers and kept while the resolver backs off. */
export interface ResolverFailure {
  /** Name of the resolver. */
  readonly resolver: string;
  /** Name of the processor or bus-level handler that gave it. */
  readonly source: string;
  /** What it threw. */
  readonly error: unknown;
  /** Failures in a row, this one included. */
  readonly failures: number;
  /** Delay before it is started again. */
  readonly retryInMs: number;
}

/** A resolver attached to an instance, for inspection and tests. */
export interface ResolverInfo {
  /** Name of the resolver. */
  readonly resolver: string;
  /** Name of the processor or bus-level handler that gave it. */
  readonly source: string;
  /** Where it is in its life on this instance. */
  readonly status: ResolverStatus;
  /** Ids of the values it gave that the instance holds. */
  readonly values: readonly number[];
}

/**
 * Callbacks of a subscription. They run synchronously, in the order things happen;
 * keep them short. A throw is logged and does not reach the other subscribers.
 */
export interface DirectiveListener<V> {
  /** A value was added (at subscription, once for each value already there). */
  added?(entry: DirectiveValue<V>): void;
  /** A value was removed (removed by its resolver, expired, or its resolver or processor went). */
  removed?(entry: DirectiveValue<V>): void;
  /** The instance became settled (every resolver idle) or stopped being so. */
  settled?(settled: boolean): void;
  /** A resolver failed; it restarts after `retryInMs`. */
  failed?(failure: ResolverFailure): void;
}

/** Options of the waits of a reference. */
export interface WaitOptions {
  /**
   * Longest wait; past it the wait rejects with a `DirectiveError` `Timeout`.
   * @defaultValue none: wait until the reference is released
   */
  timeoutMs?: number;
}

/** What {@link DirectiveReference.collect} resolves with. */
export interface Collected<V> {
  /** The values once the instance settled, in the order they were added. */
  values: V[];
  /** Failures of resolvers still backing off at that moment. */
  errors: ResolverFailure[];
}

/** What a reference needs of its instance. */
export interface ReferenceHost<V> {
  readonly directive: Directive<V>;
  readonly name: string;
  readonly state: DirectiveState;
  readonly settled: boolean;
  entries(): readonly DirectiveValue<V>[];
  failures(): ResolverFailure[];
  resolvers(): ResolverInfo[];
  dropRef(ref: DirectiveReference<V>): void;
  setTimer(fn: () => void, ms: number): () => void;
  report(error: unknown, what: string): void;
}

/** What a {@link ReferenceSet} tells its instance when its count crosses zero. */
export interface ReferenceSetEvents {
  /** The first reference was taken (again). */
  referenced(): void;
  /** The last reference was released. */
  unreferenced(): void;
}

/** The references of one instance: hands them out, tells each what happens, ends them all. */
export class ReferenceSet<V> {
  private readonly refs = new Set<DirectiveReference<V>>();
  private readonly host: ReferenceHost<V>;
  private readonly events: ReferenceSetEvents;

  constructor(host: ReferenceHost<V>, events: ReferenceSetEvents) {
    this.host = host;
    this.events = events;
  }

  /** References held. */
  get size(): number {
    return this.refs.size;
  }

  /** A new reference to the instance. */
  take(): DirectiveReference<V> {
    const ref = new DirectiveReference<V>(this.host);
    this.refs.add(ref);
    if (this.refs.size === 1) this.events.referenced();
    return ref;
  }

  /** Forgets a released reference (a second call does nothing). */
  drop(ref: DirectiveReference<V>): void {
    if (this.refs.delete(ref) && this.refs.size === 0) this.events.unreferenced();
  }

  /** Tells every reference's subscribers, in order; a reference released meanwhile hears nothing more. */
  notify<K extends keyof DirectiveListener<V>>(kind: K, payload: Parameters<NonNullable<DirectiveListener<V>[K]>>[0]): void {
    for (const ref of [...this.refs]) ref.notify(kind, payload);
  }

  /** Ends every reference without counting it down (the instance is disposed). */
  endAll(): void {
    const refs = [...this.refs];
    this.refs.clear();
    for (const ref of refs) ref.end();
  }
}

/** A holder's reference to a directive instance. */
export class DirectiveReference<V> {
  private readonly host: ReferenceHost<V>;
  private readonly listeners = new Set<DirectiveListener<V>>();
  private readonly releaseWatchers = new Set<() => void>();
  private isReleased = false;

  /** @internal Made by `Directives.add`, through its instance's {@link ReferenceSet}. */
  constructor(host: ReferenceHost<V>) {
    this.host = host;
  }

  /** The instance's directive: the first of its equivalence class that was added. */
  get directive(): Directive<V> {
    return this.host.directive;
  }

  /** True once `release()` was called, or the directives were closed. */
  get released(): boolean {
    return this.isReleased;
  }

  /** Lifecycle state of the instance. */
  get state(): DirectiveState {
    return this.host.state;
  }

  /** True when every resolver of the instance ran once and waits (or is held, done, or backing off). */
  get settled(): boolean {
    return !this.isReleased && this.host.settled;
  }

  /** The values, in the order they were added; empty once released. */
  get values(): V[] {
    return this.entries.map((entry) => entry.value);
  }

  /** The values with their ids and resolvers; empty once released. */
  get entries(): readonly DirectiveValue<V>[] {
    return this.isReleased ? [] : this.host.entries();
  }

  /** Failures of resolvers now backing off. */
  get errors(): ResolverFailure[] {
    return this.isReleased ? [] : this.host.failures();
  }

  /** The resolvers attached to the instance and where they are. */
  resolvers(): ResolverInfo[] {
    return this.host.resolvers();
  }

  /**
   * Subscribes to the instance: `added` is called at once for each value already there,
   * then every add and remove follows in order. Returns the unsubscribe function (safe
   * during a notification). Released references take no subscriber: throws a
   * `DirectiveError` `Released`.
   */
  subscribe(listener: DirectiveListener<V>): () => void {
    this.assertHeld();
    this.listeners.add(listener);
    if (listener.added !== undefined) {
      for (const entry of this.host.entries()) {
        if (!this.listeners.has(listener)) break;
        this.call(listener, 'added', entry);
      }
    }
    return () => void this.listeners.delete(listener);
  }

  /**
   * Releases this reference. Idempotent. Its subscribers hear nothing more, and waits on
   * it reject with `Released`. The last release starts the instance's grace period.
   */
  release(): void {
    if (this.isReleased) return;
    this.end();
    this.host.dropRef(this);
  }

  /**
   * The first value: at once if the instance holds one, else the next one added. Rejects
   * with a `DirectiveError`: `Timeout` past `timeoutMs`, `Released` if the reference is
   * released first.
   */
  firstValue(options: WaitOptions = {}): Promise<V> {
    return this.wait<V>(options, 'a first value', 'no value came', (resolve) => {
      const first = this.host.entries()[0];
      if (first !== undefined) {
        resolve(first.value);
        return undefined;
      }
      return { added: (entry) => resolve(entry.value) };
    });
  }

  /**
   * The values once the instance is settled (at once if it is), with the failures of
   * resolvers backing off. Rejects with `Timeout` past `timeoutMs`, `Released` if the
   * reference is released first.
   */
  collect(options: WaitOptions = {}): Promise<Collected<V>> {
    const collected = (): Collected<V> => ({ values: this.values, errors: this.errors });
    return this.wait<Collected<V>>(options, 'the directive to settle', 'it did not settle', (resolve) => {
      if (this.host.settled) {
        resolve(collected());
        return undefined;
      }
      return {
        settled: (settled) => {
          if (settled) resolve(collected());
        },
      };
    });
  }

  /** @internal Called by the instance for each event, in order. */
  notify<K extends keyof DirectiveListener<V>>(kind: K, payload: Parameters<NonNullable<DirectiveListener<V>[K]>>[0]): void {
    for (const listener of this.listeners) this.call(listener, kind, payload);
  }

  /** @internal Ends this reference without telling the instance (disposal, close). */
  end(): void {
    if (this.isReleased) return;
    this.isReleased = true;
    this.listeners.clear();
    const watchers = [...this.releaseWatchers];
    this.releaseWatchers.clear();
    for (const watcher of watchers) watcher();
  }

  private call<K extends keyof DirectiveListener<V>>(
    listener: DirectiveListener<V>,
    kind: K,
    payload: Parameters<NonNullable<DirectiveListener<V>[K]>>[0],
  ): void {
    const callback = listener[kind] as ((value: typeof payload) => void) | undefined;
    if (callback === undefined) return;
    try {
      callback.call(listener, payload);
    } catch (error) {
      this.host.report(error, `directive listener '${kind}'`);
    }
  }

  private assertHeld(): void {
    if (this.isReleased) {
      throw new DirectiveError('Released', 'the reference was released', { directive: this.host.name });
    }
  }

  /** Runs a wait: `arm` resolves at once or returns the listener that will. */
  private wait<T>(
    options: WaitOptions,
    what: string,
    timedOut: string,
    arm: (resolve: (value: T) => void) => DirectiveListener<V> | undefined,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const released = () =>
        new DirectiveError('Released', `the reference was released while waiting for ${what}`, { directive: this.host.name });
      if (this.isReleased) {
        reject(released());
        return;
      }
      let done = false;
      let cleanup = (): void => undefined;
      const finish = (settle: () => void) => {
        if (done) return;
        done = true;
        cleanup();
        settle();
      };
      const listener = arm((value) => finish(() => resolve(value)));
      if (listener === undefined) return;
      const onReleased = () => finish(() => reject(released()));
      this.listeners.add(listener);
      this.releaseWatchers.add(onReleased);
      let cancelTimer: (() => void) | undefined;
      cleanup = () => {
        this.listeners.delete(listener);
        this.releaseWatchers.delete(onReleased);
        cancelTimer?.();
      };
      const timeoutMs = options.timeoutMs;
      if (timeoutMs !== undefined) {
        cancelTimer = this.host.setTimer(
          () =>
            finish(() =>
              reject(new DirectiveError('Timeout', `${timedOut} within ${timeoutMs} ms`, { directive: this.host.name })),
            ),
          timeoutMs,
        );
      }
    });
  }
}
