/**
 * Directives: ongoing requests on the bus for a value or a desired state (Controller
 * Bus's `Directive`). A directive is a plain value with a `kind`, an equivalence `key`
 * and value options; two equivalent directives (same kind, same key) share one instance.
 */
import { createHash, randomBytes } from 'node:crypto';
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
   * A short readable name for logs, errors and the inspector (`LoadProcessor:acquirer`),
   * shown instead of the key. Give one when the key is long or may hold secrets.
   * @defaultValue the key when it is short, else a hash of it (see {@link describeDirective})
   */
  readonly label?: string;
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
   * Short readable name of given parameters (see {@link Directive.label}). Give one when
   * the parameters may be long or hold secrets: the key is then never shown.
   * @defaultValue none: the key is shown when short, else a hash of it
   */
  label?(params: P): string;
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
      label: definition.label?.(params),
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

/** Longest kind shown in a directive's name. */
const MAX_KIND_CHARS = 24;
/** Longest label or key shown in a directive's name; a longer key is shown as a hash. */
const MAX_LABEL_CHARS = 32;
/** Salt of the key hashes: a hash names a directive within this process, and gives nothing of the key away. */
const KEY_SALT = randomBytes(16);

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}\u2026`;
}

/**
 * How logs, errors and the inspector name a directive, in at most 60 characters:
 * `kind:label` when it has a label; `kind{key}` (or `kind:key`) when its key is short;
 * else `kind#<hash>`, a salted hash of the key (stable within the process). Long keys are
 * never shown, so neither is what they are made of.
 */
export function describeDirective(directive: { readonly kind: string; readonly key: string; readonly label?: string }): string {
  const kind = shorten(directive.kind, MAX_KIND_CHARS);
  const label = directive.label;
  if (typeof label === 'string' && label.length > 0) return `${kind}:${shorten(label, MAX_LABEL_CHARS)}`;
  const key = directive.key;
  if (key.length <= MAX_LABEL_CHARS) return `${kind}${key.startsWith('{') ? '' : ':'}${key}`;
  return `${kind}#${createHash('sha256').update(KEY_SALT).update(key).digest('hex').slice(0, 8)}`;
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
  const name = typeof key === 'string' ? describeDirective(directive) : kind;
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
