/**
 * Errors of the bus, as explicit kinds with a `recoverable` flag (ProSA's `ProcError`,
 * `ServiceError`). Messages name the service, processor and cause at fault.
 */

/** Why a request ended without a response. */
export type ServiceErrorKind =
  /** The deadline passed; a reply arriving later is dropped and counted. */
  | 'timeout'
  /** No provider serves the service, or the provider crashed or stopped with the request in flight. */
  | 'unreachable'
  /** The provider's adaptor threw or rejected for this request; the provider keeps serving. */
  | 'protocol'
  /** Every provider is at its `maxInFlight`; nothing is queued. */
  | 'overloaded'
  /** The bus (or the provider) is stopping. */
  | 'shutdown';

/** The error a request ends in when it gets no response. Exactly one per failed request. */
export class ServiceError extends Error {
  override name = 'ServiceError';
  /** What went wrong. */
  readonly kind: ServiceErrorKind;
  /** The service asked for. */
  readonly service: string;
  /** The provider that had the request, when one did. */
  readonly processor: string | undefined;
  /** True when the same request may succeed if sent again later (every kind but `protocol`). */
  readonly recoverable: boolean;
  /** What happened, without the kind, service and processor the message starts with. */
  readonly detail: string;

  constructor(
    kind: ServiceErrorKind,
    service: string,
    processor: string | undefined,
    detail: string,
    cause?: unknown,
  ) {
    super(
      `${kind}: service '${service}'${processor === undefined ? '' : ` at processor '${processor}'`}: ${detail}`,
      cause === undefined ? undefined : { cause },
    );
    this.kind = kind;
    this.service = service;
    this.processor = processor;
    this.recoverable = kind !== 'protocol';
    this.detail = detail;
  }
}

/** Options of a {@link ProcessorError}. */
export interface ProcessorErrorOptions {
  /**
   * Whether the processor may restart after this error.
   * @defaultValue true
   */
  recoverable?: boolean;
  /** Extra time to wait before the restart (ProSA's `recovery_duration`). */
  retryAfterMs?: number;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * An error that crashes a processor, saying whether it may restart. Throw it from an
 * adaptor's `init`, or pass it to `ctx.fail`. Any other error counts as recoverable.
 */
export class ProcessorError extends Error {
  override name = 'ProcessorError';
  /** Whether the processor may restart after this error. */
  readonly recoverable: boolean;
  /** Extra time to wait before the restart. */
  readonly retryAfterMs: number;

  constructor(message: string, options: ProcessorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.recoverable = options.recoverable ?? true;
    this.retryAfterMs = options.retryAfterMs ?? 0;
  }
}

/** Kinds of {@link BusError}. */
export type BusErrorKind =
  /** A processor of that name is already on the bus. */
  | 'DuplicateProcessor'
  /** No processor of that name is on the bus. */
  | 'UnknownProcessor'
  /** The processor reached a final state (stopped or failed) other than the one waited for. */
  | 'ProcessorEnded'
  /** The bus is stopping or stopped, so it takes no new processor and cannot start again. */
  | 'BusStopped'
  /** An option or argument is out of range or of the wrong type. */
  | 'InvalidOption';

/** Misuse of the embedding API: a configuration error, never recoverable. */
export class BusError extends Error {
  override name = 'BusError';
  /** What was wrong. */
  readonly kind: BusErrorKind;
  /** Always false: the call must change before it can succeed. */
  readonly recoverable = false;

  constructor(kind: BusErrorKind, message: string) {
    super(message);
    this.kind = kind;
  }
}
