/**
 * The public TVF API given arguments of the wrong type, hostile objects (throwing getters,
 * Proxies, subclasses that lie) and foreign `Tvf`s that break their contract: each call
 * throws a `TvfError` whose message names the argument at fault, or succeeds with a record
 * that serializes to a text that reads back; never a `TypeError`, never a hang.
 */
import { describe, expect, it } from 'vitest';
import { describeTvf, hasKinds, maskTvf, SimpleStringTvf, TvfDict, TvfError, TvfFilter, type Tvf, type TvfErrorKind, type TvfReadOptions } from '../../src/index.js';

/** The TvfError `call` throws; fails the test on any other outcome. */
function tvfError(call: () => unknown, kind?: TvfErrorKind): TvfError {
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(TvfError);
  if (kind !== undefined) expect((thrown as TvfError).kind).toBe(kind);
  return thrown as TvfError;
}

const hostile = (): never => {
  throw new Error('hostile');
};
/** A Proxy each of whose traps throws. */
const trapped = new Proxy(
  {},
  {
    get: hostile,
    has: hostile,
    ownKeys: hostile,
    getPrototypeOf: hostile,
    getOwnPropertyDescriptor: hostile,
    apply: hostile,
  },
);
const revocable = Proxy.revocable({}, {});
revocable.revoke();
const revoked = revocable.proxy;

/** Labels for test titles: formatting a hostile value would throw while the tests are collected. */
function labelled(values: readonly unknown[]): [string, unknown][] {
  return values.map((value) => [
    value === trapped ? 'a throwing Proxy' : value === revoked ? 'a revoked Proxy' : value === getters ? 'throwing getters' : label(value),
    value,
  ]);
}

function label(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value !== 'object' || value === null) return String(value);
  return Object.prototype.toString.call(value);
}
/** An object whose every interesting property is a throwing (enumerable) getter. */
const getters = Object.defineProperties(
  {},
  Object.fromEntries(
    ['keys', 'getString', 'kindOf', 'maxDepth', 'maxBytes', 'fill', 'id', 'type', 'fields', '1', 'a', 'toString', 'valueOf'].map(
      (key) => [key, { get: hostile, enumerable: true }],
    ),
  ),
);

describe('reading entry points refuse arguments of the wrong type', () => {
  it.each(labelled([undefined, null, 'text', 42, {}, [1, 2], new ArrayBuffer(2), new DataView(new ArrayBuffer(2)), trapped, revoked]))(
    'fromUtf8(%s) is a SerializationError naming the bytes',
    (_label, bytes) => {
      const error = tvfError(() => SimpleStringTvf.fromUtf8(bytes as Uint8Array), 'SerializationError');
      expect(error.message).toMatch(/fromUtf8: the bytes is (an? \w+|null|undefined), not a Uint8Array/);
    },
  );

  it.each(labelled([undefined, null, 123, 5n, {}, new String('1;1;a;'), trapped]))('deserialize(%s) is a SerializationError naming the text', (_label, text) => {
    const error = tvfError(() => SimpleStringTvf.deserialize(text as string), 'SerializationError');
    expect(error.message).toMatch(/deserialize: the text is (an? \w+|null|undefined), not a string/);
  });

  it.each(labelled([null, 5, 'maxDepth', true, 1n]))('read options %s are a SerializationError naming the argument', (_label, options) => {
    for (const read of [
      () => SimpleStringTvf.deserialize('1;1;a;', options as TvfReadOptions),
      () => SimpleStringTvf.fromUtf8(Buffer.from('1;1;a;'), options as TvfReadOptions),
    ])
      expect(tvfError(read, 'SerializationError').message).toMatch(/read options: the options argument is (an? \w+|null), not an object/);
  });

  it.each([
    ["{ maxDepth: '5' }", { maxDepth: '5' }, /maxDepth a string is not a non-negative integer/],
    ['{ maxDepth: null }', { maxDepth: null }, /maxDepth null is not/],
    ['{ maxDepth: -1 }', { maxDepth: -1 }, /maxDepth -1 is not/],
    ['{ maxDepth: NaN }', { maxDepth: NaN }, /maxDepth NaN is not/],
    ['{ maxBytes: 2 ** 53 }', { maxBytes: 2 ** 53 }, /maxBytes 9007199254740992 is not/],
    ['{ maxBytes: { valueOf } }', { maxBytes: { valueOf: (): number => 5 } }, /maxBytes an object is not/],
    ['throwing getters', getters, /reading maxDepth or maxBytes threw/],
    ['a throwing Proxy', trapped, /reading maxDepth or maxBytes threw/],
    ['a revoked Proxy', revoked, /reading maxDepth or maxBytes threw/],
  ] as [string, unknown, RegExp][])('read options %s are refused', (_label, options, message) => {
    expect(tvfError(() => SimpleStringTvf.deserialize('', options as TvfReadOptions), 'SerializationError').message).toMatch(message);
  });

  it('new SimpleStringTvf() takes no argument', () => {
    for (const argument of [42, {}, null, trapped])
      expect(tvfError(() => new (SimpleStringTvf as new (a: unknown) => unknown)(argument), 'TypeMismatch').message).toMatch(
        /takes no argument/,
      );
  });
});

