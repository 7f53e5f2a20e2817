/**
 * Errors of the NATS transport itself (not of the requests it carries: those end in a
 * `ServiceError`, as on one bus).
 */
import { ProsaError } from '../tvf/prosa-error.js';

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
export class TransportError extends ProsaError<TransportErrorKind> {
  override readonly name = 'TransportError';
  /** The transport at fault. */
  readonly transport: string;

  /** `recoverable` is true only for `ConnectFailed`: a connect may succeed later; bad settings never. */
  constructor(kind: TransportErrorKind, transport: string, message: string, cause?: unknown) {
    super(kind, `transport '${transport}': ${message}`, { recoverable: kind === 'ConnectFailed', cause });
    this.transport = transport;
  }
}
