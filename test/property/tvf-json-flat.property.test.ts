/**
 * `TvfDict.fromFlatJsonText`, the direct JSON-text-to-record path of JSON bodies, gives
 * exactly the record `fromJson(JSON.parse(text))` gives (same texts, same kinds) or
 * declines (`undefined`): over JSON texts built token by token (keys named, unnamed, as
 * decimal ids, `__proto__`, repeated, in any order; strings with escapes, quotes, control
 * characters and lone surrogates; numbers past 2^53, past the double range, `-0`, with
 * fractions and exponents; nested objects and arrays, deep nesting; odd whitespace),
 * mangled texts, and generated dictionaries of every value type. A second property checks
 * the fast path is taken for the flat bodies it is for, so the first cannot pass by
 * declining everything.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BodyCodec } from '../../src/processors/http/body-codec.js';
import { SimpleStringTvf, TvfDict, type TvfDictDefinition, type TvfValueType } from '../../src/index.js';

const RUNS = Number(process.env.PROSA_PROPERTY_RUNS ?? 60);

const TYPES: (TvfValueType | 'untyped')[] = ['untyped', 'string', 'unsigned', 'signed', 'byte', 'float', 'bytes', 'date', 'datetime', 'buffer'];
const NAMES = ['id', 'amount', 'pan', 'é', '名前', 'a b', 'constructor', 'toString', 'x'];

/** A dictionary naming some of {@link NAMES}, ids 1.., each with a type. */
const dictionary = fc
  .uniqueArray(fc.record({ name: fc.constantFrom(...NAMES), type: fc.constantFrom(...TYPES) }), { selector: (e) => e.name, maxLength: NAMES.length })
  .map((entries) => {
    const definition: Record<string, TvfDictDefinition[string]> = {};
    entries.forEach(({ name, type }, i) => {
      definition[name] = type === 'untyped' ? i + 1 : { id: i + 1, type };
    });
    return definition;
  });

/** Raw JSON number texts, many of them on the edges of what a double holds. */
const numberText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => JSON.stringify(v)),
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.stringMatching(/^-?(0|[1-9]\d{0,25})(\.\d{1,20})?([eE][+-]?\d{1,3})?$/),
  fc.constantFrom('-0', '0', '1e400', '-1e400', '1e-400', '-1e-400', '9007199254740993', '18446744073709551615', '18446744073709551616', '255', '256', '2.5'),
  // Not JSON numbers: the general path refuses them, the fast path must decline.
  fc.constantFrom('01', '+1', '.5', '1.', '-', '1e', 'NaN', 'Infinity', '0x10'),
);

/** Raw JSON string texts, quotes included: plain ones, and every kind of trouble. */
const stringText = fc.oneof(
  fc.string().map((s) => JSON.stringify(s)),
  fc.string({ unit: 'binary', maxLength: 10 }).map((s) => JSON.stringify(s)),
  fc.constantFrom('2026-01-31', '2026-01-31T12:00:00', 'deadbeef', 'NaN', 'inf', '12', '-3', '0a', 'true').map((s) => JSON.stringify(s)),
  // Raw (not escaped) lone surrogates and control characters, and escapes of them.
  fc.constantFrom('"\ud800"', '"a\udc00b"', '"\\ud800"', '"\u0001"', '"a\\"b"', '"\\u0041"', '"\\n"', '"unterminated'),
);

