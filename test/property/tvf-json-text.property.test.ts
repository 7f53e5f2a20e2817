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

  it('writes an integer field as toJson does, whatever form its text has (signs, leading zeros, -0, 15/16 digits)', () => {
    fc.assert(
      fc.property(integerish, fc.constantFrom<TvfValueType>('unsigned', 'signed'), (text, type) => {
        const dict = new TvfDict({ n: { id: 1, type } });
        const tvf = SimpleStringTvf.deserialize(`1;${Buffer.byteLength(text)};${text};`);
        expect(outcome(() => dict.toJsonText(tvf))).toEqual(outcome(() => JSON.stringify(dict.toJson(tvf))));
      }),
      { numRuns: 200 },
    );
  });
});
