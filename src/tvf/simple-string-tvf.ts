/**
 * `SimpleStringTvf`: the reference {@link Tvf}, whose text form is ProSA's
 * `SimpleStringTvf` text form, so the two exchange records.
 */
import { formatDate, formatDatetime, parseDate, parseDatetime, unwritableDate } from './date-text.js';
import { describeTvf } from './describe.js';
import { fieldNotFound, TvfError, typeName, type TvfErrorKind } from './error.js';
import { checkFieldId } from './field-id.js';
import { FieldTable } from './field-table.js';
import { copyForeign } from './foreign.js';
import { formatFloat, parseFloatText } from './float-text.js';
import { decodeByte, decodeHex, encodeHex } from './hex-text.js';
import { formatInteger, I64_MAX, I64_MIN, parseInteger, U64_MAX } from './integer-text.js';
import { DEFAULT_TVF_READ_LIMITS, readLimits, type TvfReadLimits, type TvfReadOptions } from './read-limits.js';
import { readFields } from './record-reader.js';
import { bytesLength, isUint8Array } from './host-values.js';
import type { Tvf, TvfFieldKind, TvfWithKinds } from './tvf.js';
import { utf8Length } from './utf8.js';

function mismatch(id: number, what: string): TvfError {
  return new TvfError('TypeMismatch', `field ${id} cannot be read as ${what}`, { id });
}

function unconvertible(id: number, what: string, why: string): TvfError {
  return new TvfError('ConversionError', `field ${id} cannot be read as ${what}: ${why}`, { id });
}

const LONE_SURROGATE = 'the string holds a lone UTF-16 surrogate, which has no UTF-8 form';

function rejected(kind: TvfErrorKind, id: number, why: string, cause?: unknown): TvfError {
  return new TvfError(kind, `field ${id} cannot be set: ${why}`, { id, cause });
}

/** The error of a reading entry point given an argument of the wrong type. */
function badArgument(entry: string, argument: string, value: unknown, expected: string): TvfError {
  return new TvfError('SerializationError', `SimpleStringTvf.${entry}: ${argument} is ${typeName(value)}, not ${expected}`);
}

/**
 * The reference TVF record. Each field is kept as its text form (plus how it was written),
 * so `serialize` only joins texts, `deserialize` only slices, and equality is equality of
 * texts (see {@link Tvf.equals}).
 *
 * Text form: for each field in ascending id order, `ID;LEN;VALUE;` where ID is the id in
 * decimal, VALUE the value's text and LEN its length in UTF-8 bytes (see docs/tvf.md).
 */
export class SimpleStringTvf implements TvfWithKinds {
  readonly #fields: FieldTable;
  /** Levels of `getBuffer` between this record and the one first read or built. */
  readonly #depth: number;
  readonly #limits: TvfReadLimits;

  /**
   * An empty record, read limits at their defaults.
   * @throws TvfError `TypeMismatch` when given an argument (the others are internal).
   */
  constructor();
  /** @internal A record over `fields` (owned from now on), `depth` levels down. */
  constructor(fields: FieldTable, depth: number, limits: TvfReadLimits);
  constructor(fields?: FieldTable, depth = 0, limits: TvfReadLimits = DEFAULT_TVF_READ_LIMITS) {
    if (fields !== undefined && !FieldTable.is(fields))
      throw new TvfError('TypeMismatch', `new SimpleStringTvf() takes no argument, was given ${typeName(fields)}`);
    this.#fields = fields ?? new FieldTable();
    this.#depth = depth;
    this.#limits = limits;
  }

  /** True when this class made `value`: a brand check, so no Proxy or look-alike passes and no getter runs. */
  static isInstance(value: unknown): value is SimpleStringTvf {
    return typeof value === 'object' && value !== null && #fields in value;
  }

  /**
   * `tvf` itself when this class made it ({@link SimpleStringTvf.isInstance}), else its
   * checked copy ({@link SimpleStringTvf.from}): what reads or writes texts this
   * implementation's way takes records through here, so a look-alike (a Proxy of a real
   * one, an object on this prototype) is read through the fields it answers, never trusted
   * for its own `serialize`.
   * @throws TvfError as {@link SimpleStringTvf.from} does, for a foreign record only.
   */
  static own(tvf: Tvf): SimpleStringTvf {
    return SimpleStringTvf.isInstance(tvf) ? tvf : SimpleStringTvf.from(tvf);
  }

