/**
 * Properties of the TVF API under hostile arguments: every public entry, given any value
 * (`fc.anything()`, Proxies whose traps throw, revoked Proxies, throwing getters, lying
 * subclasses, foreign records that break their contract), either succeeds or throws a
 * `TvfError`, never another error type; and a record a call leaves behind serializes to a
 * text that reads back equal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeTvf, hasKinds, maskTvf, SimpleStringTvf, TvfDict, TvfError, TvfFilter, type Tvf, type TvfReadOptions } from '../../src/index.js';
import { HOSTILE_VALUES, type Hostile } from '../support/hostile.js';

const RUNS = Number(process.env.PROSA_PROPERTY_RUNS ?? 60);

const hostile = (): never => {
  throw new Error('hostile');
};

/**
 * Values built to break code that trusts its arguments: the shared hostile values
 * (test/support/hostile.ts), and those aimed at the TVF API's arguments. Each made fresh.
 */
const SPECIALS: readonly Hostile[] = [
  ...HOSTILE_VALUES,
  {
    name: 'object whose TVF-argument getters throw',
    make: () =>
      Object.defineProperties(
        {},
        Object.fromEntries(
          ['keys', 'getString', 'kindOf', 'maxDepth', 'maxBytes', 'fill', 'id', 'type', 'fields', '1', 'toString', 'valueOf'].map(
            (key) => [key, { get: hostile, enumerable: true }],
          ),
        ),
      ),
  },
  {
    name: 'Uint8Array whose length getter throws',
    make: () =>
      new (class LyingBytes extends Uint8Array {
        override get length(): number {
          return hostile();
        }
      })([1, 2]),
  },
  {
    name: 'Date whose getTime throws',
    make: () =>
      new (class LyingDate extends Date {
        override getTime(): number {
          return hostile();
        }
      })(0),
  },
  { name: 'Proxy of a Uint8Array', make: () => new Proxy(new Uint8Array(2), {}) },
  { name: 'Proxy of a Date', make: () => new Proxy(new Date(0), {}) },
  {
    name: 'record whose getString and getBuffer return itself',
    make: () => {
      const selfish: Record<string, unknown> = {};
      return Object.assign(selfish, { keys: () => [1], getString: () => selfish, kindOf: () => 'buffer', getBuffer: () => selfish });
    },
  },
  ...[NaN, -1, 1.5, 2 ** 53, -0, Infinity, -1n, 2n ** 64n, '1;1;a;'].map((v) => ({ name: String(v), make: () => v })),
  { name: 'invalid Date', make: () => new Date(NaN) },
];

/**
 * One of {@link SPECIALS}. fast-check itself looks into the values it generates (a revoked
 * Proxy breaks it), so a property gets this marker and makes the value itself.
 */
class Special {
  constructor(readonly hostile: Hostile) {}
  toString(): string {
    return this.hostile.name;
  }
}

const special = fc.constantFrom(...SPECIALS).map((h) => new Special(h));

/** The value a generated one stands for: a {@link Special} becomes its hostile value. */
function resolve(value: unknown): unknown {
  return value instanceof Special ? value.hostile.make() : value;
}

/** What a method of a foreign record does when called: answer a value (maybe hostile), or throw one. */
function behaviour<T>(answer: fc.Arbitrary<T>): fc.Arbitrary<(...args: unknown[]) => unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.func(answer).map((f) => (...args: unknown[]) => resolve(f(...args))) },
    { weight: 1, arbitrary: fc.func(special).map((f) => () => { throw resolve(f()); }) },
  );
}

const fieldIds = fc.oneof({ weight: 6, arbitrary: fc.nat(6) }, fc.constantFrom(-1, 1.5, NaN, 2 ** 53, '1', null));

