/**
 * Errors of the console: a wrong option of `startConsole` (thrown), and what a client
 * did wrong or what failed for it (an {@link ApiError}, answered over HTTP as its status
 * and `{ "error": { "kind", "message" } }`, never thrown past the server).
 */
import type { ServiceErrorKind } from '../actors/errors.js';
import { ProsaError } from '../tvf/prosa-error.js';

/** Kinds of {@link ConsoleError}. */
export type ConsoleErrorKind =
  /** An option is out of range or of the wrong type (the message names it and its value). */
  | 'InvalidOption'
  /** The console would listen off loopback without a token. */
  | 'TokenRequired';

/** A console that cannot start as asked: a configuration error, never recoverable. */
export class ConsoleError extends ProsaError<ConsoleErrorKind> {
  override readonly name = 'ConsoleError';
  declare readonly recoverable: false;

  constructor(kind: ConsoleErrorKind, message: string) {
    super(kind, message, { recoverable: false });
  }
}

/** Kinds of {@link ApiError}: what the API answers instead of a result (docs/console.md lists each with its status). */
export type ApiErrorKind =
  | 'misdirectedRequest'
  | 'forbiddenOrigin'
  | 'unauthorized'
  | 'notFound'
  | 'methodNotAllowed'
  | 'disabled'
  | 'bodyTooLarge'
  | 'unsupportedMediaType'
  | 'malformedBody'
  | 'badRequest'
  | 'invalidSettings'
  | 'applyFailed'
  | 'tooManyClients'
  | 'internal'
  /** A call that ended in a service error: its kind. */
  | ServiceErrorKind;

/** An answer of the API that is not a result: an HTTP status, a kind and a message (never a stack, never a secret). */
export class ApiError extends ProsaError<ApiErrorKind> {
  override readonly name = 'ApiError';

  /**
   * @param status the HTTP status answered
   * @param details more JSON fields of the error body (`issues` of refused settings)
   */
  constructor(
    readonly status: number,
    kind: ApiErrorKind,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(kind, message, { recoverable: status >= 500 || status === 429 || status === 503 });
  }

  /** The JSON body answered. */
  body(): string {
    return JSON.stringify({ error: { kind: this.kind, message: this.message, ...this.details } });
  }
}