  /**
   * Reads a record from its text form. Fields may come in any order; a repeated id keeps
   * its last value. Nested records stay text until `getBuffer` opens them, under the same
   * `options` one level deeper.
   * @throws TvfError `SerializationError` (with the byte `offset`) for a malformed text,
   *   or one longer than `options.maxBytes`; also for a `text` that is not a string or
   *   `options` that are not read options (see `TvfReadOptions`); never any other error.
   */
  static deserialize(text: string, options?: TvfReadOptions): SimpleStringTvf {
    if (typeof text !== 'string') throw badArgument('deserialize', 'the text', text, 'a string');
    const limits = readLimits(options);
    return new SimpleStringTvf(readFields(text, limits), 0, limits);
  }

  /**
   * Reads a record from its text form encoded in UTF-8 (as it crosses a wire).
   * @throws TvfError `SerializationError` for `bytes` that are not a `Uint8Array` or not
   *   UTF-8, or as {@link deserialize}.
   */
  static fromUtf8(bytes: Uint8Array, options?: TvfReadOptions): SimpleStringTvf {
    if (!isUint8Array(bytes)) throw badArgument('fromUtf8', 'the bytes', bytes, 'a Uint8Array');
    const limits = readLimits(options);
    const length = bytesLength(bytes);
    if (length > limits.maxBytes)
      throw new TvfError('SerializationError', `at byte 0: text of ${length} bytes exceeds maxBytes ${limits.maxBytes}`, {
        offset: 0,
      });
    let text: string;
    try {
      text = STRICT_UTF8.decode(bytes);
    } catch (cause) {
      throw new TvfError('SerializationError', 'record bytes are not valid UTF-8', { cause });
    }
    // Strict decoding left no lone surrogate, and the text's UTF-8 size is the bytes'.
    return new SimpleStringTvf(readFields(text, limits, length), 0, limits);
  }

  /**
   * A `SimpleStringTvf` with the same fields as `tvf`, read with `keys`, `getString` and
   * (when it has one) `kindOf`, so any implementation that honours its contract converts;
   * a copy when `tvf` is one already. What `tvf` answers is checked, so the copy always
   * serializes to a text that reads back.
   * @throws TvfError `TypeMismatch` when `tvf` is not a usable `Tvf`: not an object with
   *   those methods, `keys()` not an array of distinct field ids, a `getString` that is not
   *   a string, a `kindOf` that is not a field kind, a `buffer` field whose text is not a
   *   record, or a method that throws (the error is the `cause`); `ConversionError` for
   *   a text with a lone UTF-16 surrogate.
   */
  static from(tvf: Tvf): SimpleStringTvf {
    if (SimpleStringTvf.isInstance(tvf)) return tvf.clone();
    return new SimpleStringTvf(
      copyForeign(tvf, (kind, why, cause) => new TvfError(kind, `SimpleStringTvf.from: ${why}`, { cause })),
      0,
      DEFAULT_TVF_READ_LIMITS,
    );
  }

  /** The text form: fields in ascending id order, so equal records give equal texts. */
  serialize(): string {
    return this.#fields.text();
  }

  /** The text form encoded in UTF-8. */
  toUtf8(): Uint8Array {
    const text = this.serialize();
    // The size is known from the fields' sizes: no native pass to measure it before writing.
    const size = this.#fields.textSize(text);
    const out = Buffer.allocUnsafe(size);
    if (out.write(text, 0, size, 'utf8') !== size) return Buffer.from(text, 'utf8'); // never: sizes are exact
    return out;
  }

  isEmpty(): boolean {
    return this.#fields.size === 0;
  }

  len(): number {
    return this.#fields.size;
  }

  contains(id: number): boolean {
    return this.#fields.find(checkFieldId(id)) >= 0;
  }

  remove(id: number): boolean {
    return this.#fields.delete(checkFieldId(id));
  }

  keys(): number[] {
    return this.#fields.ids();
  }

  /** How field `id` was written: `text` when it was read from a text form. */
  kindOf(id: number): TvfFieldKind {
    const kind = this.#fields.kindAt(this.#at(id));
    return typeof kind === 'string' ? kind : 'buffer';
  }