describe('setters and getters refuse hostile ids and values', () => {
  it.each(labelled([NaN, -1, 1.5, 2 ** 53, Infinity, -0.5, '1', 1n, null, undefined, {}, trapped]))('field id %s is a TypeMismatch', (_label, id) => {
    const tvf = new SimpleStringTvf();
    tvf.putString(1, 'a');
    const calls = [
      () => tvf.contains(id as number),
      () => tvf.getString(id as number),
      () => tvf.getBuffer(id as number),
      () => tvf.putString(id as number, 'x'),
      () => tvf.putBuffer(id as number, new SimpleStringTvf()),
      () => tvf.remove(id as number),
    ];
    for (const call of calls) expect(tvfError(call, 'TypeMismatch').message).toMatch(/field id .* is not a non-negative safe integer/);
    expect(tvf.serialize()).toBe('1;1;a;');
  });

  it.each([
    ['putString', 42, /a number is not a string/],
    ['putString', trapped, /an? object is not a string/],
    ['putUnsigned', -1n, /not an integer in 0..2\^64-1/],
    ['putUnsigned', '5', /not an integer/],
    ['putSigned', { valueOf: (): number => 1 }, /not an integer/],
    ['putByte', '1', /not a byte/],
    ['putFloat', 1n, /a bigint is not a number/],
    ['putBytes', trapped, /an object is not a Uint8Array/],
    ['putBytes', new Uint16Array(2), /not a Uint8Array/],
    ['putDate', trapped, /is not a Date/],
    ['putDatetime', { getTime: () => 0 }, /is not a Date/],
    ['putBuffer', 5, /it is a number, not an object/],
    ['putBuffer', {}, /it has no keys\(\) or getString\(\) method/],
    ['putBuffer', trapped, /the value is not a usable Tvf: reading its keys threw/],
    ['putBuffer', revoked, /the value is not a usable Tvf/],
  ] as const)('%s(1, value %#) is a TvfError naming the value', (setter, value, message) => {
    const tvf = new SimpleStringTvf();
    const error = tvfError(() => (tvf[setter] as (id: number, v: unknown) => void)(1, value));
    expect(error.message).toMatch(/^field 1 cannot be set: /);
    expect(error.message).toMatch(message);
    expect(error.id).toBe(1);
    expect(tvf.isEmpty()).toBe(true);
  });

  it('reads a Uint8Array and a Date by their internal slots, not their overridable methods', () => {
    class LyingBytes extends Uint8Array {
      override get length(): number {
        throw new Error('hostile');
      }
    }
    const bytes = new LyingBytes([1, 2, 3]);
    Object.defineProperty(bytes, 'buffer', { get: hostile });
    class LyingDate extends Date {
      override getTime(): number {
        throw new Error('hostile');
      }
      override getUTCFullYear(): number {
        return 12345;
      }
    }
    const big = new LyingBytes(100).fill(0xab);
    const tvf = new SimpleStringTvf();
    tvf.putBytes(1, bytes);
    tvf.putBytes(2, big);
    tvf.putDate(3, new LyingDate(Date.UTC(2024, 1, 29)));
    tvf.putDatetime(4, new LyingDate(Date.UTC(2024, 1, 29, 1, 2, 3)));
    expect(tvf.getString(1)).toBe('010203');
    expect(tvf.getString(2)).toBe('ab'.repeat(100));
    expect(tvf.getString(3)).toBe('2024-02-29');
    expect(tvf.getString(4)).toBe('2024-02-29T01:02:03');
    expect(tvfError(() => tvf.putDate(5, new LyingDate(NaN)), 'ConversionError').message).toMatch(/invalid Date/);
    expect(SimpleStringTvf.fromUtf8(new LyingBytes(Buffer.from('1;1;a;'))).getString(1)).toBe('a');
  });

  it('equals and hasKinds answer false, never throw, for hostile values', () => {
    const tvf = new SimpleStringTvf();
    tvf.putString(1, 'a');
    for (const other of [undefined, null, 42, 'x', {}, trapped, revoked, getters, { keys: () => 'x', getString: () => 'a' }]) {
      expect(tvf.equals(other as Tvf)).toBe(false);
      expect(hasKinds(other as Tvf)).toBe(false);
    }
  });
});

