/**
 * `TvfDict`: names for numeric field ids (and back), with sub-dictionaries for nested
 * buffers, and the conversion of records to and from plain JSON objects through them.
 */
import { formatDate, formatDatetime, parseDate, parseDatetime } from './date-text.js';
import { TvfError, typeName } from './error.js';
import { isFieldId } from './field-id.js';
import { formatFloat, parseFloatText } from './float-text.js';
import { decodeHex, encodeHex } from './hex-text.js';
import { I64_MAX, I64_MIN, parseInteger, U64_MAX } from './integer-text.js';
import { jsonNumberEnd, plainJsonStringEnd, skipJsonWhitespace } from './json-syntax.js';
import { DEFAULT_TVF_READ_LIMITS } from './read-limits.js';
import { isDate, isUint8Array } from './host-values.js';
import { SimpleStringTvf } from './simple-string-tvf.js';
import { FIELD_KINDS, type Tvf } from './tvf.js';

/** The value types a dictionary can give a field; they choose the JSON form. */
export type TvfValueType = 'string' | 'unsigned' | 'signed' | 'byte' | 'float' | 'bytes' | 'date' | 'datetime' | 'buffer';

/** The field kinds a dictionary can give: all but `text` (which is no type). */
const VALUE_TYPES: ReadonlySet<string> = new Set([...FIELD_KINDS].filter((kind) => kind !== 'text'));

/** One field of a {@link TvfDictDefinition}. */
export interface TvfDictField {
  /** The field id. */
  id: number;
  /** The value type; without one the field converts as its text (a JSON string). */
  type?: TvfValueType;
  /** The sub-dictionary of a nested buffer; implies (and requires) type `buffer`. */
  fields?: TvfDictDefinition;
}

/** A dictionary definition: field name to id, or to a {@link TvfDictField}. */
export interface TvfDictDefinition {
  readonly [name: string]: number | TvfDictField;
}

/** One resolved entry of a {@link TvfDict}. */
export interface TvfDictEntry {
  readonly id: number;
  readonly name: string;
  /** `undefined` for an untyped field. */
  readonly type: TvfValueType | undefined;
  /** For a `buffer`, the dictionary of its fields (empty when none was given). */
  readonly dict: TvfDict | undefined;
}

/** A JSON value as {@link TvfDict.toJson} produces it. */
export type TvfJsonValue = string | number | TvfJsonObject;
/** A record as a plain JSON object: field names (or decimal ids) to values. */
export interface TvfJsonObject {
  [name: string]: TvfJsonValue;
}

/** Deepest dictionary nesting accepted when building one (deeper is a mistake or a cycle). */
const MAX_DICT_DEPTH = 64;
/**
 * Most entries accepted in one dictionary with its sub-dictionaries, counting a definition
 * object as often as it is reached: definitions that share objects (a YAML alias, say)
 * would otherwise expand exponentially with depth.
 */
const MAX_DICT_ENTRIES = 100_000;
/**
 * One `fromJson` call's conversions of nested objects, by dictionary then object: an
 * object reached again (objects may share sub-objects) is converted once, not once per
 * path to it, which would be exponential in depth. Each keeps the depth it was converted
 * at: reached no deeper, it is within the depth limit again.
 */
type JsonWalk = Map<TvfDict, Map<object, { readonly tvf: SimpleStringTvf; readonly depth: number }>>;
/** The walk of a conversion that meets no object: scalars never reach a nested conversion, so it stays empty. */
const NO_OBJECTS: JsonWalk = new Map();
const DECIMAL_ID = /^(?:0|[1-9]\d*)$/;
const ALL_DIGITS = /^\d+$/;

function badDefinition(path: string, why: string, cause?: unknown): TvfError {
  const shown = path.length > 120 ? `...${path.slice(-120)}` : path; // a path through shared objects can be long
  return new TvfError('TypeMismatch', `dictionary entry "${shown}": ${why}`, { cause });
}