  /** Index of field `id`, or throws. */
  #at(id: number): number {
    const i = this.#fields.find(checkFieldId(id));
    if (i < 0) throw fieldNotFound(id);
    return i;
  }

  getString(id: number): string {
    return this.#fields.textAt(this.#at(id));
  }

  getUnsigned(id: number): bigint {
    const value = parseInteger(this.getString(id), 0n, U64_MAX);
    if (value === undefined) throw mismatch(id, 'an unsigned 64-bit integer');
    return value;
  }

  getSigned(id: number): bigint {
    const value = parseInteger(this.getString(id), I64_MIN, I64_MAX);
    if (value === undefined) throw mismatch(id, 'a signed 64-bit integer');
    return value;
  }

  getByte(id: number): number {
    const byte = decodeByte(this.getString(id));
    if (byte < 0) throw mismatch(id, 'one byte (two hex digits)');
    return byte;
  }

  getFloat(id: number): number {
    const value = parseFloatText(this.getString(id));
    if (value === undefined) throw mismatch(id, 'a float');
    return value;
  }

  getBytes(id: number): Uint8Array {
    const bytes = decodeHex(this.getString(id));
    if (bytes === undefined) throw mismatch(id, 'bytes (hex digits, two a byte)');
    return bytes;
  }

  getDate(id: number): Date {
    const date = parseDate(this.getString(id));
    if (typeof date === 'string') throw unconvertible(id, 'a date', date);
    return date;
  }

  getDatetime(id: number): Date {
    const date = parseDatetime(this.getString(id));
    if (typeof date === 'string') throw unconvertible(id, 'a datetime', date);
    return date;
  }

  /**
   * Field `id` as a nested record, one level deeper than this one, read under the same
   * limits. See {@link Tvf.getBuffer}.
   * @throws TvfError `SerializationError` (with `id`, and the `offset` inside the value)
   *   when the value is not a record text or the depth would pass `maxDepth`.
   */
  getBuffer(id: number): SimpleStringTvf {
    const i = this.#at(id);
    const depth = this.#depth + 1;
    const limits = this.#limits;
    if (depth > limits.maxDepth)
      throw new TvfError(
        'SerializationError',
        `field ${id} is a buffer ${depth} levels deep, more than maxDepth ${limits.maxDepth}`,
        { id },
      );
    const kind = this.#fields.kindAt(i);
    if (typeof kind !== 'string') return new SimpleStringTvf(kind.copy(), depth, limits);
    try {
      return new SimpleStringTvf(readFields(this.#fields.textAt(i), limits, this.#fields.sizeAt(i)), depth, limits);
    } catch (error) {
      const inner = error as TvfError;
      throw new TvfError('SerializationError', `field ${id} does not hold a record; in its value, ${inner.message}`, {
        id,
        offset: inner.offset,
        cause: error,
      });
    }
  }

  putString(id: number, value: string): void {
    checkFieldId(id);
    if (typeof value !== 'string') throw rejected('TypeMismatch', id, `a ${typeof value} is not a string`);
    const size = utf8Length(value);
    if (size < 0) throw rejected('ConversionError', id, LONE_SURROGATE);
    this.#fields.set(id, value, size, 'string');
  }

  putUnsigned(id: number, value: bigint | number): void {
    checkFieldId(id);
    const text = formatInteger(value, 0n, U64_MAX);
    if (text === undefined) throw rejected('TypeMismatch', id, 'the value is not an integer in 0..2^64-1');
    this.#fields.set(id, text, text.length, 'unsigned');
  }

  putSigned(id: number, value: bigint | number): void {
    checkFieldId(id);
    const text = formatInteger(value, I64_MIN, I64_MAX);
    if (text === undefined) throw rejected('TypeMismatch', id, 'the value is not an integer in -2^63..2^63-1');
    this.#fields.set(id, text, text.length, 'signed');
  }

  putByte(id: number, value: number): void {
    checkFieldId(id);
    if (!Number.isInteger(value) || value < 0 || value > 255)
      throw rejected('TypeMismatch', id, 'the value is not a byte (an integer 0..255)');
    const text = BYTE_TEXTS[value]!;
    this.#fields.set(id, text, 2, 'byte');
  }

  putFloat(id: number, value: number): void {
    checkFieldId(id);
    if (typeof value !== 'number') throw rejected('TypeMismatch', id, `a ${typeof value} is not a number`);
    const text = formatFloat(value);
    this.#fields.set(id, text, text.length, 'float');
  }

  putBytes(id: number, value: Uint8Array): void {
    checkFieldId(id);
    if (!isUint8Array(value)) throw rejected('TypeMismatch', id, `${typeName(value)} is not a Uint8Array`);
    const text = encodeHex(value);
    this.#fields.set(id, text, text.length, 'bytes');
  }

  putDate(id: number, value: Date): void {
    checkFieldId(id);
    const text = formatDate(value);
    if (text === undefined) throw rejected('ConversionError', id, `the date ${unwritableDate(value)!}`);
    this.#fields.set(id, text, 10, 'date');
  }

  putDatetime(id: number, value: Date): void {
    checkFieldId(id);
    const text = formatDatetime(value);
    if (text === undefined) throw rejected('ConversionError', id, `the datetime ${unwritableDate(value)!}`);
    this.#fields.set(id, text, 19, 'datetime');
  }

  /**
   * Sets field `id` to a copy of `value`: any {@link Tvf}, another implementation's
   * checked as {@link SimpleStringTvf.from} does.
   * @throws TvfError `TypeMismatch` (with `id`) when `value` is not a usable `Tvf` (see
   *   {@link SimpleStringTvf.from}), `ConversionError` for a lone surrogate in its texts.
   */
  putBuffer(id: number, value: Tvf): void {
    checkFieldId(id);
    const own = SimpleStringTvf.isInstance(value);
    const fields = own
      ? value.#fields
      : copyForeign(value, (kind, why, cause) => rejected(kind, id, `the value is not a usable Tvf: ${why}`, cause));
    const text = fields.text();
    // A foreign record's table is already a copy of its own; a nested table is never changed again.
    this.#fields.set(id, text, fields.textSize(text), own ? fields.copy() : fields);
  }

  /**
   * See {@link Tvf.equals}. Another implementation is read with `keys` and `getString`;
   * any value that is not a `Tvf`, or whose methods throw or answer wrong, is not equal.
   */
  equals(other: Tvf): boolean {
    if (SimpleStringTvf.isInstance(other)) return this.#fields.sameTexts(other.#fields);
    const { ids, texts } = this.#fields.settled();
    try {
      if (typeof other !== 'object' || other === null) return false;
      const keys = other.keys;
      const getString = other.getString;
      if (typeof keys !== 'function' || typeof getString !== 'function') return false;
      const theirs: unknown = keys.call(other);
      if (!Array.isArray(theirs) || theirs.length !== ids.length) return false;
      for (let i = 0; i < ids.length; i++) {
        if (theirs[i] !== ids[i] || getString.call(other, ids[i]!) !== texts[i]) return false;
      }
    } catch {
      return false;
    }
    return true;
  }

  /** A copy sharing nothing mutable, at the same depth and under the same read limits. */
  clone(): SimpleStringTvf {
    return new SimpleStringTvf(this.#fields.copy(), this.#depth, this.#limits);
  }

  /**
   * Readable one-line text for logs and debugging, e.g.
   * `SimpleStringTvf {1: 42, 2: "abc", 10: {200: 154.5}}`: strings quoted, bytes as
   * `<hex>`, nested buffers opened. Shows every value: mask sensitive fields first.
   */
  toString(): string {
    return 'SimpleStringTvf ' + describeTvf(this);
  }

  /**
   * Plain object of id to value text, for `JSON.stringify` (and so for loggers); nested
   * records stay text. Shows every value: mask sensitive fields first (see `TvfFilter`).
   */
  toJSON(): Record<string, string> {
    const out: Record<string, string> = {};
    const { ids, texts } = this.#fields.settled();
    for (let i = 0; i < ids.length; i++) out[ids[i]!] = texts[i]!;
    return out;
  }

  /** Node's `util.inspect` (and so `console.log`) shows {@link toString}. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of each byte value, made once. */
const BYTE_TEXTS: readonly string[] = Array.from({ length: 256 }, (_, b) => encodeHex(Uint8Array.of(b)));
