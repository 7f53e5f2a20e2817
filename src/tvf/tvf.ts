/**
 * The TVF (Tag-Value Field) record: the payload of every message on the bus.
 *
 * `Tvf` is an interface, as in ProSA (`prosa_utils::msg::tvf::Tvf`), so several
 * implementations can carry the same records; {@link SimpleStringTvf} is the reference one.
 * Field ids are non-negative safe integers: any other id, given to any method, throws a
 * `TvfError` of kind `TypeMismatch`. Getters throw a `TvfError`: `FieldNotFound` for a
 * missing id, `TypeMismatch` (numbers, bytes) or `ConversionError` (dates) for a value that
 * cannot be read as the asked type. Setters replace any field already at that id, whatever
 * its type, and throw `TypeMismatch` or `ConversionError` for a value that has no text form.
 */
export interface Tvf {
  /** True when the record holds no field. */
  isEmpty(): boolean;
  /** Number of fields (not counting the fields of nested buffers). */
  len(): number;
  /** True when field `id` is present. */
  contains(id: number): boolean;
  /** Removes field `id`; returns whether it was present. */
  remove(id: number): boolean;
  /** Field ids in ascending order, in a new array the caller may keep. */
  keys(): number[];

  /**
   * Field `id` as text. Any field can be read so, as in ProSA: a string as it was put, any
   * other value in its text form (`42`, `6.56`, `aabb`, `2023-06-05`, a nested record's
   * serialized text).
   */
  getString(id: number): string;
  /** Field `id` as an unsigned 64-bit integer, exact over 0..2^64-1. */
  getUnsigned(id: number): bigint;
  /** Field `id` as a signed 64-bit integer, exact over -2^63..2^63-1. */
  getSigned(id: number): bigint;
  /** Field `id` as one byte, 0..255 (a field holding exactly one byte). */
  getByte(id: number): number;
  /** Field `id` as a 64-bit float; NaN, infinities and -0 come back as they were put. */
  getFloat(id: number): number;
  /** Field `id` as bytes, in a new array the caller may keep. */
  getBytes(id: number): Uint8Array;
  /** Field `id` as a date: a new `Date` at UTC midnight. */
  getDate(id: number): Date;
  /** Field `id` as a UTC datetime, to the second: a new `Date`. */
  getDatetime(id: number): Date;
  /**
   * Field `id` as a nested record: a new record the caller may change; changing it does not
   * change this one (put it back with `putBuffer`). Throws `SerializationError` when the
   * value is not a record, or sits deeper than the reading limit allows.
   */
  getBuffer(id: number): Tvf;

  /** Sets field `id` to a string (any well-formed Unicode; a lone surrogate is a `ConversionError`). */
  putString(id: number, value: string): void;
  /** Sets field `id` to an unsigned 64-bit integer (rejects negatives, fractions, > 2^64-1). */
  putUnsigned(id: number, value: bigint | number): void;
  /** Sets field `id` to a signed 64-bit integer (rejects fractions and values outside i64). */
  putSigned(id: number, value: bigint | number): void;
  /** Sets field `id` to one byte, an integer 0..255. */
  putByte(id: number, value: number): void;
  /** Sets field `id` to a 64-bit float (any f64, NaN, infinities and -0 included). */
  putFloat(id: number, value: number): void;
  /** Sets field `id` to bytes (copied: later changes to `value` do not show). */
  putBytes(id: number, value: Uint8Array): void;
  /** Sets field `id` to a date: the UTC day of `value` (years 0000-9999). */
  putDate(id: number, value: Date): void;
  /** Sets field `id` to a UTC datetime: `value` to the second, milliseconds dropped (years 0000-9999). */
  putDatetime(id: number, value: Date): void;
  /** Sets field `id` to a nested record (copied: later changes to `value` do not show). */
  putBuffer(id: number, value: Tvf): void;

  /**
   * True when `other` holds the same ids with the same text for each (see `getString`):
   * the text form keeps no types, so a record and its deserialized copy are equal, NaN
   * equals NaN and -0 differs from 0.
   */
  equals(other: Tvf): boolean;
  /** A copy that shares nothing mutable with this record. */
  clone(): Tvf;
}

/**
 * Which setter wrote a field; `text` for a field read from the text form, whose type the
 * text does not say.
 */
export type TvfFieldKind =
  | 'text'
  | 'string'
  | 'unsigned'
  | 'signed'
  | 'byte'
  | 'float'
  | 'bytes'
  | 'date'
  | 'datetime'
  | 'buffer';

/** Every {@link TvfFieldKind}, for checking a kind given by another implementation. */
export const FIELD_KINDS: ReadonlySet<string> = new Set<TvfFieldKind>([
  'text',
  'string',
  'unsigned',
  'signed',
  'byte',
  'float',
  'bytes',
  'date',
  'datetime',
  'buffer',
]);

/**
 * Optional ability of a {@link Tvf}: it remembers which setter wrote each field. Masking
 * uses it to tell strings (filled) from other values (removed).
 */
export interface TvfWithKinds extends Tvf {
  /** How field `id` was written; throws `FieldNotFound` when it is missing. */
  kindOf(id: number): TvfFieldKind;
}

/**
 * True when `tvf` can say how each field was written (it has a `kindOf` method). False for
 * anything else, a value that is not an object or whose `kindOf` getter throws included.
 */
export function hasKinds(tvf: Tvf): tvf is TvfWithKinds {
  if (typeof tvf !== 'object' || tvf === null) return false;
  try {
    return typeof (tvf as Partial<TvfWithKinds>).kindOf === 'function';
  } catch {
    return false;
  }
}