/** Records of other implementations whose every method may answer anything, or throw. */
const chaoticRecords: fc.Arbitrary<Tvf> = fc
  .record(
    {
      keys: behaviour(fc.oneof({ weight: 5, arbitrary: fc.array(fieldIds, { maxLength: 5 }) }, { weight: 1, arbitrary: fc.anything() })),
      getString: behaviour(
        fc.oneof(
          { weight: 5, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
          { weight: 2, arbitrary: fc.constantFrom('1;1;a;', '', '1;1;a', 'a\udc00') },
          { weight: 1, arbitrary: fc.anything() },
          { weight: 1, arbitrary: special },
        ),
      ),
      kindOf: behaviour(fc.oneof(fc.constantFrom('text', 'string', 'unsigned', 'bytes', 'buffer', 'nope'), fc.anything(), special)),
      len: behaviour(fc.anything()),
      getBuffer: behaviour(fc.anything()),
    },
    { requiredKeys: ['keys', 'getString'] },
  )
  .map((methods) => methods as unknown as Tvf);

const KINDS = ['text', 'string', 'unsigned', 'signed', 'byte', 'float', 'bytes', 'date', 'datetime', 'buffer'] as const;
/** Ways a foreign record can break its contract, one at a time. */
const DEFECTS = [
  'getString returns a number',
  'getString throws',
  'getString returns a lone surrogate',
  'keys() lists a bad id',
  'keys() lists an id twice',
  'keys() is not an array',
  'keys() throws',
  'kindOf returns no kind',
  'kindOf throws',
  'a buffer that is not a record',
] as const;

interface NearlyValid {
  fields: { id: number; text: string; kind: (typeof KINDS)[number] }[];
  withKinds: boolean;
  reversed: boolean;
  defect: { what: (typeof DEFECTS)[number]; at: number } | null;
}

/** A well-behaved foreign record with at most one defect, and whether it has one. */
const nearlyValid: fc.Arbitrary<NearlyValid> = fc.record({
  fields: fc.uniqueArray(
    fc.record({
      id: fc.oneof(fc.nat(20), fc.constant(2 ** 53 - 1)),
      text: fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('1;1;a;', '', '2;3;é;')),
      kind: fc.constantFrom(...KINDS),
    }),
    { selector: (f) => f.id, minLength: 1, maxLength: 6 },
  ),
  withKinds: fc.boolean(),
  reversed: fc.boolean(),
  defect: fc.option(fc.record({ what: fc.constantFrom(...DEFECTS), at: fc.nat() }), { nil: null }),
});

/** The foreign record `spec` describes: a buffer field holds a record text unless the defect says not. */
function foreignOf({ fields, withKinds, reversed, defect }: NearlyValid): Tvf {
  const texts = new Map<number, string>();
  const kinds = new Map<number, string>();
  for (const f of fields) {
    texts.set(f.id, f.kind === 'buffer' ? '1;1;a;' : f.text);
    kinds.set(f.id, withKinds ? f.kind : 'text');
  }
  const ids = fields.map((f) => f.id);
  if (reversed) ids.reverse();
  const at = defect === null ? -1 : ids[defect.at % ids.length]!;
  const what = defect?.what;
  if (what === 'a buffer that is not a record') {
    kinds.set(at, 'buffer');
    texts.set(at, 'not a record');
  }
  const record: Record<string, unknown> = {
    keys: () => {
      if (what === 'keys() throws') throw new Error('hostile');
      if (what === 'keys() is not an array') return new Set(ids);
      if (what === 'keys() lists a bad id') return [...ids, -1];
      if (what === 'keys() lists an id twice') return [...ids, at];
      return ids;
    },
    getString: (id: number) => {
      if (id === at && what === 'getString returns a number') return 42;
      if (id === at && what === 'getString throws') throw new Error('hostile');
      if (id === at && what === 'getString returns a lone surrogate') return 'a\ud800';
      return texts.get(id);
    },
    len: () => 'many',
  };
  if (withKinds || what === 'kindOf returns no kind' || what === 'kindOf throws' || what === 'a buffer that is not a record')
    record['kindOf'] = (id: number) => {
      if (id === at && what === 'kindOf returns no kind') return 'nothing';
      if (id === at && what === 'kindOf throws') throw new Error('hostile');
      return kinds.get(id);
    };
  return record as unknown as Tvf;
}

