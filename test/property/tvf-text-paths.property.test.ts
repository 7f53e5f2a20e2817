/**
 * The fast paths of the TVF text layer against plain reference implementations written
 * here from the spec (docs/tvf.md), over text that mixes ASCII, accented Latin, CJK,
 * emoji (surrogate pairs), lone surrogates and the form's own `;` and digits:
 *
 * - reading a text (any string, hostile or not) gives the fields, or fails at the byte
 *   offset, that a byte-level parser of its UTF-8 form gives (lone surrogates as bytes
 *   no strict decoder accepts); through `deserialize`,
 *   `fromUtf8` (which passes the known size) and `getBuffer` (likewise) alike;
 * - `advanceUtf8` (an ASCII run, then character by character) agrees with a walk by code
 *   points;
 * - `toUtf8` (written into a buffer of the size the fields add up to) is
 *   `Buffer.from(serialize())`;
 * - the integer, float and byte getters' fast paths read what the grammars say.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimpleStringTvf, TvfError } from '../../src/index.js';
import { parseFloatText } from '../../src/tvf/float-text.js';
import { decodeByte, decodeHex } from '../../src/tvf/hex-text.js';
import { I64_MAX, I64_MIN, parseInteger, U64_MAX } from '../../src/tvf/integer-text.js';
import { advanceUtf8, isWellFormed } from '../../src/tvf/utf8.js';

/** Runs of each property: the CI default, or `PROSA_PROPERTY_RUNS`. */
const RUNS = Number(process.env.PROSA_PROPERTY_RUNS ?? 60);

const codeUnit = (min: number, max: number) => fc.integer({ min, max }).map((c) => String.fromCharCode(c));

/** One piece of text: a character of some script, a lone surrogate, or the form's syntax. */
const piece = fc.oneof(
  { weight: 4, arbitrary: codeUnit(0x20, 0x7e) },
  { weight: 3, arbitrary: codeUnit(0xc0, 0x17f) }, // accented Latin: 2 bytes
  { weight: 1, arbitrary: codeUnit(0x80, 0x7ff) },
  { weight: 3, arbitrary: codeUnit(0x4e00, 0x9fff) }, // CJK: 3 bytes
  { weight: 1, arbitrary: codeUnit(0xe000, 0xffff) },
  { weight: 2, arbitrary: fc.integer({ min: 0x1f300, max: 0x1faff }).map((c) => String.fromCodePoint(c)) }, // emoji: a pair, 4 bytes
  { weight: 1, arbitrary: codeUnit(0xd800, 0xdfff) }, // a lone surrogate (or, by chance, half of a pair)
  { weight: 2, arbitrary: fc.constantFrom(';', '0', '9', '+') },
);

/** Text mixing every script; `wellFormed` leaves out lone surrogates. */
function mixedText(maxLength: number, wellFormed: boolean): fc.Arbitrary<string> {
  const text = fc.array(piece, { maxLength }).map((pieces) => pieces.join(''));
  return wellFormed ? text.map((t) => (t as unknown as { toWellFormed(): string }).toWellFormed()) : text;
}

/** A field of the text form, each part right or subtly wrong. */
const field = fc
  .record({
    id: fc.oneof(
      { weight: 8, arbitrary: fc.nat(60).map(String) },
      { weight: 1, arbitrary: fc.constantFrom('+7', '', 'x', '9007199254740993', '00012') },
    ),
    value: mixedText(12, false),
    /** Added to the value's UTF-8 length in LEN (0: right). */
    lenDelta: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) }),
    lenForm: fc.constantFrom('', '', '', '+', '0'),
    terminator: fc.oneof({ weight: 12, arbitrary: fc.constant(';') }, { weight: 1, arbitrary: fc.constantFrom('', 'é', ';;', '\ud800') }),
  })
  .map(({ id, value, lenDelta, lenForm, terminator }) => {
    const len = Math.max(0, Buffer.byteLength(value, 'utf8') + lenDelta);
    return `${id};${lenForm}${len};${value}${terminator}`;
  });

/** Record texts: well-formed ones, and ones with a defect somewhere. */
const recordText = fc.oneof(
  fc.array(field, { maxLength: 6 }).map((fields) => fields.join('')),
  fc.tuple(fc.array(field, { maxLength: 4 }), fc.nat(60), mixedText(6, false)).map(([fields, cut, tail]) => {
    const text = fields.join('');
    return text.slice(0, Math.min(cut, text.length)) + tail;
  }),
);

type Parsed = { ok: true; fields: Map<number, string> } | { ok: false; offset: number };