/** A foreign record over `fields` (id to text), with `overrides` replacing its methods. */
function foreign(fields: Record<number, string>, overrides: Record<string, unknown> = {}): Tvf {
  const ids = Object.keys(fields).map(Number);
  return {
    keys: () => ids,
    getString: (id: number) => fields[id],
    ...overrides,
  } as unknown as Tvf;
}

describe('a foreign Tvf that breaks its contract cannot build a record that does not read back', () => {
  it.each([
    ['keys() returns a string', foreign({}, { keys: () => '1,2' }), /its keys\(\) returned a string, not an array/],
    ['keys() lists a fraction', foreign({}, { keys: () => [1.5] }), /its keys\(\) listed 1.5, not a field id/],
    ['keys() lists a string', foreign({}, { keys: () => ['1'] }), /its keys\(\) listed a string, not a field id/],
    ['keys() lists an id twice', foreign({ 1: 'a' }, { keys: () => [1, 1] }), /listed field 1 twice/],
    ['keys() throws', foreign({}, { keys: hostile }), /reading its keys\(\) threw/],
    ['keys is a throwing getter', getters, /reading its keys threw/],
    ['getString returns a number', foreign({ 1: 'a' }, { getString: () => 42 }), /its getString\(1\) returned a number, not a string/],
    ['getString returns undefined', foreign({ 1: 'a' }, { keys: () => [1, 2] }), /its getString\(2\) returned undefined/],
    ['getString throws', foreign({ 1: 'a' }, { getString: hostile }), /reading its getString\(1\) threw/],
    ['getString throws a Proxy', foreign({ 1: 'a' }, { getString: () => { throw trapped; } }), /reading its getString\(1\) threw/],
    ['getString throws undefined', foreign({ 1: 'a' }, { getString: () => { throw undefined; } }), /reading its getString\(1\) threw/],
    ['kindOf returns garbage', foreign({ 1: 'a' }, { kindOf: () => ({}) }), /its kindOf\(1\) returned no field kind/],
    ['kindOf throws', foreign({ 1: 'a' }, { kindOf: hostile }), /reading its kindOf\(1\) threw/],
    ['a buffer that is not a record', foreign({ 1: 'abc' }, { kindOf: () => 'buffer' }), /field 1 is of kind buffer but does not hold a record text/],
    ['keys() array behind a Proxy', foreign({}, { keys: () => new Proxy([1], { get: hostile }) }), /reading its keys\(\) array threw/],
  ] as [string, unknown, RegExp][])('%s', (_name, given, message) => {
    const value = given as Tvf;
    const outer = new SimpleStringTvf();
    const put = tvfError(() => outer.putBuffer(7, value), 'TypeMismatch');
    expect(put.message).toMatch(/^field 7 cannot be set: the value is not a usable Tvf: /);
    expect(put.message).toMatch(message);
    expect(put.message).not.toMatch(/hostile/);
    expect(outer.isEmpty()).toBe(true);
    expect(tvfError(() => SimpleStringTvf.from(value), 'TypeMismatch').message).toMatch(message);
    expect(tvfError(() => new TvfDict({}).toJson(value)).message).toMatch(message);
    expect(tvfError(() => new TvfDict({}).toJsonText(value)).message).toMatch(message);
  });

  it('a lone surrogate from getString is a ConversionError', () => {
    const value = foreign({ 1: 'a\ud800' });
    expect(tvfError(() => new SimpleStringTvf().putBuffer(1, value), 'ConversionError').message).toMatch(/lone UTF-16 surrogate/);
  });

  it('a well-behaved foreign record, in any key order, with kinds, is copied and reads back', () => {
    const inner = new SimpleStringTvf();
    inner.putString(1, 'x');
    const fields: Record<number, string> = { 3: 'c', 1: '12', 2: inner.serialize() };
    const kinds: Record<number, string> = { 1: 'unsigned', 2: 'buffer', 3: 'string' };
    const value = foreign(fields, { keys: () => [3, 1, 2], kindOf: (id: number) => kinds[id], len: () => 'three' });
    const outer = new SimpleStringTvf();
    outer.putBuffer(7, value);
    const back = SimpleStringTvf.deserialize(outer.serialize());
    expect(back.equals(outer)).toBe(true);
    const copy = outer.getBuffer(7);
    expect(copy.keys()).toEqual([1, 2, 3]);
    expect(copy.kindOf(2)).toBe('buffer');
    expect(copy.getBuffer(2).equals(inner)).toBe(true);
    expect(copy.getUnsigned(1)).toBe(12n);
  });
});

