/**
 * Properties of the TVF layer, checked by fast-check over generated records and texts.
 * A failure prints the seed and the shrunk counterexample; rerun with `{ seed, path }`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimpleStringTvf, TvfDict, TvfError, TvfFilter, type TvfMaskRules } from '../../src/index.js';

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

/** Runs of each property: the CI default, or `PROSA_PROPERTY_RUNS`. */
const RUNS = Number(process.env.PROSA_PROPERTY_RUNS ?? 60);

/** `model` with its fields in the order given by `ranks` (one rank a field). */
function reordered<T>(items: readonly T[], ranks: readonly number[]): T[] {
  return items
    .map((item, i) => ({ item, rank: ranks[i % Math.max(1, ranks.length)] ?? 0, i }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map((x) => x.item);
}

/** `model` with every buffer's fields (at any depth) in a shuffled, reversed or sorted order. */
function inOrder(model: Model, how: 'ascending' | 'descending' | 'shuffled', ranks: readonly number[]): Model {
  const fields = model.map((f) =>
    f.value.t === 'buffer' ? { ...f, value: { t: 'buffer' as const, v: inOrder(f.value.v, how, ranks.slice(1)) } } : f,
  );
  if (how === 'ascending') return fields.sort((a, b) => a.id - b.id);
  if (how === 'descending') return fields.sort((a, b) => b.id - a.id);
  return reordered(fields, ranks);
}

describe('TVF records in any field order', () => {
  const orders = fc.constantFrom('ascending' as const, 'descending' as const, 'shuffled' as const);
  const ranks = fc.array(fc.integer(), { minLength: 1, maxLength: 16 });

  it('a record built from its fields in any order equals the ascending-built one, and round-trips', () => {
    fc.assert(
      fc.property(models, orders, ranks, (model, how, r) => {
        const ascending = build(inOrder(model, 'ascending', r));
        const tvf = build(inOrder(model, how, r));
        expect(tvf.equals(ascending)).toBe(true);
        expect(ascending.equals(tvf)).toBe(true);
        expect(tvf.serialize()).toBe(ascending.serialize());
        expect(tvf.keys()).toEqual(ascending.keys());
        expect(tvf.len()).toBe(model.length);
        expectHolds(tvf, model);
        const back = SimpleStringTvf.deserialize(tvf.serialize());
        expect(back.equals(ascending)).toBe(true);
        expect(tvf.clone().serialize()).toBe(ascending.serialize());
        // The JSON path puts its fields in the order of the object's keys.
        const dict = new TvfDict({});
        expect(dict.fromJson(dict.toJson(tvf)).equals(dict.fromJson(dict.toJson(ascending)))).toBe(true);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('a text with repeated ids, in any order, reads as its last value of each id', () => {
    const field = fc.record({ id: fc.oneof(fc.nat(12), fc.constantFrom(2 ** 52, 2 ** 53 - 1)), text: fc.string({ maxLength: 6 }) });
    fc.assert(
      fc.property(fc.array(field, { maxLength: 60 }), (fields) => {
        const text = fields.map(({ id, text }) => `${id};${Buffer.byteLength(text)};${text};`).join('');
        const last = new Map<number, string>();
        for (const { id, text } of fields) last.set(id, text);
        const expected = new SimpleStringTvf();
        for (const id of [...last.keys()].sort((a, b) => a - b)) expected.putString(id, last.get(id)!);
        const tvf = SimpleStringTvf.deserialize(text);
        expect(tvf.len()).toBe(last.size);
        expect(tvf.equals(expected)).toBe(true);
        expect(tvf.serialize()).toBe(expected.serialize());
        // Read field by field first (no settle in between), then walked.
        const again = SimpleStringTvf.deserialize(text);
        for (const [id, value] of last) expect(again.getString(id)).toBe(value);
        expect(again.serialize()).toBe(expected.serialize());
      }),
      { numRuns: RUNS * 3 },
    );
  });

  /** Model of a record: id to text. The real record is changed by the same steps. */
  interface Real {
    tvf: SimpleStringTvf;
  }
  type Step = fc.Command<Map<number, string>, Real>;

  function expectSame(m: ReadonlyMap<number, string>, r: Real): void {
    const ids = [...m.keys()].sort((a, b) => a - b);
    expect(r.tvf.keys()).toEqual(ids);
    expect(r.tvf.serialize()).toBe(ids.map((id) => `${id};${Buffer.byteLength(m.get(id)!)};${m.get(id)!};`).join(''));
  }

  class Put implements Step {
    constructor(readonly ids: readonly number[], readonly text: string) {}
    check = () => true;
    run(m: Map<number, string>, r: Real): void {
      for (const id of this.ids) {
        m.set(id, this.text + id);
        r.tvf.putString(id, this.text + id);
      }
    }
    toString = () => `put(${this.ids.join(',')})`;
  }
  class Remove implements Step {
    constructor(readonly ids: readonly number[]) {}
    check = () => true;
    run(m: Map<number, string>, r: Real): void {
      for (const id of this.ids) expect(r.tvf.remove(id)).toBe(m.delete(id));
    }
    toString = () => `remove(${this.ids.join(',')})`;
  }
  class Look implements Step {
    constructor(readonly id: number) {}
    check = () => true;
    run(m: Map<number, string>, r: Real): void {
      expect(r.tvf.contains(this.id)).toBe(m.has(this.id));
      expect(r.tvf.len()).toBe(m.size);
      expect(r.tvf.isEmpty()).toBe(m.size === 0);
      if (m.has(this.id)) {
        expect(r.tvf.getString(this.id)).toBe(m.get(this.id));
        expect(['string', 'text']).toContain(r.tvf.kindOf(this.id)); // 'text' once read back
      } else expect(() => r.tvf.getString(this.id)).toThrow(TvfError);
    }
    toString = () => `look(${this.id})`;
  }
  class Walk implements Step {
    check = () => true;
    run(m: Map<number, string>, r: Real): void {
      expectSame(m, r);
    }
    toString = () => 'walk';
  }
  class CloneAndNest implements Step {
    check = () => true;
    run(m: Map<number, string>, r: Real): void {
      const copy = r.tvf.clone();
      expect(copy.equals(r.tvf)).toBe(true);
      const outer = new SimpleStringTvf();
      outer.putBuffer(1, r.tvf);
      expect(outer.getBuffer(1).equals(r.tvf)).toBe(true);
      copy.putString(0, 'changed'); // the copy is the record's own: the original does not see it
      expectSame(m, r);
      r.tvf = SimpleStringTvf.deserialize(r.tvf.serialize());
    }
    toString = () => 'cloneAndNest';
  }

  const id = fc.oneof(
    { weight: 6, arbitrary: fc.nat(24) },
    { weight: 1, arbitrary: fc.constantFrom(2 ** 40 + 1, 2 ** 52, 2 ** 53 - 2, 2 ** 53 - 1) },
    { weight: 1, arbitrary: fc.maxSafeNat() },
  );
  /** Some ids at once, often a run up or down, so the out-of-order part grows long. */
  const someIds = fc.oneof(
    fc.array(id, { minLength: 1, maxLength: 6 }),
    fc
      .tuple(fc.nat(30), fc.integer({ min: 1, max: 40 }), fc.boolean())
      .map(([from, count, up]) => Array.from({ length: count }, (_, i) => (up ? from + i : from + count - i))),
  );
  const steps = [
    fc.tuple(someIds, fc.string({ maxLength: 4 })).map(([ids, text]) => new Put(ids, text)),
    fc.tuple(someIds, fc.string({ maxLength: 4 })).map(([ids, text]) => new Put(ids, text)),
    someIds.map((ids) => new Remove(ids)),
    id.map((i) => new Look(i)),
    id.map((i) => new Look(i)),
    fc.constant(new Walk()),
    fc.constant(new CloneAndNest()),
  ];

  it('puts, removals, lookups and walks in any order agree with a map after every step', () => {
    fc.assert(
      fc.property(fc.commands(steps, { maxCommands: 40 }), (cmds) => {
        const real: Real = { tvf: new SimpleStringTvf() };
        const model = new Map<number, string>();
        fc.modelRun(() => ({ model, real }), cmds);
        expectSame(model, real);
      }),
      { numRuns: RUNS * 5 },
    );
  });
});