const SEMICOLON = 59;
const STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Reads the decimal at `b` (with an optional `+`): [value, index after it], or undefined for no digit. */
function decimalAt(bytes: Uint8Array, b: number): [number, number] | undefined {
  let i = bytes[b] === 43 ? b + 1 : b;
  const digits = i;
  let value = 0;
  while (i < bytes.length && bytes[i]! >= 48 && bytes[i]! <= 57) value = value * 10 + (bytes[i++]! - 48);
  return i === digits ? undefined : [value, i];
}

/**
 * The text form read over its UTF-8 bytes, as docs/tvf.md states it: `ID;LEN;VALUE;`,
 * LEN counting bytes, each VALUE valid UTF-8; the offset of the first defect otherwise.
 */
function referenceParse(bytes: Uint8Array): Parsed {
  const n = bytes.length;
  const fields = new Map<number, string>();
  let b = 0;
  const fail = (offset: number): Parsed => ({ ok: false, offset });
  while (b < n) {
    const start = b;
    const id = decimalAt(bytes, b);
    if (id === undefined || id[0] > Number.MAX_SAFE_INTEGER) return fail(start);
    b = id[1];
    if (b === n || bytes[b] !== SEMICOLON) return fail(b);
    b += 1;
    const len = decimalAt(bytes, b);
    if (len === undefined) return fail(b);
    b = len[1];
    if (b === n || bytes[b] !== SEMICOLON) return fail(b);
    b += 1;
    if (len[0] > n - b) return fail(b);
    let value: string;
    try {
      value = STRICT.decode(bytes.subarray(b, b + len[0]));
    } catch {
      return fail(b);
    }
    b += len[0];
    if (b === n || bytes[b] !== SEMICOLON) return fail(b);
    b += 1;
    fields.set(id[0], value);
  }
  return { ok: true, fields };
}

/**
 * `text` in UTF-8, but a lone surrogate in the 3 bytes of its generalized (WTF-8) form,
 * which strict decoding refuses: as many bytes as the reader counts for it, and never a
 * digit, a `;` or a valid value.
 */
function wtf8(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c >= 0xd800 && c <= 0xdfff) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(...Buffer.from(ch, 'utf8'));
  }
  return Uint8Array.from(out);
}

/** What a reading entry point gave: the fields of the record, or the offset of its error. */
function outcome(read: () => SimpleStringTvf): Parsed {
  let tvf: SimpleStringTvf;
  try {
    tvf = read();
  } catch (error) {
    expect(error).toBeInstanceOf(TvfError);
    expect((error as TvfError).kind).toBe('SerializationError');
    return { ok: false, offset: (error as TvfError).offset! };
  }
  return { ok: true, fields: new Map(tvf.keys().map((id) => [id, tvf.getString(id)])) };
}

/** A reference walk by code points: where `bytes` UTF-8 bytes from `from` end, or -1 / -2 / -3 as advanceUtf8 says. */
function referenceAdvance(text: string, from: number, bytes: number): number {
  let i = from;
  let left = bytes;
  while (left > 0) {
    if (i >= text.length) return -1;
    const cp = text.codePointAt(i)!;
    if (cp >= 0xd800 && cp <= 0xdfff) return -3; // codePointAt gives a lone surrogate as itself
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    left -= size;
    i += cp < 0x10000 ? 1 : 2;
  }
  return left === 0 ? i : -2;
}

