/**
 * `ProsaError`: the one base of prosa's errors: a `kind` literal naming what went wrong,
 * whether trying again may help (`recoverable`), and the `cause`. It sits in the lowest
 * layer so that the errors of every layer, this one's included, can extend it.
 */

/** How a {@link ProsaError} is made. */
export interface ProsaErrorOptions {
  /** Whether the same call, or a restart, may succeed later. */
  recoverable: boolean;
  /** The error this one wraps; left off (no `cause` property at all) when undefined. */
  cause?: unknown;
}

/**
 * The base of prosa's errors. A subclass names its kinds as a union of string literals,
 * sets `name` to its class name, and says in its constructor what makes it recoverable.
 * `instanceof ProsaError` holds for all of them.
 */
export abstract class ProsaError<K extends string = string> extends Error {
  /** What went wrong: one of the subclass's literals. */
  readonly kind: K;
  /** True when the same call (or, for a processor, a restart) may succeed later. */
  readonly recoverable: boolean;

  protected constructor(kind: K, message: string, options: ProsaErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.recoverable = options.recoverable;
  }
}
