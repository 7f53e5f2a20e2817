/**
 * Errors of the NATS transport itself (not of the requests it carries: those end in a
 * `ServiceError`, as on one bus).
 */

/** Kinds of {@link TransportError}. */
export type TransportErrorKind =
  /** The first connection to the NATS servers failed; the bus may start again later. */
  | 'ConnectFailed'
  /**
   * The NATS server refused this instance's credentials, or a credentials file cannot be
   * read or holds none (names the way of authenticating and the file, never the secret).
   */
  | 'AuthFailed'
  /** A setting is out of range or of the wrong type (names the field). */
  | 'InvalidSettings'
  /** The transport was started already: one transport links one bus, once. */
  | 'AlreadyStarted';

/** An error of the transport's link, naming the transport and the setting or servers at fault. */
export class TransportError extends Error {
  override name = 'TransportError';
  /** What went wrong. */
  readonly kind: TransportErrorKind;
  /** Whether trying again later may succeed (a connect failure may; bad settings never). */
  readonly recoverable: boolean;
  /** The transport at fault. */
  readonly transport: string;

  constructor(kind: TransportErrorKind, transport: string, message: string, cause?: unknown) {
    super(`transport '${transport}': ${message}`, cause === undefined ? undefined : { cause });
    this.kind = kind;
    this.transport = transport;
    this.recoverable = kind === 'ConnectFailed';
  }
}