describe('TVF text paths against plain references', () => {
  it('deserialize, fromUtf8 and getBuffer read any text as a byte-level parser of its UTF-8 does', () => {
    fc.assert(
      fc.property(recordText, (text) => {
        const wellFormed = isWellFormed(text);
        const reference = referenceParse(wtf8(text));
        expect(outcome(() => SimpleStringTvf.deserialize(text))).toEqual(reference);
        if (wellFormed) {
          // fromUtf8 knows the size from the bytes: the same answer.
          expect(outcome(() => SimpleStringTvf.fromUtf8(Buffer.from(text, 'utf8')))).toEqual(reference);
        } else {
          expect(reference.ok).toBe(false); // a lone surrogate is never part of a good text
        }
        // Nested: the same text as a field's value, opened with the size the record holds.
        if (wellFormed) {
          const outer = new SimpleStringTvf();
          outer.putString(3, text);
          const nested = outcome(() => SimpleStringTvf.deserialize(outer.serialize()).getBuffer(3));
          expect(nested).toEqual(reference);
        }
      }),
      { numRuns: RUNS * 30 },
    );
  });

  it('a lone surrogate inside a value is refused at the start of that value', () => {
    fc.assert(
      fc.property(mixedText(8, true), mixedText(8, true), codeUnit(0xd800, 0xdfff), mixedText(8, true), (before, left, lone, right) => {
        const value = left + lone + right;
        if (isWellFormed(value)) return; // the surrogate paired with a neighbour
        const prefix = `1;${Buffer.byteLength(before)};${before};`;
        const text = `${prefix}2;${Buffer.byteLength(value)};${value};`;
        const read = outcome(() => SimpleStringTvf.deserialize(text));
        const valueStart = Buffer.byteLength(prefix) + `2;${Buffer.byteLength(value)};`.length;
        expect(read).toEqual({ ok: false, offset: valueStart });
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('advanceUtf8 ends where a walk by code points ends', () => {
    fc.assert(
      fc.property(mixedText(24, false), fc.nat(30), fc.nat(80), (text, from, bytes) => {
        const start = Math.min(from, text.length);
        expect(advanceUtf8(text, start, bytes)).toBe(referenceAdvance(text, start, bytes));
      }),
      { numRuns: RUNS * 30 },
    );
  });

  it('toUtf8 is the UTF-8 of serialize, for records of any scripts, read or built, nested or not', () => {
    const values = fc.array(fc.tuple(fc.nat(20), mixedText(16, true)), { maxLength: 8 });
    fc.assert(
      fc.property(values, values, fc.boolean(), (outerValues, innerValues, reread) => {
        const inner = new SimpleStringTvf();
        for (const [id, value] of innerValues) inner.putString(id, value);
        let tvf = new SimpleStringTvf();
        for (const [id, value] of outerValues) tvf.putString(id, value);
        tvf.putBuffer(21, inner);
        tvf.putUnsigned(22, 7);
        if (reread) tvf = SimpleStringTvf.deserialize(tvf.serialize());
        const bytes = tvf.toUtf8();
        expect(Buffer.from(bytes).equals(Buffer.from(tvf.serialize(), 'utf8'))).toBe(true);
        expect(SimpleStringTvf.fromUtf8(bytes).equals(tvf)).toBe(true);
        expect(tvf.getBuffer(21).equals(inner)).toBe(true);
      }),
      { numRuns: RUNS * 10 },
    );
  });

  const numberText = fc
    .array(fc.constantFrom('0', '1', '5', '9', '+', '-', '.', 'e', 'E', 'inf', 'nan', 'INFINITY', ' ', 'x', '٣'), { maxLength: 24 })
    .map((parts) => parts.join(''));
  // Every length up to 24 digits alike: 15 is where the fast path ends, 16 and more pass 2^53.
  const digits = fc
    .tuple(fc.constantFrom('', '+', '-', '--'), fc.array(fc.constantFrom('0', '1', '7', '9'), { maxLength: 24, size: 'max' }))
    .map(([sign, ds]) => sign + ds.join(''));

  it('parseInteger reads what Rust’s u64 / i64 from_str reads, at any number of digits', () => {
    const reference = (text: string, min: bigint, max: bigint): bigint | undefined => {
      if (!(min < 0n ? /^[+-]?\d+$/ : /^\+?\d+$/).test(text)) return undefined;
      const value = BigInt(text.replace('+', ''));
      return value < min || value > max ? undefined : value;
    };
    fc.assert(
      fc.property(fc.oneof(digits, numberText), (text) => {
        expect(parseInteger(text, 0n, U64_MAX)).toBe(reference(text, 0n, U64_MAX));
        expect(parseInteger(text, I64_MIN, I64_MAX)).toBe(reference(text, I64_MIN, I64_MAX));
      }),
      { numRuns: RUNS * 30 },
    );
  });

  it('parseFloatText reads what Rust’s f64 from_str reads', () => {
    const grammar = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)$/i;
    const reference = (text: string): number | undefined => {
      if (!grammar.test(text)) return undefined;
      const lower = text.toLowerCase();
      if (lower.endsWith('nan')) return NaN;
      if (lower.endsWith('inf') || lower.endsWith('infinity')) return lower.startsWith('-') ? -Infinity : Infinity;
      return Number(text);
    };
    fc.assert(
      fc.property(fc.oneof(digits, numberText, fc.double().map(String)), (text) => {
        expect(Object.is(parseFloatText(text), reference(text)) || parseFloatText(text) === reference(text)).toBe(true);
      }),
      { numRuns: RUNS * 30 },
    );
  });

  it('decodeByte reads the one byte decodeHex reads from two hex digits', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('0', '9', 'a', 'F', 'g', 'é', ' '), maxLength: 3 }), (text) => {
        const bytes = text.length === 2 ? decodeHex(text) : undefined;
        expect(decodeByte(text)).toBe(bytes === undefined ? -1 : bytes[0]);
      }),
      { numRuns: RUNS * 5 },
    );
  });
});