describe('describe, mask and dictionary entry points with hostile arguments', () => {
  /** A foreign record whose nested buffer is itself, 50 times over: opening all would never end. */
  const cyclic: Tvf = (() => {
    const ids = Array.from({ length: 50 }, (_, i) => i);
    const self: Record<string, unknown> = {
      keys: () => ids,
      contains: () => true,
      getString: () => '1;1;a;',
      kindOf: () => 'buffer',
      getBuffer: () => self,
      clone: () => self,
      putString: () => undefined,
      putBuffer: () => undefined,
      remove: () => true,
    };
    return self as unknown as Tvf;
  })();

  it('describeTvf refuses what is not a Tvf and stops opening a cyclic foreign record', () => {
    for (const value of [null, 42, trapped, revoked, getters, foreign({ 1: 'a' }, { getString: () => 5 })])
      expect(tvfError(() => describeTvf(value as Tvf), 'TypeMismatch').message).toMatch(/describeTvf: the record/);
    const text = describeTvf(cyclic);
    expect(text.startsWith('{0: {0: {0: ')).toBe(true);
    expect(text.length).toBeLessThan(20_000_000);
  });

  it('TvfFilter refuses hostile rules and options, and rules that share objects past 100,000 in all', () => {
    expect(tvfError(() => new TvfFilter(null as never), 'TypeMismatch').message).toMatch(/the rules are null, not an object/);
    expect(tvfError(() => new TvfFilter({}, null as never), 'TypeMismatch').message).toMatch(/options argument is null/);
    expect(tvfError(() => new TvfFilter({}, 'x' as never), 'TypeMismatch').message).toMatch(/options argument is a string/);
    expect(tvfError(() => new TvfFilter({}, getters as never), 'TypeMismatch').message).toMatch(/reading the rules or options threw/);
    expect(tvfError(() => new TvfFilter(trapped as never), 'TypeMismatch').message).toMatch(/reading the rules or options threw/);
    expect(tvfError(() => new TvfFilter({ 1: 5 } as never), 'TypeMismatch').message).toMatch(/rules under 1 are a number/);
    // 2^60 rules once expanded: refused after 100,000, not walked for ever.
    let rules: Record<number, unknown> = { 1: true };
    for (let level = 0; level < 60; level++) rules = { 1: rules, 2: rules };
    expect(tvfError(() => new TvfFilter(rules as never), 'TypeMismatch').message).toMatch(/more than 100000 rules in all/);
    expect(tvfError(() => maskTvf(new SimpleStringTvf(), rules as never), 'TypeMismatch').message).toMatch(/more than 100000/);
  });

  it('TvfFilter.filter refuses a value that is not a Tvf, and a cyclic foreign record costs one step a rule', () => {
    const filter = new TvfFilter({ 1: { 1: { 1: true } } });
    for (const value of [null, 42, trapped, revoked, getters])
      expect(tvfError(() => filter.filter(value as Tvf), 'TypeMismatch').message).toMatch(/TvfFilter.filter: the record/);
    expect(filter.filter(cyclic)).toBe(cyclic);
  });

  it('TvfDict refuses hostile definitions, and definitions that share objects past 100,000 entries', () => {
    for (const definition of [null, 42, trapped, revoked])
      expect(tvfError(() => new TvfDict(definition as never), 'TypeMismatch').message).toMatch(/dictionary entry ""/);
    const throwing = Object.defineProperty({}, 'a', { get: hostile, enumerable: true });
    expect(tvfError(() => new TvfDict(throwing as never), 'TypeMismatch').message).toMatch(/reading the definition threw/);
    expect(tvfError(() => new TvfDict({ a: { id: { toString: hostile } } } as never)).message).toMatch(/id an object is not/);
    expect(tvfError(() => new TvfDict({ a: { id: 1, type: { toString: hostile } } } as never)).message).toMatch(/unknown type an object/);
    let fields: Record<string, unknown> = { leaf: 1 };
    for (let level = 0; level < 60; level++) fields = { a: { id: 1, fields }, b: { id: 2, fields } };
    expect(tvfError(() => new TvfDict(fields as never), 'TypeMismatch').message).toMatch(/more than 100000 entries in all/);
  });

  it('TvfDict.fromJson refuses hostile objects, and shared sub-objects whose text would pass maxBytes', () => {
    const dict = new TvfDict({ amount: { id: 1, type: 'unsigned' }, card: { id: 2, fields: { pan: 1 } } });
    for (const json of [null, 42, 'x', trapped, revoked])
      expect(tvfError(() => dict.fromJson(json as never), 'TypeMismatch').message).toMatch(/plain object|reading the JSON object threw/);
    expect(tvfError(() => dict.fromJson(getters as never), 'TypeMismatch').message).toMatch(/reading the JSON object threw/);
    expect(tvfError(() => dict.fromJson({ card: trapped } as never), 'TypeMismatch').message).toMatch(/reading the JSON object threw/);
    expect(tvfError(() => dict.fromJson({ ['x'.repeat(10_000)]: 1 }), 'FieldNotFound').message.length).toBeLessThan(200);
    let json: Record<string, unknown> = { 1: 'a' };
    for (let level = 0; level < 30; level++) json = { 1: json, 2: json, 3: json, 4: json };
    expect(tvfError(() => dict.fromJson(json), 'SerializationError').message).toMatch(/more than maxBytes 16777216/);
    // Shared, but small enough: converted once per object, and the same as unshared copies.
    // (converted by two dictionaries here: the card's, and none for the unnamed field 7).
    const pan = { 1: '4111', 3: { 1: 'deep' } };
    const shared = dict.fromJson({ card: pan, 7: { 1: pan, 2: pan } });
    const copies = () => ({ 1: '4111', 3: { 1: 'deep' } });
    const unshared = dict.fromJson({ card: copies(), 7: { 1: copies(), 2: copies() } });
    expect(shared.serialize()).toBe(unshared.serialize());
    expect(shared.getBuffer(7).getBuffer(2).getBuffer(3).getString(1)).toBe('deep');
    // A shared object reached again deeper than the depth limit allows is still refused.
    let deep: Record<string, unknown> = { 1: 'leaf' };
    for (let level = 0; level < 31; level++) deep = { 1: deep };
    expect(dict.fromJson({ 7: deep }).len()).toBe(1);
    expect(tvfError(() => dict.fromJson({ 7: deep, 8: { 1: deep } }), 'SerializationError').message).toMatch(/deeper than 32/);
  });
});
