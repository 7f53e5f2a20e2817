/**
 * Directives: ongoing requests on the bus for a value or a desired state (Controller
 * Bus's `Directive`). A directive is a plain value with a `kind`, an equivalence `key`
 * and value options; two equivalent directives (same kind, same key) share one instance.
 */
import { DirectiveError } from './errors.js';
import { stableKey } from './stable-key.js';
import { messageOf } from '../tvf/unknown-value.js';

/**
 * Type-only brand that carries a directive's value type. It has no runtime value: never
 * read it, only name it in types (`Directive<V>[typeof directiveValue]`).
 */
export declare const directiveValue: unique symbol;

/** A directive whose values are of type `V`. */
export interface Directive<V = unknown> {
  /** Directive kind: which resolvers may handle it (`LookupService`, `LoadProcessor`, ...). */
  readonly kind: string;
  /** Equivalence key within the kind: directives with equal kind and key share one instance. */
  readonly key: string;
  /**
   * Most values the instance holds (a bounded directive; 1 is a singleton). Once it holds
   * that many, its resolvers are stopped; they start again when a value goes.
   * @defaultValue Infinity (unbounded)
   */
  readonly maxValues?: number;
  /**
   * Grace period after the last reference is released before the instance is disposed; a
   * new reference within it keeps the instance and its values.
   * @defaultValue 0 (disposed at once)
   */
  readonly disposeAfterMs?: number;
  /** Checks the directive before an instance is made; throw to refuse it. */
  validate?(): void;
  /** Type-only: the type of the directive's values. */
  readonly [directiveValue]?: V;
}

/** The value type of a directive. */
export type ValueOf<D> = D extends Directive<infer V> ? V : never;

/** A directive built by a {@link DirectiveKind}: it keeps the parameters it was made from. */
export interface DirectiveOf<P, V> extends Directive<V> {
  /** The parameters given to the kind. */
  readonly params: P;
}

/** A kind of directive, made by {@link defineDirective}: call it with parameters to get a directive. */
export interface DirectiveKind<P, V> {
  /** Makes a directive of this kind. */
  (params: P): DirectiveOf<P, V>;
  /** The kind name. */
  readonly kind: string;
  /** True when `directive` was made by this kind (narrows it, params included). */
  is(directive: { readonly kind: string }): directive is DirectiveOf<P, V>;
}

/** How {@link defineDirective} builds the directives of a kind. */
export interface DirectiveDefinition<P> {
  /** Kind name; unique among the kinds a bus uses. */
  kind: string;
  /**
   * Equivalence key of given parameters.
   * @defaultValue the stable JSON text of the parameters (deep equality)
   */
  key?(params: P): string;
  /**
   * Value limit, fixed or per parameters.
   * @defaultValue Infinity
   */
  maxValues?: number | ((params: P) => number | undefined);
  /**
   * Grace period before disposal, fixed or per parameters.
   * @defaultValue 0
   */
  disposeAfterMs?: number | ((params: P) => number | undefined);
  /** Checks parameters; throw to refuse them. */
  validate?(params: P): void;
}

/**
 * Declares a directive kind. The value type is given explicitly:
 * `defineDirective<{ service: string }, Provider>({ kind: 'LookupService' })`.
 */
export function defineDirective<P, V>(definition: DirectiveDefinition<P>): DirectiveKind<P, V> {
  const { kind } = definition;
  if (typeof kind !== 'string' || kind.length === 0) {
    throw new DirectiveError('InvalidDirective', `a directive kind needs a non-empty name, got ${JSON.stringify(kind)}`);
  }
  const option = (value: number | ((params: P) => number | undefined) | undefined, params: P) =>
    typeof value === 'function' ? value(params) : value;
  const make = (params: P): DirectiveOf<P, V> => {
    const directive: DirectiveOf<P, V> = {
      kind,
      key: definition.key === undefined ? stableKey(params) : definition.key(params),
      params,
      maxValues: option(definition.maxValues, params),
      disposeAfterMs: option(definition.disposeAfterMs, params),
      validate: definition.validate === undefined ? undefined : () => definition.validate!(params),
    };
    return directive;
  };
  const is = (directive: { readonly kind: string }): directive is DirectiveOf<P, V> =>
    directive.kind === kind && 'params' in directive;
  return Object.assign(make, { kind, is });
}

/** `kind{key}`: how logs and errors name a directive. */
export function describeDirective(directive: { readonly kind: string; readonly key: string }): string {
  return `${directive.kind}${directive.key.startsWith('{') ? '' : ':'}${directive.key}`;
}

/** The checked value options of a directive. */
export interface ValueLimits {
  /** Most values; `Infinity` when unbounded. */
  maxValues: number;
  /** Grace period before disposal. */
  disposeAfterMs: number;
}

/**
 * Checks a directive's shape and options and runs its `validate()`. Returns its limits
 * with defaults filled. Throws a {@link DirectiveError} `InvalidDirective`.
 */
export function checkDirective(directive: Directive): ValueLimits {
  if (directive === null || typeof directive !== 'object') {
    throw new DirectiveError('InvalidDirective', `a directive must be an object, got ${String(directive)}`);
  }
  const { kind, key } = directive;
  if (typeof kind !== 'string' || kind.length === 0) {
    throw new DirectiveError('InvalidDirective', `a directive needs a non-empty kind, got ${JSON.stringify(kind)}`);
  }
  const name = typeof key === 'string' ? describeDirective({ kind, key }) : kind;
  if (typeof key !== 'string') {
    throw new DirectiveError('InvalidDirective', `key must be a string, got ${typeof key}`, { directive: name });
  }
  const maxValues = directive.maxValues ?? Infinity;
  if (maxValues !== Infinity && (!Number.isInteger(maxValues) || maxValues < 1)) {
    throw new DirectiveError('InvalidDirective', `maxValues must be a positive integer, got ${String(maxValues)}`, {
      directive: name,
    });
  }
  const disposeAfterMs = directive.disposeAfterMs ?? 0;
  if (typeof disposeAfterMs !== 'number' || !Number.isFinite(disposeAfterMs) || disposeAfterMs < 0) {
    throw new DirectiveError('InvalidDirective', `disposeAfterMs must be a finite number >= 0, got ${String(disposeAfterMs)}`, {
      directive: name,
    });
  }
  if (directive.validate !== undefined) {
    try {
      directive.validate();
    } catch (error) {
      const reason = messageOf(error);
      throw new DirectiveError('InvalidDirective', `refused by validate(): ${reason}`, { directive: name, cause: error });
    }
  }
  return { maxValues, disposeAfterMs };
}