/** Records of other implementations: chaotic ones, and nearly valid ones. */
const foreignRecords: fc.Arbitrary<Tvf> = fc.oneof(chaoticRecords, nearlyValid.map(foreignOf));

const hostileValues: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.anything({
      withBigInt: true,
      withDate: true,
      withTypedArray: true,
      withNullPrototype: true,
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withSparseArray: true,
      withObjectString: true,
      maxDepth: 3,
    }),
  },
  { weight: 2, arbitrary: special },
  { weight: 2, arbitrary: foreignRecords },
);

/** A fresh record with fields of several kinds, a nested buffer among them. */
function sample(): SimpleStringTvf {
  const inner = new SimpleStringTvf();
  inner.putString(1, 'in');
  const tvf = new SimpleStringTvf();
  tvf.putString(3, 'abc');
  tvf.putUnsigned(1, 7);
  tvf.putBytes(4, Uint8Array.of(1, 2));
  tvf.putBuffer(2, inner);
  return tvf;
}

/** The record after a call must still serialize to a text that reads back equal. */
function expectReadsBack(tvf: SimpleStringTvf): void {
  const back = SimpleStringTvf.deserialize(tvf.serialize());
  expect(back.equals(tvf)).toBe(true);
  expect(SimpleStringTvf.fromUtf8(tvf.toUtf8()).serialize()).toBe(tvf.serialize());
  for (const id of tvf.keys()) {
    if (tvf.kindOf(id) === 'buffer') expectReadsBack(tvf.getBuffer(id));
  }
}

type Entry = (a: unknown, b: unknown, record: SimpleStringTvf) => unknown;

const GETTERS = ['getString', 'getUnsigned', 'getSigned', 'getByte', 'getFloat', 'getBytes', 'getDate', 'getDatetime', 'getBuffer'];
const SETTERS = ['putString', 'putUnsigned', 'putSigned', 'putByte', 'putFloat', 'putBytes', 'putDate', 'putDatetime', 'putBuffer'];
const method = (record: SimpleStringTvf, name: string) => (record as unknown as Record<string, (...args: unknown[]) => unknown>)[name]!.bind(record);
const dict = new TvfDict({ amount: { id: 1, type: 'unsigned' }, card: { id: 2, fields: { pan: { id: 1, type: 'string' } } }, when: { id: 5, type: 'date' } });
const filter = new TvfFilter({ 2: { 1: true }, 3: true });

/** Every public entry of src/tvf that takes an argument, by name. */
const ENTRIES: Record<string, Entry> = {
  deserialize: (a, b) => SimpleStringTvf.deserialize(a as string, b as TvfReadOptions),
  'deserialize(text, options)': (_a, b) => SimpleStringTvf.deserialize('1;1;a;2;6;1;1;b;;', b as TvfReadOptions),
  fromUtf8: (a, b) => SimpleStringTvf.fromUtf8(a as Uint8Array, b as TvfReadOptions),
  'fromUtf8(bytes, options)': (_a, b) => SimpleStringTvf.fromUtf8(Buffer.from('1;1;a;'), b as TvfReadOptions),
  from: (a) => SimpleStringTvf.from(a as Tvf),
  construct: (a) => new (SimpleStringTvf as new (x: unknown) => SimpleStringTvf)(a),
  contains: (a, _b, r) => r.contains(a as number),
  remove: (a, _b, r) => r.remove(a as number),
  kindOf: (a, _b, r) => r.kindOf(a as number),
  ...Object.fromEntries(GETTERS.map((name) => [name, (a: unknown, _b: unknown, r: SimpleStringTvf) => method(r, name)(a)])),
  ...Object.fromEntries(SETTERS.map((name) => [name, (a: unknown, b: unknown, r: SimpleStringTvf) => method(r, name)(a, b)])),
  ...Object.fromEntries(SETTERS.map((name) => [`${name}(3, value)`, (a: unknown, _b: unknown, r: SimpleStringTvf) => method(r, name)(3, a)])),
  hasKinds: (a) => hasKinds(a as Tvf),
  describeTvf: (a) => describeTvf(a as Tvf),
  TvfFilter: (a, b) => new TvfFilter(a as never, b as never),
  maskTvf: (a, b, r) => maskTvf(r, a as never, b as never),
  'filter.filter': (a) => filter.filter(a as Tvf),
  TvfDict: (a) => new TvfDict(a as never),
  fromJson: (a) => dict.fromJson(a as never),
  'fromJson({card: value, amount: value})': (a, b) => dict.fromJson({ card: a, amount: b, when: a }),
  toJson: (a) => dict.toJson(a as Tvf),
  toJsonText: (a) => dict.toJsonText(a as Tvf),
  idOf: (a) => dict.idOf(a as string),
  nameOf: (a) => dict.nameOf(a as number),
  entry: (a) => dict.entry(a as string),
  sub: (a) => dict.sub(a as string),
};

