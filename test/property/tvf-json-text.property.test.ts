/**
 * `TvfDict.toJsonText` writes exactly what `JSON.stringify(dict.toJson(tvf))` writes, or
 * throws the same error: over generated records (every value type, nested buffers, ids
 * past 2^32 whose keys an object does not list first, integer texts in every form) and
 * generated dictionaries that name some fields, with their type or with another one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimpleStringTvf, TvfDict, type TvfDictDefinition, type TvfValueType } from '../../src/index.js';

const TYPES: TvfValueType[] = ['string', 'unsigned', 'signed', 'byte', 'float', 'bytes', 'date', 'datetime', 'buffer'];

/** One field: how its value is written, and how the dictionary names it (if it does). */
interface Field {
  id: number;
  /** A writer of the value into a record. */
  put: { t: 'text'; v: string } | { t: 'unsigned'; v: bigint } | { t: 'signed'; v: bigint } | { t: 'float'; v: number } | { t: 'buffer'; v: Field[] };
  /** `undefined`: unnamed; otherwise the type the dictionary gives it. */
  named: TvfValueType | 'untyped' | undefined;
}

/** Texts that look like integers or nearly: signs, leading zeros, 15/16 digits, too long. */
const integerish = fc.oneof(
  fc.constantFrom('-0', '+0', '0', '-', '+', '', '007', '+12', '-12', '999999999999999', '9999999999999999', '-999999999999999'),
  fc.stringMatching(/^[+-]?\d{1,22}$/),
  fc.string({ maxLength: 6 }),
);

const fieldId = fc.oneof(
  { weight: 4, arbitrary: fc.nat(40) },
  { weight: 1, arbitrary: fc.constantFrom(4_294_967_294, 4_294_967_295, 4_294_967_296) },
  { weight: 1, arbitrary: fc.maxSafeNat() },
);

function fieldsOf(depth: number): fc.Arbitrary<Field[]> {
  const leaf: fc.Arbitrary<Field['put']> = fc.oneof(
    fc.record({ t: fc.constant('text' as const), v: fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), integerish) }),
    fc.record({ t: fc.constantFrom('unsigned' as const, 'signed' as const), v: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }) }),
    fc.record({ t: fc.constant('signed' as const), v: fc.bigInt({ min: -(2n ** 63n), max: 0n }) }),
    fc.record({ t: fc.constant('float' as const), v: fc.double() }),
  );
  const put =
    depth === 0
      ? leaf
      : fc.oneof({ weight: 4, arbitrary: leaf }, { weight: 1, arbitrary: fc.record({ t: fc.constant('buffer' as const), v: fieldsOf(depth - 1) }) });
  const named = fc.option(fc.constantFrom<TvfValueType | 'untyped'>('untyped', ...TYPES), { nil: undefined });
  return fc.uniqueArray(fc.record({ id: fieldId, put, named }), { selector: (f) => f.id, maxLength: 8 });
}

function build(fields: Field[]): SimpleStringTvf {
  const tvf = new SimpleStringTvf();
  for (const { id, put } of fields) {
    if (put.t === 'text') {
      // A string with a lone surrogate cannot be put; keep the well-formed ones.
      if (!/\p{Cs}/u.test(put.v)) tvf.putString(id, put.v);
    } else if (put.t === 'unsigned') tvf.putUnsigned(id, put.v);
    else if (put.t === 'signed') tvf.putSigned(id, put.v);
    else if (put.t === 'float') tvf.putFloat(id, put.v);
    else tvf.putBuffer(id, build(put.v));
  }
  return tvf;
}

function definitionOf(fields: Field[]): TvfDictDefinition {
  const definition: Record<string, TvfDictDefinition[string]> = {};
  for (const { id, put, named } of fields) {
    if (named === undefined) continue;
    const name = `f${id}`;
    if (named === 'untyped') definition[name] = id;
    else if (named === 'buffer' && put.t === 'buffer') definition[name] = { id, fields: definitionOf(put.v) };
    else definition[name] = { id, type: named };
  }
  return definition;
}

