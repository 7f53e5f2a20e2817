/**
 * Properties of the TVF layer, checked by fast-check over generated records and texts.
 * A failure prints the seed and the shrunk counterexample; rerun with `{ seed, path }`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimpleStringTvf, TvfError, TvfFilter, type TvfMaskRules } from '../../src/index.js';

const U64_MAX = 2n ** 64n - 1n;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** One generated field value, with the type it was written as. */
type Value =
  | { t: 'string'; v: string }
  | { t: 'unsigned'; v: bigint }
  | { t: 'signed'; v: bigint }
  | { t: 'byte'; v: number }
  | { t: 'float'; v: number }
  | { t: 'bytes'; v: Uint8Array }
  | { t: 'date'; v: Date }
  | { t: 'datetime'; v: Date }
  | { t: 'buffer'; v: Model };

interface Field {
  id: number;
  value: Value;
  /** Whether the masking property masks this field. */
  mask: boolean;
}
type Model = Field[];

const anyDate = fc.date({
  min: new Date('0000-01-01T00:00:00.000Z'),
  max: new Date('9999-12-31T23:59:59.999Z'),
  noInvalidDate: true,
});

const leaf: fc.Arbitrary<Value> = fc.oneof(
  fc.record({ t: fc.constant('string' as const), v: fc.string({ unit: 'binary', maxLength: 24 }) }),
  fc.record({ t: fc.constant('string' as const), v: fc.string({ unit: 'grapheme', maxLength: 8 }) }),
  fc.record({ t: fc.constant('unsigned' as const), v: fc.bigInt({ min: 0n, max: U64_MAX }) }),
  fc.record({ t: fc.constant('signed' as const), v: fc.bigInt({ min: I64_MIN, max: I64_MAX }) }),
  fc.record({ t: fc.constant('byte' as const), v: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ t: fc.constant('float' as const), v: fc.double() }),
  // fc.double() reaches these, but rarely inside a record: ask for them outright.
  fc.record({
    t: fc.constant('float' as const),
    v: fc.constantFrom(-0, 0, NaN, Infinity, -Infinity, 5e-324, 1.7976931348623157e308, 1e21, 1e-7, 123456789012345680000),
  }),
  fc.record({ t: fc.constant('bytes' as const), v: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ t: fc.constant('date' as const), v: anyDate }),
  fc.record({ t: fc.constant('datetime' as const), v: anyDate }),
);

const fieldId = fc.oneof({ weight: 4, arbitrary: fc.nat(40) }, { weight: 1, arbitrary: fc.maxSafeNat() });

/** Records whose buffers nest at most `depth` levels. */
function modelOf(depth: number): fc.Arbitrary<Model> {
  const value: fc.Arbitrary<Value> =
    depth === 0
      ? leaf
      : fc.oneof(
          { weight: 5, arbitrary: leaf },
          { weight: 1, arbitrary: fc.record({ t: fc.constant('buffer' as const), v: modelOf(depth - 1) }) },
        );
  return fc.uniqueArray(fc.record({ id: fieldId, value, mask: fc.boolean() }), {
    selector: (f) => f.id,
    maxLength: 8,
  });
}

const models = modelOf(4);

function build(model: Model): SimpleStringTvf {
  const tvf = new SimpleStringTvf();
  for (const { id, value } of model) {
    switch (value.t) {
      case 'string':
        tvf.putString(id, value.v);
        break;
      case 'unsigned':
        tvf.putUnsigned(id, value.v);
        break;
      case 'signed':
        tvf.putSigned(id, value.v);
        break;
      case 'byte':
        tvf.putByte(id, value.v);
        break;
      case 'float':
        tvf.putFloat(id, value.v);
        break;
      case 'bytes':
        tvf.putBytes(id, value.v);
        break;
      case 'date':
        tvf.putDate(id, value.v);
        break;
      case 'datetime':
        tvf.putDatetime(id, value.v);
        break;
      case 'buffer':
        tvf.putBuffer(id, build(value.v));
        break;
    }
  }
  return tvf;
}

const DAY_MS = 86_400_000;

/** Reads every field of `tvf` back with the getter of its model type and checks the value. */
function expectHolds(tvf: SimpleStringTvf, model: Model): void {
  expect(tvf.keys()).toEqual(model.map((f) => f.id).sort((a, b) => a - b));
  for (const { id, value } of model) {
    switch (value.t) {
      case 'string':
        expect(tvf.getString(id)).toBe(value.v);
        break;
      case 'unsigned':
        expect(tvf.getUnsigned(id)).toBe(value.v);
        break;
      case 'signed':
        expect(tvf.getSigned(id)).toBe(value.v);
        break;
      case 'byte':
        expect(tvf.getByte(id)).toBe(value.v);
        break;
      case 'float':
        expect(Object.is(tvf.getFloat(id), value.v)).toBe(true);
        break;
      case 'bytes':
        expect(tvf.getBytes(id)).toEqual(value.v);
        break;
      case 'date':
        expect(tvf.getDate(id).getTime()).toBe(Math.floor(value.v.getTime() / DAY_MS) * DAY_MS);
        break;
      case 'datetime':
        expect(tvf.getDatetime(id).getTime()).toBe(Math.floor(value.v.getTime() / 1000) * 1000);
        break;
      case 'buffer':
        expectHolds(tvf.getBuffer(id), value.v);
        break;
    }
  }
}

