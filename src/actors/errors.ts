/**
 * Errors of the bus (ProSA's `error`), on prosa's one base ({@link ProsaError}).
 *
 * `ServiceError`: a request ended without a response; `ProcessorError`: a processor
 * crashed; `BusError`: the embedding API was misused. Messages name the service,
 * processor and cause at fault.
 */
import { ProsaError } from '../tvf/prosa-error.js';

/**
 * Every kind of {@link ServiceError}, listed once: {@link ServiceErrorKind}, the bus's
 * error counters and whatever else lists the kinds derive from this array.
 * - `timeout`: the deadline passed; a reply arriving later is dropped and counted.
 * - `unreachable`: no provider serves the service, or the provider crashed or stopped
 *   with the request in flight.
 * - `protocol`: the provider's adaptor threw, rejected or returned something that is not
 *   a record for this request; the provider keeps serving.
 * - `overloaded`: every provider is at its `maxInFlight`; nothing is queued.
 * - `shutdown`: the bus (or the provider) is stopping.
 */
export const SERVICE_ERROR_KINDS = Object.freeze(['timeout', 'unreachable', 'protocol', 'overloaded', 'shutdown'] as const);

/** Why a request ended without a response: one of {@link SERVICE_ERROR_KINDS}. */
export type ServiceErrorKind = (typeof SERVICE_ERROR_KINDS)[number];

/** True when `value` is one of {@link SERVICE_ERROR_KINDS}. Reads nothing of a non-string. */
export function isServiceErrorKind(value: unknown): value is ServiceErrorKind {
  return typeof value === 'string' && (SERVICE_ERROR_KINDS as readonly string[]).includes(value);
}

/** A counter per {@link ServiceErrorKind}, each at zero: a new object on each call. */
export function serviceErrorCounts(): Record<ServiceErrorKind, number> {
  const counts = {} as Record<ServiceErrorKind, number>;
  for (const kind of SERVICE_ERROR_KINDS) counts[kind] = 0;
  return counts;
}

/** The error a request ends in when it gets no response. Exactly one per failed request. */
export class ServiceError extends ProsaError<ServiceErrorKind> {
  override readonly name = 'ServiceError';
  /** The service asked for. */
  readonly service: string;
  /** The provider that had the request, when one did. */
  readonly processor: string | undefined;
  /** What happened, without the kind, service and processor the message starts with. */
  readonly detail: string;

  /**
   * `recoverable` is true for every kind but `protocol`: the same request may succeed if
   * sent again later.
   */
  constructor(
    kind: ServiceErrorKind,
    service: string,
    processor: string | undefined,
    detail: string,
    cause?: unknown,
  ) {
    super(
      kind,
      `${kind}: service '${service}'${processor === undefined ? '' : ` at processor '${processor}'`}: ${detail}`,
      { recoverable: kind !== 'protocol', cause },
    );
    this.service = service;
    this.processor = processor;
    this.detail = detail;
  }
}

/**
 * Kinds of {@link ProcessorError}: what crashed the processor.
 * - `AdaptorFailed`: the adaptor's own run failed (what an adaptor throws, the default).
 * - `InitTimeout`: `init` did not finish within the processor's `initTimeoutMs`.
 */
export type ProcessorErrorKind = 'AdaptorFailed' | 'InitTimeout';

/** Options of a {@link ProcessorError}. */
export interface ProcessorErrorOptions {
  /**
   * Whether the processor may restart after this error.
   * @defaultValue true
   */
  recoverable?: boolean;
  /**
   * Extra time to wait before the restart (ProSA's `recovery_duration`).
   * @defaultValue 0
   */
  retryAfterMs?: number;
  /** The underlying error. */
  cause?: unknown;
  /**
   * What crashed the processor.
   * @defaultValue 'AdaptorFailed'
   */
  kind?: ProcessorErrorKind;
}

/**
 * An error that crashes a processor, saying whether it may restart. Throw it from an
 * adaptor's `init`, or pass it to `ctx.fail`. Any other error counts as recoverable.
 */
export class ProcessorError extends ProsaError<ProcessorErrorKind> {
  override readonly name = 'ProcessorError';
  /** Extra time to wait before the restart. */
  readonly retryAfterMs: number;

  constructor(message: string, options: ProcessorErrorOptions = {}) {
    super(options.kind ?? 'AdaptorFailed', message, { recoverable: options.recoverable ?? true, cause: options.cause });
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

/** Misuse of the embedding API: a configuration error, never recoverable (the call must change). */
export class BusError extends ProsaError<BusErrorKind> {
  override readonly name = 'BusError';
  declare readonly recoverable: false;

  constructor(kind: BusErrorKind, message: string) {
    super(kind, message, { recoverable: false });
  }
}