function valueText(depth: number, names: string[]): fc.Arbitrary<string> {
  const scalar = fc.oneof(
    { weight: 4, arbitrary: stringText },
    { weight: 4, arbitrary: numberText },
    { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null', '[]', '{}', '[1,2]', '{"id":1}') },
  );
  if (depth === 0) return scalar;
  return fc.oneof({ weight: 6, arbitrary: scalar }, { weight: 1, arbitrary: objectText(depth - 1, names) });
}

/** Keys: mostly the dictionary's names; near misses of them (a prefix, a suffix, an escape); ids, `__proto__`. */
function keyText(names: string[]): fc.Arbitrary<string> {
  const named = names.length === 0 ? fc.constantFrom(...NAMES) : fc.constantFrom(...names);
  return fc.oneof(
    { weight: 12, arbitrary: named.map((n) => JSON.stringify(n)) },
    { weight: 2, arbitrary: named.chain((n) => fc.constantFrom(`"${n}x"`, `"${n.slice(0, -1)}"`, `"x${n}"`, `"\\u${n.charCodeAt(0).toString(16).padStart(4, '0')}${n.slice(1)}"`)) },
    { weight: 1, arbitrary: fc.constantFrom('"__proto__"', '"1"', '"01"', '"4294967296"', '"Id"', '""', '"id') },
    { weight: 1, arbitrary: fc.string({ maxLength: 4 }).map((s) => JSON.stringify(s)) },
  );
}

/** JSON whitespace, and a few characters that are not. */
const space = fc.oneof(
  { weight: 16, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.constantFrom(' ', '\n', '\t\r ') },
  { weight: 1, arbitrary: fc.constantFrom('\u00a0', '\ufeff', '\u000b') },
);

function objectText(depth: number, names: string[]): fc.Arbitrary<string> {
  return fc
    .array(fc.tuple(space, keyText(names), space, valueText(depth, names), space), { maxLength: 6 })
    .chain((pairs) =>
      fc.tuple(space, space).map(([before, after]) =>
        `${before}{${pairs.map(([a, k, b, v, c]) => `${a}${k}${b}:${v}${c}`).join(',')}}${after}`,
      ),
    );
}

/** A text `JSON.parse` may or may not accept: an object text, cut, doubled or mangled; or a deep one. */
function anyText(names: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 12, arbitrary: objectText(0, names) },
    { weight: 2, arbitrary: objectText(2, names) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(objectText(1, names), fc.nat(), fc.constantFrom('', ',', '}', '{', '"', ':', '\\', ' x', ',}', '\u0001'))
        .map(([text, at, insert]) => text.slice(0, at % (text.length + 1)) + insert + text.slice(at % (text.length + 1))),
    },
    { weight: 1, arbitrary: fc.nat(3000).map((n) => '{"id":'.repeat(n) + '1' + '}'.repeat(n)) },
    { weight: 1, arbitrary: fc.constantFrom('', '[]', 'null', '1', '"id"', '{"id":1}{}', '{"id":1,}', '{,}', '{"id"1}', '{"id":1 "pan":"x"}') },
  );
}

/** A value of each type, as JSON text, that converts. */
const plain = fc.string({ unit: 'grapheme' }).filter((s) => !/["\\\u0000-\u001f]/.test(s));
const valueOf: Record<TvfValueType | 'untyped', fc.Arbitrary<string> | undefined> = {
  untyped: fc.oneof(plain.map((s) => `"${s}"`), fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => JSON.stringify(v))),
  string: plain.map((s) => `"${s}"`),
  unsigned: fc.oneof(fc.maxSafeNat().map(String), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => `"${v}"`)),
  signed: fc.oneof(fc.maxSafeInteger().map(String), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => `"${v}"`)),
  byte: fc.integer({ min: 0, max: 255 }).map(String),
  float: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => JSON.stringify(v)), fc.constantFrom('"NaN"', '"inf"', '"-inf"')),
  bytes: fc.uint8Array({ maxLength: 6 }).map((b) => `"${Buffer.from(b).toString('hex')}"`),
  date: fc.constant('"2026-12-02"'),
  datetime: fc.constant('"2026-12-02T04:30:00"'),
  buffer: undefined, // a nested object: the general path's
};
/** A dictionary and a flat object text of its names with well-typed values: the order of the pairs, the pairs, the comma. */
const flat = dictionary.chain((definition) => {
  const names = Object.keys(definition).filter((name) => {
    const spec = definition[name]!;
    return typeof spec === 'number' || spec.type !== 'buffer';
  });
  const pairs = names.map((name) => {
    const spec = definition[name]!;
    return valueOf[typeof spec === 'number' ? 'untyped' : spec.type!]!.map((value) => `${JSON.stringify(name)}:${value}`);
  });
  return fc.tuple(fc.constant(definition), fc.oneof(fc.constant(pairs.map((_, i) => i)), fc.shuffledSubarray(pairs.map((_, i) => i))), fc.tuple(...pairs), fc.constantFrom(',', ' , ', ',\n'));
});
/** A flat text from {@link flat}. */
function flatText(order: number[], pairs: string[], comma: string): string {
  return `{${order.map((i) => pairs[i]).join(comma)}}`;
}