describe('TVF properties', () => {
  it('deserialize(serialize(x)) equals x, reads back every value, and serializes to the same text', () => {
    fc.assert(
      fc.property(models, (model) => {
        const tvf = build(model);
        const text = tvf.serialize();
        const back = SimpleStringTvf.deserialize(text);
        expect(back.equals(tvf)).toBe(true);
        expect(tvf.equals(back)).toBe(true);
        expect(back.serialize()).toBe(text);
        expectHolds(tvf, model);
        expectHolds(back, model);
        expect(SimpleStringTvf.fromUtf8(tvf.toUtf8()).equals(tvf)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('LEN is the UTF-8 byte length of each value', () => {
    fc.assert(
      fc.property(models, (model) => {
        const tvf = build(model);
        const bytes = Buffer.from(tvf.serialize(), 'utf8');
        // Walk the text form on the bytes, independently of the reader under test.
        let p = 0;
        for (const id of tvf.keys()) {
          const a = bytes.indexOf(0x3b, p);
          expect(bytes.subarray(p, a).toString()).toBe(String(id));
          const b = bytes.indexOf(0x3b, a + 1);
          const len = Number(bytes.subarray(a + 1, b).toString());
          expect(bytes.subarray(b + 1, b + 1 + len).toString('utf8')).toBe(tvf.getString(id));
          expect(bytes[b + 1 + len]).toBe(0x3b);
          p = b + 2 + len;
        }
        expect(p).toBe(bytes.length);
      }),
      { numRuns: 150 },
    );
  });

  it('reads any field order the same as ascending order', () => {
    fc.assert(
      fc.property(models, fc.infiniteStream(fc.nat()), (model, shuffles) => {
        const tvf = build(model);
        const parts = tvf.keys().map((id) => {
          const value = tvf.getString(id);
          return `${id};${Buffer.byteLength(value)};${value};`;
        });
        for (let i = parts.length - 1; i > 0; i--) {
          const j = shuffles.next().value % (i + 1);
          [parts[i], parts[j]] = [parts[j]!, parts[i]!];
        }
        expect(SimpleStringTvf.deserialize(parts.join('')).serialize()).toBe(tvf.serialize());
      }),
      { numRuns: 100 },
    );
  });

  /** Texts near the text form: valid records with small edits, and soups of its characters. */
  const nearTexts = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
    fc.string({ unit: fc.constantFrom('0', '1', '2', '3', '9', ';', '+', '-', 'é', '😀', '\ud800', 'a', ' '), maxLength: 60 }),
    fc
      .tuple(
        modelOf(2).map((m) => build(m).serialize()),
        fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.constantFrom('0', '9', ';', 'é', '😀', '\udc00', 'x', '')), {
          maxLength: 4,
        }),
      )
      .map(([text, edits]) => {
        for (const [at, op, ch] of edits) {
          const i = text.length === 0 ? 0 : at % text.length;
          if (op === 0) text = text.slice(0, i) + text.slice(i + 1);
          else if (op === 1) text = text.slice(0, i) + ch + text.slice(i);
          else text = text.slice(0, i) + ch + text.slice(i + 1);
        }
        return text;
      }),
  );

  it('deserialize of any string returns a record or throws a TvfError, and so do its nested reads', () => {
    fc.assert(
      fc.property(nearTexts, (text) => {
        let tvf: SimpleStringTvf;
        try {
          tvf = SimpleStringTvf.deserialize(text);
        } catch (error) {
          expect(error).toBeInstanceOf(TvfError);
          expect((error as TvfError).kind).toBe('SerializationError');
          expect((error as TvfError).message).toMatch(/^at byte \d+: /);
          return;
        }
        const again = SimpleStringTvf.deserialize(tvf.serialize());
        expect(again.equals(tvf)).toBe(true);
        for (const id of tvf.keys()) {
          try {
            tvf.getBuffer(id);
          } catch (error) {
            expect(error).toBeInstanceOf(TvfError);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  /** Mask rules from the model's `mask` flags: a masked field is `true`, else descend into buffers. */
  function rulesOf(model: Model): TvfMaskRules {
    const rules: Record<number, true | TvfMaskRules> = {};
    for (const { id, value, mask } of model) {
      if (mask) rules[id] = true;
      else if (value.t === 'buffer') rules[id] = rulesOf(value.v);
    }
    return rules;
  }

  const FILL = '\u2588';

  function codePoints(text: string): number {
    return [...text].length;
  }

  /** Every masked field is gone or only fill characters; every other field is untouched. */
  function expectMasked(masked: SimpleStringTvf, original: SimpleStringTvf, model: Model): void {
    for (const { id, value, mask } of model) {
      if (mask) {
        if (!masked.contains(id)) {
          expect(value.t).not.toBe('string'); // only non-strings are removed
          continue;
        }
        expect(value.t).toBe('string');
        const text = masked.getString(id);
        expect(text).toBe(FILL.repeat(codePoints(original.getString(id))));
      } else if (value.t === 'buffer') {
        expectMasked(masked.getBuffer(id), original.getBuffer(id), value.v);
      } else {
        expect(masked.getString(id)).toBe(original.getString(id));
      }
    }
  }

  it('mask then read never exposes a masked character', () => {
    fc.assert(
      fc.property(models, (model) => {
        const tvf = build(model);
        const before = tvf.serialize();
        const masked = new TvfFilter(rulesOf(model), { fill: FILL }).filter(tvf);
        expect(tvf.serialize()).toBe(before); // the record itself is untouched
        expectMasked(masked, tvf, model);
        // Read from its text form too, where every field is text and nothing is typed.
        expectMasked(SimpleStringTvf.deserialize(masked.serialize()), tvf, model);
        const fromText = new TvfFilter(rulesOf(model), { fill: FILL }).filter(SimpleStringTvf.deserialize(before));
        for (const { id, mask } of model) if (mask) expect(fromText.getString(id)).toMatch(new RegExp(`^${FILL}*$`, 'u'));
      }),
      { numRuns: 200 },
    );
  });
});
