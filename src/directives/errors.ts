/**
 * Errors of the directive layer, as explicit kinds with a `recoverable` flag. Messages
 * name the directive (`kind` and key) at fault.
 */
import { ProsaError } from '../tvf/prosa-error.js';

/** Kinds of {@link DirectiveError}. */
export type DirectiveErrorKind =
  /** The directive is malformed or its own `validate()` refused it. */
  | 'InvalidDirective'
  /** The reference was released: it gives no values and takes no subscriber. */
  | 'Released'
  /** A wait (first value, collect until idle) ran out of time. */
  | 'Timeout'
  /** The directives of the bus were closed (the bus stops): no new directive is taken. */
  | 'Closed'
  /** A registry is already attached to this bus. */
  | 'AlreadyAttached';

/** Options of a {@link DirectiveError}. */
export interface DirectiveErrorOptions {
  /** The directive at fault, as `kind` and key (`LookupService{"service":"ECHO"}`). */
  directive?: string;
  /** The underlying error (what `validate()` threw). */
  cause?: unknown;
}

/** Misuse of directives, or a wait that ended without what it waited for. */
export class DirectiveError extends ProsaError<DirectiveErrorKind> {
  override readonly name = 'DirectiveError';
  /** The directive at fault, when there is one. */
  readonly directive: string | undefined;

  /** `recoverable` is true only for `Timeout`: the same wait may succeed later. */
  constructor(kind: DirectiveErrorKind, message: string, options: DirectiveErrorOptions = {}) {
    super(kind, options.directive === undefined ? message : `directive ${options.directive}: ${message}`, {
      recoverable: kind === 'Timeout',
      cause: options.cause,
    });
    this.directive = options.directive;
  }
}