describe('TVF API under hostile arguments', () => {
  it('every public entry, given any value, succeeds or throws a TvfError, and leaves records that read back', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(ENTRIES)), hostileValues, hostileValues, (name, a, b) => {
        const record = sample();
        let result: unknown;
        try {
          result = ENTRIES[name]!(resolve(a), resolve(b), record);
        } catch (error) {
          expect(error, `${name} threw ${String((error as Error)?.name)}: ${String((error as Error)?.message)}`).toBeInstanceOf(TvfError);
          expect(typeof (error as TvfError).message).toBe('string');
          expectReadsBack(record);
          return;
        }
        expectReadsBack(record);
        if (result instanceof SimpleStringTvf) expectReadsBack(result);
        if (name === 'hasKinds') expect(typeof result).toBe('boolean');
        if (name === 'describeTvf') expect(typeof result).toBe('string');
      }),
      { numRuns: RUNS * 40 },
    );
  });

  it('equals, given any value, answers a boolean and never throws', () => {
    fc.assert(
      fc.property(hostileValues, (other) => {
        expect(typeof sample().equals(resolve(other) as Tvf)).toBe('boolean');
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('putBuffer of any foreign record throws a TvfError, or the record round-trips with a copy of its fields', () => {
    fc.assert(
      fc.property(foreignRecords, (value) => {
        const outer = new SimpleStringTvf();
        let copy: SimpleStringTvf;
        try {
          outer.putBuffer(9, value);
          copy = SimpleStringTvf.from(value);
        } catch (error) {
          expect(error).toBeInstanceOf(TvfError);
          return;
        }
        const back = SimpleStringTvf.deserialize(outer.serialize());
        expect(back.equals(outer)).toBe(true);
        expect(back.getBuffer(9).equals(outer.getBuffer(9))).toBe(true);
        expect(outer.getBuffer(9).equals(copy)).toBe(true);
        expectReadsBack(outer);
        expectReadsBack(copy);
      }),
      { numRuns: RUNS * 20 },
    );
  });

  it('a foreign record with one defect is refused with a TvfError; without one it is copied field for field', () => {
    fc.assert(
      fc.property(nearlyValid, (spec) => {
        const value = foreignOf(spec);
        const outer = new SimpleStringTvf();
        if (spec.defect !== null) {
          expect(() => outer.putBuffer(9, value)).toThrow(TvfError);
          expect(() => SimpleStringTvf.from(value)).toThrow(TvfError);
          expect(outer.isEmpty()).toBe(true);
          return;
        }
        outer.putBuffer(9, value);
        const copy = outer.getBuffer(9);
        expect(copy.keys()).toEqual(spec.fields.map((f) => f.id).sort((a, b) => a - b));
        for (const f of spec.fields) {
          expect(copy.getString(f.id)).toBe(f.kind === 'buffer' ? '1;1;a;' : f.text);
          expect(copy.kindOf(f.id)).toBe(spec.withKinds ? f.kind : 'text');
        }
        expect(copy.equals(value)).toBe(copy.keys().join() === (value.keys() as number[]).join());
        expectReadsBack(outer);
        expect(SimpleStringTvf.deserialize(outer.serialize()).getBuffer(9).equals(copy)).toBe(true);
      }),
      { numRuns: RUNS * 10 },
    );
  });
});