function outcome(write: () => string): { text: string } | { error: string } {
  try {
    return { text: write() };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

describe('TvfDict.toJsonText', () => {
  it('writes JSON.stringify(toJson(tvf)), or throws what toJson throws', () => {
    fc.assert(
      fc.property(fieldsOf(3), (fields) => {
        const dict = new TvfDict(definitionOf(fields));
        const tvf = build(fields);
        expect(outcome(() => dict.toJsonText(tvf))).toEqual(outcome(() => JSON.stringify(dict.toJson(tvf))));
        // The same over the record read back from its text form (every field a text).
        const read = SimpleStringTvf.deserialize(tvf.serialize());
        expect(outcome(() => dict.toJsonText(read))).toEqual(outcome(() => JSON.stringify(dict.toJson(read))));
      }),
      { numRuns: 400 },
    );
  });
});

/** A JSON value shaped like a record: known names, decimal ids, other keys; strings, numbers, objects, and a few others. */
function jsonRecordOf(depth: number): fc.Arbitrary<Record<string, unknown>> {
  const key = fc.oneof(
    fc.constantFrom('f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8', 'f9', '__proto__', '01', '-1'),
    fc.nat(50).map(String),
    fc.constant('9007199254740992'),
    fc.string({ maxLength: 4 }),
  );
  const leaf = fc.oneof(
    { weight: 6, arbitrary: fc.oneof(fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 }), integerish) },
    { weight: 6, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -0, 255, 256, 2 ** 53, 1e21, -1e-7)) },
    { weight: 1, arbitrary: fc.constantFrom(true, false, null, [], [1]) },
  );
  const value = depth === 0 ? leaf : fc.oneof({ weight: 5, arbitrary: leaf }, { weight: 1, arbitrary: jsonRecordOf(depth - 1) });
  return fc.dictionary(key, value, { maxKeys: 8 });
}

/** A dictionary over ids 1..9 named f1..f9, each with a generated type; f9 a buffer of the same. */
const dictionaries = fc.array(fc.constantFrom<TvfValueType | 'untyped'>('untyped', ...TYPES), { minLength: 9, maxLength: 9 }).map((types) => {
  const definition: Record<string, TvfDictDefinition[string]> = {};
  types.forEach((type, i) => {
    const id = i + 1;
    definition[`f${id}`] = type === 'untyped' ? id : type === 'buffer' ? { id, fields: { f1: 1, f2: { id: 2, type: 'signed' } } } : { id, type };
  });
  return new TvfDict(definition);
});

/** What `fromJson(JSON.parse(text))` gives: the record's text form and kinds, or the error. */
function slowRead(dict: TvfDict, text: string): string {
  try {
    return recordText(dict.fromJson(JSON.parse(text) as Record<string, unknown>));
  } catch (error) {
    return `error ${(error as Error).message}`;
  }
}

function recordText(tvf: SimpleStringTvf): string {
  return tvf.serialize() + ' ' + tvf.keys().map((id) => tvf.kindOf(id)).join(',');
}

describe('TvfDict.fromJsonText', () => {
  it('reads what JSON.parse + fromJson read, and declines every text they refuse', () => {
    fc.assert(
      fc.property(dictionaries, jsonRecordOf(2), fc.constantFrom(undefined, 0, 1, '\t', ' \r\n '), (dict, json, space) => {
        const text = JSON.stringify(json, null, space);
        const slow = slowRead(dict, text);
        const fast = dict.fromJsonText(text);
        if (slow.startsWith('error ')) expect(fast).toBeUndefined();
        else if (!/true|false|null|\[/.test(text)) expect(fast === undefined ? 'declined' : recordText(fast)).toBe(slow);
        else if (fast !== undefined) expect(recordText(fast)).toBe(slow);
      }),
      { numRuns: 600 },
    );
  });

  it('returns undefined or the same record for any JSON-ish text, cut or not', () => {
    fc.assert(
      fc.property(dictionaries, fc.oneof(fc.json(), jsonRecordOf(2).map((j) => JSON.stringify(j))), fc.nat(), fc.string({ maxLength: 3 }), (dict, text, cut, noise) => {
        for (const t of [text, text.slice(0, cut % (text.length + 1)), text + noise, noise + text]) {
          const fast = dict.fromJsonText(t);
          if (fast === undefined) continue;
          expect(recordText(fast)).toBe(slowRead(dict, t));
        }
      }),
      { numRuns: 600 },
    );
  });
});
