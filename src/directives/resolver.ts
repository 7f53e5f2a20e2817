/**
 * Resolvers: the actors that answer a directive with values (Controller Bus's
 * `Resolver`). The bus starts a resolver with a {@link ResolverHandle} as its input, stops
 * it when the directive is released or holds its value limit, and starts it again when
 * the count falls below the limit. A resolver that throws is restarted with backoff.
 */
import { fromCallback, fromPromise, type AnyActorLogic, type EventObject } from 'xstate';
import type { Directive } from './directive.js';

/** Options of one value, given to {@link ResolverHandle.add}. */
export interface ValueOptions<V> {
  /**
   * Lifetime of the value: it expires (is removed) this long after it was added.
   * @defaultValue none: the value stays until removed
   */
  ttlMs?: number;
  /**
   * Called once when the value leaves the directive, whatever the reason (removed,
   * expired, the run that gave it failed, its processor stopped, the directive disposed). Not
   * called when the resolver is only held at the value limit: the value stays then.
   * Errors are logged.
   */
  release?(value: V): void;
}

/**
 * What a resolver gets as its actor input: one handle per run. Once the run ends
 * (stopped, held, failed) the handle is dead: `add` returns undefined and the rest do
 * nothing.
 */
export interface ResolverHandle<V> {
  /** The directive being resolved. */
  readonly directive: Directive<V>;
  /** Aborted when this run ends. */
  readonly signal: AbortSignal;
  /**
   * Adds a value. Returns its id, or undefined when the directive already holds its value
   * limit or the run has ended.
   */
  add(value: V, options?: ValueOptions<V>): number | undefined;
  /** Removes a value by id (any value of the directive). Returns whether it was there. */
  remove(id: number): boolean;
  /**
   * Marks this run idle (it did its first pass and now waits) or busy again. A run that
   * finishes (a `fromPromise` resolver resolving) is idle without calling it.
   */
  idle(isIdle?: boolean): void;
  /** Fails this run from asynchronous work (a callback resolver's lost watch): it is restarted with backoff. */
  fail(error: unknown): void;
  /**
   * What JSON (and so the inspector, which is shown the handle as the resolver actor's
   * input) shows of the handle: the directive's name, never its parameters.
   */
  toJSON(): { directive: string };
}

/** A resolver of values of type `V`. */
export interface Resolver<V = unknown> {
  /** Name in logs, reports and the inspector. */
  readonly name: string;
  /** Actor logic started with a {@link ResolverHandle} of `V` as its input. */
  readonly logic: AnyActorLogic;
  /** Type-only: the type of values it gives. */
  readonly valueType?: (value: V) => void;
}

/**
 * A resolver from any actor logic (a machine, say) that takes a {@link ResolverHandle}
 * as its input. A logic that reaches `done` counts as idle; one that errors is restarted.
 */
export function resolver<V>(name: string, logic: AnyActorLogic): Resolver<V> {
  return { name, logic };
}

/**
 * A long-lived resolver: `run` is an XState `fromCallback` body that gets the handle and
 * returns its cleanup, called when the run ends. It must call `handle.idle()` once its
 * first pass is done (the directive counts as settled when every resolver is idle). A
 * synchronous throw, or `handle.fail(error)`, restarts it with backoff.
 */
export function callbackResolver<V>(
  name: string,
  run: (handle: ResolverHandle<V>, receive: (listener: (event: EventObject) => void) => void) => void | (() => void),
): Resolver<V> {
  return resolver(
    name,
    fromCallback<EventObject, ResolverHandle<V>>(({ input, receive }) => run(input, receive)),
  );
}

/**
 * A one-shot resolver: `run` is an XState `fromPromise` body; the run is idle once its
 * promise resolves (its values stay), and restarted with backoff if it rejects. `signal`
 * aborts when the run is stopped.
 */
export function promiseResolver<V>(
  name: string,
  run: (handle: ResolverHandle<V>, signal: AbortSignal) => PromiseLike<void> | void,
): Resolver<V> {
  return resolver(
    name,
    fromPromise<void, ResolverHandle<V>>(async ({ input, signal }) => {
      await run(input, signal);
    }),
  );
}