/** A flat object text with one thing wrong or odd: a value of another kind, a near-miss key, a character put in. */
const troubled = flat.chain(([definition, order, pairs, comma]) => {
  const names = Object.keys(definition);
  const text = flatText(order, pairs, comma);
  return fc.oneof(
    fc.constant(text),
    fc.tuple(fc.nat(), valueText(0, names)).map(([at, value]) => {
      if (order.length === 0) return text;
      const i = order[at % order.length]!;
      const swapped = [...pairs];
      swapped[i] = swapped[i]!.slice(0, swapped[i]!.indexOf('":') + 2) + value;
      return flatText(order, swapped, comma);
    }),
    fc.tuple(fc.nat(), fc.oneof(keyText(names), fc.constantFrom('x"', '"', 'é"'))).map(([at, key]) => {
      if (order.length === 0) return text;
      const i = order[at % order.length]!;
      // A key that starts as the pair's own does, then differs (the order the fast path guesses in).
      if (!key.startsWith('"')) key = pairs[i]!.slice(0, pairs[i]!.indexOf('":')) + key;
      const swapped = [...pairs];
      swapped[i] = key + swapped[i]!.slice(swapped[i]!.indexOf('":') + 1);
      return flatText(order, swapped, comma);
    }),
    fc.tuple(fc.nat(), fc.constantFrom(',', '}', '{', '"', ':', '\\', ' x', ',}', '\u0001', '\ud800', '0', '-', 'e5', '.5', ';')).map(
      ([at, insert]) => text.slice(0, at % (text.length + 1)) + insert + text.slice(at % (text.length + 1)),
    ),
    // A separator that is not a comma, or no separator.
    fc.constantFrom(';', ' ', ',,', '', ':').map((sep) => text.replace(comma, sep)),
    // The same key again, with another value.
    fc.tuple(fc.nat(), valueText(0, names)).map(([at, value]) => {
      if (order.length === 0) return text;
      const pair = pairs[order[at % order.length]!]!;
      return `${text.slice(0, -1)}${comma}${pair.slice(0, pair.indexOf('":') + 2)}${value}}`.replace('{,', '{');
    }),
  ).map((t) => [definition, t] as const);
});

/** A dictionary and a text to read with it. */
const dictAndText = fc.oneof(
  { weight: 1, arbitrary: dictionary.chain((definition) => fc.tuple(fc.constant(definition), anyText(Object.keys(definition)))) },
  { weight: 2, arbitrary: troubled },
);

/** The general path: `fromJson(JSON.parse(text))`, or `undefined` where it refuses. */
function general(dict: TvfDict, text: string): SimpleStringTvf | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return undefined;
  try {
    return dict.fromJson(json as Record<string, unknown>);
  } catch {
    return undefined;
  }
}

/** A record's texts and kinds, comparable with `toEqual`. */
function shape(tvf: SimpleStringTvf): { text: string; kinds: string[] } {
  return { text: tvf.serialize(), kinds: tvf.keys().map((id) => tvf.kindOf(id)) };
}

describe('TvfDict.fromFlatJsonText', () => {
  it('gives the record fromJson(JSON.parse(text)) gives, or declines', () => {
    fc.assert(
      fc.property(dictAndText, ([definition, text]) => {
        const dict = new TvfDict(definition);
        const fast = dict.fromFlatJsonText(text);
        const slow = general(dict, text);
        if (fast !== undefined) {
          expect(slow, 'the fast path read a text the general path refuses').toBeDefined();
          expect(shape(fast)).toEqual(shape(slow!));
        }
        // The codec, which takes the fast path first, answers as the general path does.
        const codec = new BodyCodec({ dict });
        const bytes = Buffer.from(text, 'utf8');
        let decoded: SimpleStringTvf | undefined;
        try {
          decoded = codec.decode('json', bytes);
        } catch {
          decoded = undefined;
        }
        // An empty body is an empty record; encoding replaces lone surrogates and decoding drops a BOM:
        // compare with the text the body's bytes decode to.
        const reference = text === '' ? new SimpleStringTvf() : general(dict, new TextDecoder().decode(bytes));
        expect(decoded === undefined ? undefined : shape(decoded)).toEqual(reference === undefined ? undefined : shape(reference));
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('takes the fast path for a flat object of named, well-typed values, in any order and spacing', () => {
    fc.assert(
      fc.property(flat, ([definition, order, pairs, comma]) => {
        const dict = new TvfDict(definition);
        const text = flatText(order, pairs, comma);
        const fast = dict.fromFlatJsonText(text);
        expect(fast, text).toBeDefined();
        expect(shape(fast!)).toEqual(shape(general(dict, text)!));
      }),
      { numRuns: RUNS * 3 },
    );
  });
});
