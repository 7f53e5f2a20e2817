/**
 * The TVF (Tag-Value Field) record: the payload of every message on the bus.
 *
 * `Tvf` is an interface, as in ProSA (`prosa_utils::msg::tvf::Tvf`), so several
 * implementations can carry the same records; {@link SimpleStringTvf} is the reference one.
 * Field ids are non-negative safe integers. Getters throw a `TvfError`:
 * `FieldNotFound` for a missing id, `TypeMismatch` or `ConversionError` for a value that
 * cannot be read as the asked type.
 */
export interface Tvf {
  /** True when the record holds no field. */
  isEmpty(): boolean;
  /** Number of fields. */
  len(): number;
  /** True when field `id` is present. */
  contains(id: number): boolean;
  /** Removes field `id`; returns whether it was present. */
  remove(id: number): boolean;
  /** Field ids in ascending order. */
  keys(): number[];

  /** Field `id` as a string. */
  getString(id: number): string;
  /** Field `id` as an unsigned 64-bit integer. */
  getUnsigned(id: number): bigint;
  /** Field `id` as a signed 64-bit integer. */
  getSigned(id: number): bigint;
  /** Field `id` as one byte, 0..255. */
  getByte(id: number): number;
  /** Field `id` as a 64-bit float. */
  getFloat(id: number): number;
  /** Field `id` as bytes. */
  getBytes(id: number): Uint8Array;
  /** Field `id` as a date: a `Date` at UTC midnight. */
  getDate(id: number): Date;
  /** Field `id` as a UTC datetime, to the second. */
  getDatetime(id: number): Date;
  /** Field `id` as a nested record. */
  getBuffer(id: number): Tvf;

  /** Sets field `id` to a string. */
  putString(id: number, value: string): void;
  /** Sets field `id` to an unsigned 64-bit integer (rejects negatives, fractions, > 2^64-1). */
  putUnsigned(id: number, value: bigint | number): void;
  /** Sets field `id` to a signed 64-bit integer (rejects fractions and values outside i64). */
  putSigned(id: number, value: bigint | number): void;
  /** Sets field `id` to one byte, 0..255. */
  putByte(id: number, value: number): void;
  /** Sets field `id` to a 64-bit float (any f64, NaN and infinities included). */
  putFloat(id: number, value: number): void;
  /** Sets field `id` to bytes (copied). */
  putBytes(id: number, value: Uint8Array): void;
  /** Sets field `id` to a date (the UTC day of `value`). */
  putDate(id: number, value: Date): void;
  /** Sets field `id` to a UTC datetime (to the second). */
  putDatetime(id: number, value: Date): void;
  /** Sets field `id` to a nested record. */
  putBuffer(id: number, value: Tvf): void;

  /** Field-by-field equality with another record. */
  equals(other: Tvf): boolean;
}