/** A string as a message shows it (quoted, cut past 40 characters), anything else as its type. */
function shownValue(value: unknown): string {
  if (typeof value !== 'string') return typeName(value);
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Names for field ids, one level of a record; nested buffers have their own dictionary.
 * Immutable once built.
 *
 * JSON form of each value type: `string`, `bytes` (lowercase hex), `date` (`YYYY-MM-DD`)
 * and `datetime` (`YYYY-MM-DDTHH:MM:SS`) as strings; `unsigned` and `signed` as numbers
 * when within ±(2^53-1), else as decimal strings; `byte` as a number; `float` as a number,
 * except `"NaN"`, `"inf"` and `"-inf"` (note that `JSON.stringify` writes -0 as 0);
 * `buffer` as a nested object; untyped fields as their text. A field the dictionary does
 * not name is keyed by its decimal id, its value its text.
 */
export class TvfDict {
  readonly #byId = new Map<number, TvfDictEntry>();
  readonly #byName = new Map<string, TvfDictEntry>();
  /** The entries in definition order: {@link fromFlatJsonText} expects a body's keys in this order first. */
  readonly #inOrder: TvfDictEntry[] = [];
  /** Each name's index in {@link #inOrder}. */
  readonly #position = new Map<string, number>();
  /** Each entry's JSON key and colon (`"name":`), made once for {@link toJsonText}. */
  readonly #jsonKeys = new Map<number, string>();

  /**
   * @throws TvfError `TypeMismatch` naming the entry's path when a name is empty, all
   *   digits or `__proto__`, an id is not a field id or repeats, a type is unknown,
   *   `fields` comes with a type other than `buffer`, nesting passes 64 levels, there are
   *   more than 100,000 entries in all, or reading the definition throws (the `cause`).
   */
  constructor(definition: TvfDictDefinition);
  /** @internal A sub-dictionary `depth` levels down, its entries' paths starting with `prefix`. */
  constructor(definition: TvfDictDefinition, depth: number, prefix: string, budget: { left: number });
  constructor(definition: TvfDictDefinition, depth = 0, prefix = '', budget = { left: MAX_DICT_ENTRIES }) {
    try {
      this.#build(definition, depth, prefix, budget);
    } catch (error) {
      if (TvfError.is(error)) throw error;
      throw badDefinition(prefix, 'reading the definition threw', error);
    }
  }

  #build(definition: TvfDictDefinition, depth: number, prefix: string, budget: { left: number }): void {
    if (!isPlainObject(definition)) throw badDefinition(prefix, 'the definition is not a plain object');
    if (depth > MAX_DICT_DEPTH) throw badDefinition(prefix, `dictionaries nest deeper than ${MAX_DICT_DEPTH} levels`);
    for (const name of Object.keys(definition)) {
      const path = prefix + name;
      if (name.length === 0 || ALL_DIGITS.test(name) || name === '__proto__')
        throw badDefinition(path, 'a name must be non-empty, not all digits and not __proto__');
      if (--budget.left < 0)
        throw badDefinition(path, `more than ${MAX_DICT_ENTRIES} entries in all (counting shared definitions each time)`);
      const spec: unknown = definition[name];
      if (typeof spec !== 'number' && !isPlainObject(spec)) throw badDefinition(path, 'expected an id or { id, type?, fields? }');
      // Each property read once: a getter cannot answer one thing to the check and another to the use.
      const id: unknown = typeof spec === 'number' ? spec : spec['id'];
      const fields: unknown = typeof spec === 'number' ? undefined : spec['fields'];
      let type: unknown = typeof spec === 'number' ? undefined : spec['type'];
      if (!isFieldId(id)) throw badDefinition(path, `id ${typeof id === 'number' ? id : shownValue(id)} is not a non-negative safe integer`);
      if (this.#byId.has(id)) throw badDefinition(path, `id ${id} is already named "${this.#byId.get(id)!.name}"`);
      if (type !== undefined && !VALUE_TYPES.has(type as string)) throw badDefinition(path, `unknown type ${shownValue(type)}`);
      let dict: TvfDict | undefined;
      if (fields !== undefined) {
        if (type !== undefined && type !== 'buffer') throw badDefinition(path, `fields given for a ${String(type)}, not a buffer`);
        type = 'buffer';
        dict = new TvfDict(fields as TvfDictDefinition, depth + 1, path + '.', budget);
      } else if (type === 'buffer') {
        dict = EMPTY_DICT;
      }
      const entry: TvfDictEntry = Object.freeze({ id, name, type: type as TvfValueType | undefined, dict });
      this.#byId.set(entry.id, entry);
      this.#byName.set(name, entry);
      this.#position.set(name, this.#inOrder.push(entry) - 1);
      this.#jsonKeys.set(entry.id, JSON.stringify(name) + ':');
    }
  }

  /** Number of named fields at this level. */
  get size(): number {
    return this.#byId.size;
  }

  /** The id named `name`, or `undefined`. */
  idOf(name: string): number | undefined {
    return this.#byName.get(name)?.id;
  }

  /** The name of field `id`, or `undefined`. */
  nameOf(id: number): string | undefined {
    return this.#byId.get(id)?.name;
  }

  /** The entry for a name or an id, or `undefined`. */
  entry(nameOrId: string | number): TvfDictEntry | undefined {
    return typeof nameOrId === 'number' ? this.#byId.get(nameOrId) : this.#byName.get(nameOrId);
  }

  /** The sub-dictionary of a buffer field, by name or id, or `undefined`. */
  sub(nameOrId: string | number): TvfDict | undefined {
    return this.entry(nameOrId)?.dict;
  }

  /** The entries at this level, in ascending id order. */
  entries(): TvfDictEntry[] {
    return [...this.#byId.values()].sort((a, b) => a.id - b.id);
  }

  /**
   * `tvf` as a plain JSON object (see the class doc for each type's form). A record of
   * another implementation is read through its checked copy (`SimpleStringTvf.from`).
   * @throws TvfError as the getters do when a field does not hold its dictionary type
   *   (`TypeMismatch`, `ConversionError`, `SerializationError` for a buffer), or as
   *   `SimpleStringTvf.from` does for a foreign record that is not a usable `Tvf`.
   */
  toJson(tvf: Tvf): TvfJsonObject {
    const record = SimpleStringTvf.own(tvf);
    const out: TvfJsonObject = {};
    for (const id of record.keys()) {
      const entry = this.#byId.get(id);
      if (entry === undefined) out[String(id)] = record.getString(id);
      else out[entry.name] = fieldToJson(record, id, entry);
    }
    return out;
  }

  /**
   * `JSON.stringify(this.toJson(tvf))`, written directly: no intermediate object, keys
   * quoted once per dictionary. Same text, same key order (a plain object lists its
   * array-index keys, the unnamed fields up to id 2^32-2, before its other keys).
   * @throws TvfError as {@link toJson} does.
   */
  toJsonText(tvf: Tvf): string {
    return this.#jsonText(SimpleStringTvf.own(tvf));
  }

  #jsonText(tvf: SimpleStringTvf): string {
    const ids = tvf.keys();
    let out = '';
    // Pass 1: unnamed fields whose decimal id is an array index come first in an object.
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id > MAX_ARRAY_INDEX || this.#byId.has(id)) continue;
      out += (out === '' ? '"' : ',"') + id + '":' + JSON.stringify(tvf.getString(id));
    }
    // Pass 2: every other field, in id order (the order toJson inserts them).
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const entry = this.#byId.get(id);
      let key: string;
      let value: string;
      if (entry === undefined) {
        if (id <= MAX_ARRAY_INDEX) continue;
        key = '"' + id + '":';
        value = JSON.stringify(tvf.getString(id));
      } else {
        key = this.#jsonKeys.get(id)!;
        if (entry.type === 'buffer') value = entry.dict!.#jsonText(tvf.getBuffer(id));
        else if (entry.type === 'unsigned' || entry.type === 'signed') {
          const text = tvf.getString(id);
          value = isCanonicalSmallInteger(text, entry.type === 'signed') ? text : jsonText(fieldToJson(tvf, id, entry));
        } else value = jsonText(fieldToJson(tvf, id, entry));
      }
      out += (out === '' ? key : ',' + key) + value;
    }
    return '{' + out + '}';
  }

  /**
   * A record from a plain object keyed by this dictionary's names (or decimal ids for
   * fields it does not name), accepting what {@link toJson} produces and also bigints,
   * `Date`s for dates, `Uint8Array`s for bytes and any float text for floats. An unnamed
   * field takes a string, a number (an integer becomes a signed field, others a float), a
   * bigint or a plain object (a nested buffer).
   * @throws TvfError `FieldNotFound` for a key that is neither a name here nor a decimal
   *   id; `TypeMismatch` / `ConversionError` (with the id) for a value of the wrong form,
   *   or when reading `json` throws (a getter, a Proxy: the error is the `cause`);
   *   `SerializationError` when objects nest deeper than 32 levels, or a nested buffer's
   *   text would pass the default `maxBytes` (it could not be read back). An object
   *   reached twice (objects may share sub-objects) is converted once.
   */
  fromJson(json: Readonly<Record<string, unknown>>): SimpleStringTvf {
    try {
      return this.#fromJson(json, 0, new Map());
    } catch (error) {
      if (TvfError.is(error)) throw error;
      throw new TvfError('TypeMismatch', 'fromJson: reading the JSON object threw', { cause: error });
    }
  }

  /**
   * `fromJson(JSON.parse(text))` read straight from the text, with no intermediate object,
   * when `text` is one flat JSON object whose keys are all names of this dictionary (plain:
   * no escape) and whose values are all plain strings or numbers that convert without
   * error. `undefined` for any other text, valid or not: the caller then takes the general
   * path, which also gives the error. A repeated key keeps its last value, as `JSON.parse`
   * does. Never throws.
   */
  fromFlatJsonText(text: string): SimpleStringTvf | undefined {
    const n = text.length;
    let i = skipJsonWhitespace(text, 0);
    if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
    i = skipJsonWhitespace(text, i + 1);
    const out = new SimpleStringTvf();
    if (text.charCodeAt(i) === CLOSE_BRACE) return skipJsonWhitespace(text, i + 1) === n ? out : undefined;
    const inOrder = this.#inOrder;
    let next = 0;
    for (;;) {
      if (text.charCodeAt(i) !== QUOTE) return undefined;
      const keyEnd = plainJsonStringEnd(text, i + 1);
      if (keyEnd < 0) return undefined;
      // Keys mostly come in the dictionary's order: try the entry after the last one first,
      // which needs neither a key string nor a hash. A decimal id or `__proto__` is never a
      // name: those keys take the general path.
      const guess = inOrder[next];
      let entry: TvfDictEntry | undefined;
      if (guess !== undefined && keyEnd - i - 1 === guess.name.length && text.startsWith(guess.name, i + 1)) entry = guess;
      else {
        const at = this.#position.get(text.slice(i + 1, keyEnd));
        if (at === undefined) return undefined;
        entry = inOrder[at]!;
        next = at;
      }
      next++;
      i = skipJsonWhitespace(text, keyEnd + 1);
      if (text.charCodeAt(i) !== COLON) return undefined;
      i = skipJsonWhitespace(text, i + 1);
      let value: string | number;
      if (text.charCodeAt(i) === QUOTE) {
        const end = plainJsonStringEnd(text, i + 1);
        if (end < 0) return undefined;
        value = text.slice(i + 1, end);
        i = end + 1;
      } else {
        const end = jsonNumberEnd(text, i);
        if (end < 0) return undefined;
        value = Number(text.slice(i, end)); // the correctly rounded double, as JSON.parse reads it
        i = end;
      }
      try {
        this.#putTyped(out, entry, value, 0, NO_OBJECTS);
      } catch {
        return undefined; // the general path gives the error (or, for a repeated key, the last value)
      }
      i = skipJsonWhitespace(text, i);
      const c = text.charCodeAt(i);
      if (c === CLOSE_BRACE) return skipJsonWhitespace(text, i + 1) === n ? out : undefined;
      if (c !== COMMA) return undefined;
      i = skipJsonWhitespace(text, i + 1);
    }
  }

  #fromJson(json: Readonly<Record<string, unknown>>, depth: number, walk: JsonWalk): SimpleStringTvf {
    if (depth > DEFAULT_TVF_READ_LIMITS.maxDepth)
      throw new TvfError('SerializationError', `JSON objects nest deeper than ${DEFAULT_TVF_READ_LIMITS.maxDepth} levels`);
    if (!isPlainObject(json)) throw new TvfError('TypeMismatch', `a record converts from a plain object, not ${typeName(json)}`);
    const out = new SimpleStringTvf();
    for (const key of Object.keys(json)) {
      const value = json[key];
      const entry = this.#byName.get(key);
      if (entry !== undefined) {
        this.#putTyped(out, entry, value, depth, walk);
        continue;
      }
      const id = DECIMAL_ID.test(key) ? Number(key) : -1;
      if (!isFieldId(id)) throw new TvfError('FieldNotFound', `no field named ${shownValue(key)} in the dictionary`);
      this.#putUntyped(out, id, value, depth, walk);
    }
    return out;
  }

  /** Puts `json` at `id` of `out` as a buffer converted by this dictionary, one level below `depth`. */
  #putNested(out: SimpleStringTvf, id: number, json: Record<string, unknown>, depth: number, walk: JsonWalk): void {
    let converted = walk.get(this);
    if (converted === undefined) walk.set(this, (converted = new Map()));
    let known = converted.get(json);
    if (known === undefined || known.depth < depth + 1) {
      known = { tvf: this.#fromJson(json, depth + 1, walk), depth: depth + 1 };
      converted.set(json, known);
    }
    out.putBuffer(id, known.tvf);
    const length = out.getString(id).length; // UTF-8 takes at least as many bytes as UTF-16 units
    if (length > DEFAULT_TVF_READ_LIMITS.maxBytes)
      throw new TvfError(
        'SerializationError',
        `field ${id} would hold a buffer of at least ${length} bytes, more than maxBytes ${DEFAULT_TVF_READ_LIMITS.maxBytes}`,
        { id },
      );
  }

  #putUntyped(out: SimpleStringTvf, id: number, value: unknown, depth: number, walk: JsonWalk): void {
    if (typeof value === 'string') out.putString(id, value);
    else if (typeof value === 'number') {
      if (Number.isSafeInteger(value)) out.putSigned(id, value);
      else out.putFloat(id, value);
    } else if (typeof value === 'bigint') {
      if (value > I64_MAX) out.putUnsigned(id, value);
      else out.putSigned(id, value);
    } else if (isPlainObject(value)) EMPTY_DICT.#putNested(out, id, value, depth, walk);
    else throw wrongJson(id, 'a string, number, bigint or object');
  }

  #putTyped(out: SimpleStringTvf, entry: TvfDictEntry, value: unknown, depth: number, walk: JsonWalk): void {
    const id = entry.id;
    switch (entry.type) {
      case undefined:
        return this.#putUntyped(out, id, value, depth, walk);
      case 'string':
        if (typeof value !== 'string') throw wrongJson(id, 'a string');
        return out.putString(id, value);
      case 'unsigned':
      case 'signed': {
        const unsigned = entry.type === 'unsigned';
        const v = typeof value === 'string' ? parseInteger(value, unsigned ? 0n : I64_MIN, unsigned ? U64_MAX : I64_MAX) : value;
        if (typeof v !== 'number' && typeof v !== 'bigint') throw wrongJson(id, `an ${entry.type} integer`);
        return entry.type === 'unsigned' ? out.putUnsigned(id, v) : out.putSigned(id, v);
      }
      case 'byte':
        if (typeof value !== 'number') throw wrongJson(id, 'a byte number');
        return out.putByte(id, value);
      case 'float': {
        const v = typeof value === 'string' ? parseFloatText(value) : value;
        if (typeof v !== 'number') throw wrongJson(id, 'a float number or float text');
        return out.putFloat(id, v);
      }
      case 'bytes': {
        const v = typeof value === 'string' ? decodeHex(value) : value;
        if (!isUint8Array(v)) throw wrongJson(id, 'hex digits');
        return out.putBytes(id, v);
      }
      case 'date':
      case 'datetime': {
        const v = typeof value === 'string' ? (entry.type === 'date' ? parseDate(value) : parseDatetime(value)) : value;
        if (typeof v === 'string') throw new TvfError('ConversionError', `field ${id} cannot be read as a ${entry.type}: ${v}`, { id });
        if (!isDate(v)) throw wrongJson(id, `a ${entry.type} text or Date`);
        return entry.type === 'date' ? out.putDate(id, v) : out.putDatetime(id, v);
      }
      case 'buffer':
        if (!isPlainObject(value)) throw wrongJson(id, 'an object');
        return entry.dict!.#putNested(out, id, value, depth, walk);
    }
  }
}

