/**
 * `TvfError`: the one error type of the TVF layer, with ProSA's four kinds.
 */
import { ProsaError } from './prosa-error.js';

/**
 * What went wrong, as ProSA's `TvfError` variants name it:
 * - `FieldNotFound`: a getter asked for an id the record does not hold.
 * - `TypeMismatch`: a value cannot be read (or stored) as the asked number or bytes type,
 *   or a field id is not a non-negative safe integer.
 * - `ConversionError`: a value cannot be read (or stored) as a date, datetime or string
 *   (an invalid calendar day, a year outside 0000-9999, a lone UTF-16 surrogate).
 * - `SerializationError`: a text form is malformed or exceeds a read limit.
 */
export type TvfErrorKind = 'FieldNotFound' | 'TypeMismatch' | 'ConversionError' | 'SerializationError';

/** Where a {@link TvfError} happened, when that is known. */
export interface TvfErrorPlace {
  /** The field id at fault. */
  id?: number;
  /** Byte offset (in the UTF-8 text form) where reading failed. */
  offset?: number;
  /** The error this one wraps. */
  cause?: unknown;
}

/**
 * An error from a TVF record or its text form. Never recoverable: retrying the same call
 * on the same record or text fails the same way.
 *
 * Messages name the field id and, for the text form, the byte offset; they never quote
 * a field's value, so they are safe to log next to masked records.
 */
export class TvfError extends ProsaError<TvfErrorKind> {
  override readonly name = 'TvfError';
  /** The field id at fault, where there is one. */
  readonly id: number | undefined;
  /** For `SerializationError`: the byte offset in the UTF-8 text where reading failed. */
  readonly offset: number | undefined;
  /** Brand for {@link TvfError.is}. */
  readonly #tvf = true;

  /**
   * True when `value` is a `TvfError`. Unlike `instanceof`, runs no code of `value` (a
   * thrown Proxy's traps), so it is safe on whatever a foreign record throws.
   */
  static is(value: unknown): value is TvfError {
    return typeof value === 'object' && value !== null && #tvf in value;
  }

  constructor(kind: TvfErrorKind, message: string, place?: TvfErrorPlace) {
    // Never recoverable: the same input fails the same way.
    super(kind, message, { recoverable: false, cause: place?.cause });
    this.id = place?.id;
    this.offset = place?.offset;
  }
}

/** A getter's error for a missing field. */
export function fieldNotFound(id: number): TvfError {
  return new TvfError('FieldNotFound', `field ${id} is not in the record`, { id });
}

/**
 * What `value` is, for a message about an argument of the wrong type: `null`,
 * `undefined`, or its `typeof` after an article (`a string`, `an object`). Runs no code of
 * `value` and never quotes it.
 */
export function typeName(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  const type = typeof value;
  return (type === 'object' ? 'an ' : 'a ') + type;
}

/** A number or bigint as written (`NaN`, `-1`, `1.5`), anything else as its {@link typeName}. */
export function numberOrType(value: unknown): string {
  return typeof value === 'number' || typeof value === 'bigint' ? String(value) : typeName(value);
}

/** The error for an argument that is not a field id. */
export function invalidFieldId(id: unknown): TvfError {
  return new TvfError('TypeMismatch', `field id ${numberOrType(id)} is not a non-negative safe integer`);
}