function wrongJson(id: number, expected: string): TvfError {
  return new TvfError('TypeMismatch', `field ${id} cannot be set from JSON: expected ${expected}`, { id });
}

/** A 64-bit integer as a JSON number when exact, else as its decimal text. */
function integerToJson(value: bigint): number | string {
  return value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : value.toString();
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const COLON = 0x3a;
const COMMA = 0x2c;
/** The largest array index (2^32-2): a plain object lists such keys first, ascending. */
const MAX_ARRAY_INDEX = 4_294_967_294;

/** A value of {@link fieldToJson} as JSON text: strings quoted, numbers as `JSON.stringify` writes them. */
function jsonText(value: TvfJsonValue): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

/**
 * The value of an integer text of at most 15 digits (so exact as a number and within
 * 64 bits), optionally signed (`+`, and `-` when `signed`); `undefined` for anything
 * else, which the exact path (`getUnsigned` / `getSigned`) then reads or refuses.
 * Skips a bigint per field for the common small integers.
 */
function smallInteger(text: string, signed: boolean): number | undefined {
  const n = text.length;
  const sign = n > 0 ? text.charCodeAt(0) : 0;
  const i = sign === 43 /* + */ || (sign === 45 /* - */ && signed) ? 1 : 0;
  if (i === n || n - i > 15) return undefined;
  let value = 0;
  for (let j = i; j < n; j++) {
    const c = text.charCodeAt(j);
    if (c < 48 || c > 57) return undefined;
    value = value * 10 + (c - 48);
  }
  return sign === 45 ? 0 - value : value; // 0 - 0 is 0, as the bigint path gives
}

/**
 * True when `text` is an integer of at most 15 digits written as `String(number)` writes
 * it (no `+`, no leading zero, no `-0`; a `-` only when `signed`), so it is its own JSON
 * text: what {@link smallInteger} reads from it, written back, is `text` again.
 */
function isCanonicalSmallInteger(text: string, signed: boolean): boolean {
  const n = text.length;
  const i = signed && n > 1 && text.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  if (i === n || n - i > 15) return false;
  const first = text.charCodeAt(i);
  if (first === 48 /* 0 */) return n === 1; // '0' alone; '-0' and leading zeros are not canonical
  for (let j = i; j < n; j++) {
    const c = text.charCodeAt(j);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function fieldToJson(tvf: SimpleStringTvf, id: number, entry: TvfDictEntry): TvfJsonValue {
  switch (entry.type) {
    case undefined:
    case 'string':
      return tvf.getString(id);
    case 'unsigned':
    case 'signed': {
      const signed = entry.type === 'signed';
      const small = smallInteger(tvf.getString(id), signed);
      if (small !== undefined) return small;
      return integerToJson(signed ? tvf.getSigned(id) : tvf.getUnsigned(id));
    }
    case 'byte':
      return tvf.getByte(id);
    case 'float': {
      const v = tvf.getFloat(id);
      return Number.isFinite(v) ? v : formatFloat(v);
    }
    case 'bytes':
      return encodeHex(tvf.getBytes(id));
    case 'date':
      return formatDate(tvf.getDate(id))!;
    case 'datetime':
      return formatDatetime(tvf.getDatetime(id))!;
    case 'buffer':
      return entry.dict!.toJson(tvf.getBuffer(id)); // a SimpleStringTvf: no copy
  }
}

/** The dictionary that names nothing: nested buffers without a sub-dictionary use it. */
const EMPTY_DICT = new TvfDict({});
