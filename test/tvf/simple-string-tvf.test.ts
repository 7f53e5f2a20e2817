import { describe, expect, it } from 'vitest';
import { describeTvf, hasKinds, SimpleStringTvf, TvfError, type Tvf, type TvfErrorKind } from '../../src/index.js';

/** Runs `fn` and returns the TvfError it throws (failing the test if it throws none or another). */
function tvfError(fn: () => unknown): TvfError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TvfError);
    return error as TvfError;
  }
  throw new Error('expected a TvfError, nothing was thrown');
}

function expectKind(fn: () => unknown, kind: TvfErrorKind, id?: number): TvfError {
  const error = tvfError(fn);
  expect(error.kind).toBe(kind);
  if (id !== undefined) expect(error.id).toBe(id);
  return error;
}

/** ProSA's own test record (prosa_utils simple_string_tvf.rs test_tvf), built here. */
function prosaSample(): { tvf: SimpleStringTvf; sub: SimpleStringTvf } {
  const sub = new SimpleStringTvf();
  sub.putFloat(200, 154.5);
  sub.putString(201, 'Hello rust!');
  sub.remove(201);
  sub.putString(201, 'Hello world!');
  const tvf = new SimpleStringTvf();
  tvf.putUnsigned(1, 42);
  tvf.putString(2, 'The great string');
  tvf.putSigned(3, -1);
  tvf.putFloat(5, 6.56);
  tvf.putByte(6, 32);
  tvf.putBytes(7, Uint8Array.of(0xaa, 0xbb, 0x77, 0xff));
  tvf.putDate(8, new Date(Date.UTC(2023, 5, 5)));
  tvf.putDatetime(9, new Date(Date.UTC(2023, 5, 5, 15, 2, 0)));
  tvf.putBuffer(10, sub);
  return { tvf, sub };
}

describe('SimpleStringTvf: the record', () => {
  it('starts empty and counts its fields', () => {
    const tvf = new SimpleStringTvf();
    expect(tvf.isEmpty()).toBe(true);
    expect(tvf.len()).toBe(0);
    tvf.putUnsigned(1, 42);
    expect(tvf.isEmpty()).toBe(false);
    expect(tvf.len()).toBe(1);
    tvf.putUnsigned(1, 43);
    expect(tvf.len()).toBe(1);
  });

  it('contains, removes and lists keys in ascending order', () => {
    const tvf = new SimpleStringTvf();
    for (const id of [30, 2, 1000, 0, 7]) tvf.putString(id, `v${id}`);
    expect(tvf.keys()).toEqual([0, 2, 7, 30, 1000]);
    expect(tvf.contains(7)).toBe(true);
    expect(tvf.contains(8)).toBe(false);
    expect(tvf.remove(7)).toBe(true);
    expect(tvf.remove(7)).toBe(false);
    expect(tvf.contains(7)).toBe(false);
    expect(tvf.keys()).toEqual([0, 2, 30, 1000]);
    const keys = tvf.keys();
    keys.push(99);
    expect(tvf.keys()).toEqual([0, 2, 30, 1000]);
  });

  it('replaces a field of another type at the same id', () => {
    const tvf = new SimpleStringTvf();
    tvf.putString(4, 'text');
    tvf.putUnsigned(4, 5);
    expect(tvf.getUnsigned(4)).toBe(5n);
    expect(tvf.kindOf(4)).toBe('unsigned');
    expect(tvf.len()).toBe(1);
  });

  it('reads back every value of ProSA’s sample record', () => {
    const { tvf, sub } = prosaSample();
    expect(tvf.len()).toBe(9);
    expect(tvf.getUnsigned(1)).toBe(42n);
    expect(tvf.getString(2)).toBe('The great string');
    expect(tvf.getSigned(3)).toBe(-1n);
    expect(tvf.getFloat(5)).toBe(6.56);
    expect(tvf.getByte(6)).toBe(32);
    expect(tvf.getBytes(7)).toEqual(Uint8Array.of(0xaa, 0xbb, 0x77, 0xff));
    expect(tvf.getDate(8).toISOString()).toBe('2023-06-05T00:00:00.000Z');
    expect(tvf.getDatetime(9).toISOString()).toBe('2023-06-05T15:02:00.000Z');
    expect(tvf.getBuffer(10).equals(sub)).toBe(true);
    expect(tvf.getBuffer(10).getFloat(200)).toBe(154.5);
  });

  it('writes each value’s text as ProSA does', () => {
    const { tvf } = prosaSample();
    expect(tvf.getString(1)).toBe('42');
    expect(tvf.getString(3)).toBe('-1');
    expect(tvf.getString(5)).toBe('6.56');
    expect(tvf.getString(6)).toBe('20');
    expect(tvf.getString(7)).toBe('aabb77ff');
    expect(tvf.getString(8)).toBe('2023-06-05');
    expect(tvf.getString(9)).toBe('2023-06-05T15:02:00');
    expect(tvf.getString(10)).toBe('200;5;154.5;201;12;Hello world!;');
  });

  it('is exact over the whole u64 and i64 ranges', () => {
    const tvf = new SimpleStringTvf();
    tvf.putUnsigned(1, 18446744073709551615n);
    tvf.putUnsigned(2, 0);
    tvf.putSigned(3, -9223372036854775808n);
    tvf.putSigned(4, 9223372036854775807n);
    tvf.putUnsigned(5, 2 ** 63);
    expect(tvf.getUnsigned(1)).toBe(18446744073709551615n);
    expect(tvf.getUnsigned(2)).toBe(0n);
    expect(tvf.getSigned(3)).toBe(-9223372036854775808n);
    expect(tvf.getSigned(4)).toBe(9223372036854775807n);
    expect(tvf.getUnsigned(5)).toBe(9223372036854775808n);
    expect(tvf.getSigned(1 + 1)).toBe(0n);
  });

  it('keeps -0, NaN and the infinities', () => {
    const tvf = new SimpleStringTvf();
    tvf.putFloat(1, -0);
    tvf.putFloat(2, NaN);
    tvf.putFloat(3, Infinity);
    tvf.putFloat(4, -Infinity);
    tvf.putFloat(5, 5e-324);
    expect(Object.is(tvf.getFloat(1), -0)).toBe(true);
    expect(tvf.getFloat(2)).toBeNaN();
    expect(tvf.getFloat(3)).toBe(Infinity);
    expect(tvf.getFloat(4)).toBe(-Infinity);
    expect(tvf.getFloat(5)).toBe(5e-324);
    expect([1, 2, 3, 4].map((id) => tvf.getString(id))).toEqual(['-0', 'NaN', 'inf', '-inf']);
  });

  it('reads what ProSA’s getters accept from text fields', () => {
    const tvf = new SimpleStringTvf();
    tvf.putString(1, '12');
    tvf.putString(2, '-12');
    tvf.putString(3, '1e3');
    tvf.putString(4, 'FF');
    tvf.putString(5, '+7');
    expect(tvf.getUnsigned(1)).toBe(12n);
    expect(tvf.getSigned(1)).toBe(12n);
    expect(tvf.getFloat(1)).toBe(12);
    expect(tvf.getBytes(1)).toEqual(Uint8Array.of(0x12));
    expect(tvf.getByte(1)).toBe(0x12);
    expect(tvf.getSigned(2)).toBe(-12n);
    expect(tvf.getFloat(3)).toBe(1000);
    expect(tvf.getByte(4)).toBe(255);
    expect(tvf.getUnsigned(5)).toBe(7n);
  });

  it('reads a byte from a one-byte bytes field and bytes from a byte field', () => {
    const tvf = new SimpleStringTvf();
    tvf.putBytes(1, Uint8Array.of(7));
    tvf.putByte(2, 200);
    expect(tvf.getByte(1)).toBe(7);
    expect(tvf.getBytes(2)).toEqual(Uint8Array.of(200));
  });

  it('copies bytes and buffers on put and on get', () => {
    const bytes = Uint8Array.of(1, 2, 3);
    const sub = new SimpleStringTvf();
    sub.putString(1, 'a');
    const tvf = new SimpleStringTvf();
    tvf.putBytes(1, bytes);
    tvf.putBuffer(2, sub);
    bytes[0] = 9;
    sub.putString(1, 'changed');
    expect(tvf.getBytes(1)).toEqual(Uint8Array.of(1, 2, 3));
    expect(tvf.getBuffer(2).getString(1)).toBe('a');
    tvf.getBytes(1)[0] = 9;
    tvf.getBuffer(2).putString(1, 'changed');
    expect(tvf.getBytes(1)).toEqual(Uint8Array.of(1, 2, 3));
    expect(tvf.getBuffer(2).getString(1)).toBe('a');
  });

  it('nests a record in itself by copy', () => {
    const tvf = new SimpleStringTvf();
    tvf.putString(1, 'x');
    tvf.putBuffer(2, tvf);
    expect(tvf.getBuffer(2).keys()).toEqual([1]);
    expect(tvf.serialize()).toBe('1;1;x;2;6;1;1;x;;');
  });

  it('drops milliseconds from datetimes and the time from dates, in UTC', () => {
    const tvf = new SimpleStringTvf();
    const when = new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999));
    tvf.putDatetime(1, when);
    tvf.putDate(2, when);
    expect(tvf.getString(1)).toBe('1969-12-31T23:59:59');
    expect(tvf.getString(2)).toBe('1969-12-31');
    expect(tvf.getDate(2).getTime()).toBe(Date.UTC(1969, 11, 31));
  });

  it('says how each field was written', () => {
    const { tvf } = prosaSample();
    expect([1, 2, 3, 5, 6, 7, 8, 9, 10].map((id) => tvf.kindOf(id))).toEqual([
      'unsigned',
      'string',
      'signed',
      'float',
      'byte',
      'bytes',
      'date',
      'datetime',
      'buffer',
    ]);
    expect(SimpleStringTvf.deserialize(tvf.serialize()).kindOf(1)).toBe('text');
    expect(tvf.getBuffer(10).kindOf(200)).toBe('float');
    expectKind(() => tvf.kindOf(4), 'FieldNotFound', 4);
  });
});

describe('SimpleStringTvf: errors', () => {
  const getters = [
    'getString',
    'getUnsigned',
    'getSigned',
    'getByte',
    'getFloat',
    'getBytes',
    'getDate',
    'getDatetime',
    'getBuffer',
  ] as const;

  it.each(getters)('%s of a missing id is FieldNotFound with the id', (getter) => {
    const { tvf } = prosaSample();
    const error = expectKind(() => tvf[getter](100), 'FieldNotFound', 100);
    expect(error.message).toContain('100');
    expect(error.recoverable).toBe(false);
    expect(error.name).toBe('TvfError');
  });

  it.each(['getUnsigned', 'getSigned', 'getFloat', 'getByte', 'getBytes'] as const)(
    '%s of a text field is TypeMismatch',
    (getter) => {
      const { tvf } = prosaSample();
      const error = expectKind(() => tvf[getter](2), 'TypeMismatch', 2);
      expect(error.message).not.toContain('great'); // never the value: messages go to logs
    },
  );

  it.each(['getDate', 'getDatetime'] as const)('%s of a text field is ConversionError', (getter) => {
    const { tvf } = prosaSample();
    expectKind(() => tvf[getter](2), 'ConversionError', 2);
  });

  it('reads neither a date as a datetime nor the reverse', () => {
    const { tvf } = prosaSample();
    expectKind(() => tvf.getDatetime(8), 'ConversionError', 8);
    expectKind(() => tvf.getDate(9), 'ConversionError', 9);
  });

  it('refuses an impossible date with ConversionError', () => {
    const tvf = new SimpleStringTvf();
    tvf.putString(1, '2023-02-30');
    expect(expectKind(() => tvf.getDate(1), 'ConversionError', 1).message).toMatch(/day out of range/);
  });

  it('refuses out-of-range integers, empty or long byte texts', () => {
    const tvf = new SimpleStringTvf();
    tvf.putSigned(1, -1);
    tvf.putUnsigned(2, 18446744073709551615n);
    tvf.putString(3, '');
    tvf.putBytes(4, Uint8Array.of(1, 2));
    expectKind(() => tvf.getUnsigned(1), 'TypeMismatch', 1);
    expectKind(() => tvf.getSigned(2), 'TypeMismatch', 2);
    expectKind(() => tvf.getByte(3), 'TypeMismatch', 3);
    expectKind(() => tvf.getByte(4), 'TypeMismatch', 4);
    expect(tvf.getBytes(3)).toEqual(new Uint8Array(0));
  });

  it('getBuffer of a value that is no record is a SerializationError with the id and offset', () => {
    const tvf = new SimpleStringTvf();
    tvf.putString(2, 'The great string');
    const error = expectKind(() => tvf.getBuffer(2), 'SerializationError', 2);
    expect(error.offset).toBe(0);
    expect(error.message).toMatch(/field 2 does not hold a record; in its value, at byte 0/);
    expect(error.cause).toBeInstanceOf(TvfError);
  });

  it.each([-1, 1.5, NaN, Infinity, 2 ** 53, '1' as unknown as number, 1n as unknown as number])(
    'id %s is a TypeMismatch for every method',
    (id) => {
      const tvf = new SimpleStringTvf();
      tvf.putString(1, 'x');
      const calls: (() => unknown)[] = [
        () => tvf.contains(id),
        () => tvf.remove(id),
        () => tvf.kindOf(id),
        () => tvf.getString(id),
        () => tvf.getUnsigned(id),
        () => tvf.getSigned(id),
        () => tvf.getByte(id),
        () => tvf.getFloat(id),
        () => tvf.getBytes(id),
        () => tvf.getDate(id),
        () => tvf.getDatetime(id),
        () => tvf.getBuffer(id),
        () => tvf.putString(id, 'x'),
        () => tvf.putUnsigned(id, 1),
        () => tvf.putSigned(id, 1),
        () => tvf.putByte(id, 1),
        () => tvf.putFloat(id, 1),
        () => tvf.putBytes(id, new Uint8Array(1)),
        () => tvf.putDate(id, new Date(0)),
        () => tvf.putDatetime(id, new Date(0)),
        () => tvf.putBuffer(id, new SimpleStringTvf()),
      ];
      for (const call of calls) expect(expectKind(call, 'TypeMismatch').message).toMatch(/not a non-negative safe integer/);
      expect(tvf.len()).toBe(1);
    },
  );

  it('accepts 0 and 2^53-1 as ids', () => {
    const tvf = new SimpleStringTvf();
    tvf.putString(0, 'a');
    tvf.putString(Number.MAX_SAFE_INTEGER, 'b');
    expect(SimpleStringTvf.deserialize(tvf.serialize()).keys()).toEqual([0, Number.MAX_SAFE_INTEGER]);
  });

  it.each([
    ['putUnsigned', -1],
    ['putUnsigned', -1n],
    ['putUnsigned', 1.5],
    ['putUnsigned', 2n ** 64n],
    ['putUnsigned', 2 ** 64],
    ['putUnsigned', NaN],
    ['putSigned', 2n ** 63n],
    ['putSigned', -(2n ** 63n) - 1n],
    ['putSigned', 0.5],
    ['putSigned', Infinity],
    ['putByte', 256],
    ['putByte', -1],
    ['putByte', 1.5],
    ['putFloat', '1'],
    ['putString', 1],
    ['putBytes', [1, 2]],
    ['putBuffer', {}],
  ] as const)('%s(%s) is a TypeMismatch and stores nothing', (setter, value) => {
    const tvf = new SimpleStringTvf();
    expectKind(() => (tvf[setter] as (id: number, v: unknown) => void)(1, value), 'TypeMismatch', 1);
    expect(tvf.contains(1)).toBe(false);
  });

  it('never quotes a refused value in the message', () => {
    const tvf = new SimpleStringTvf();
    for (const call of [
      () => tvf.putUnsigned(1, -4111111111111111n),
      () => tvf.putSigned(1, 41111111111111111111111n),
      () => tvf.putByte(1, 4111),
    ])
      expect(expectKind(call, 'TypeMismatch', 1).message).not.toContain('4111');
  });

  it('refuses unwritable dates and strings with ConversionError', () => {
    const tvf = new SimpleStringTvf();
    const far = new Date(Date.UTC(10000, 0, 1));
    expect(expectKind(() => tvf.putDate(1, new Date(NaN)), 'ConversionError', 1).message).toMatch(/invalid Date/);
    expect(expectKind(() => tvf.putDatetime(1, far), 'ConversionError', 1).message).toMatch(/year outside 0000-9999/);
    expectKind(() => tvf.putDate(1, '2023-01-01' as unknown as Date), 'ConversionError', 1);
    expect(expectKind(() => tvf.putString(1, 'a\ud800'), 'ConversionError', 1).message).toMatch(/surrogate/);
    expect(tvf.isEmpty()).toBe(true);
  });
});

describe('SimpleStringTvf: equality, copies and display', () => {
  it('equals its deserialized copy and its clone', () => {
    const { tvf } = prosaSample();
    expect(tvf.equals(SimpleStringTvf.deserialize(tvf.serialize()))).toBe(true);
    expect(tvf.equals(tvf.clone())).toBe(true);
    expect(tvf.equals(tvf)).toBe(true);
  });

  it('compares texts: NaN equals NaN, -0 differs from 0, a number equals its text', () => {
    const a = new SimpleStringTvf();
    const b = new SimpleStringTvf();
    a.putFloat(1, NaN);
    b.putFloat(1, NaN);
    expect(a.equals(b)).toBe(true);
    a.putFloat(2, -0);
    b.putFloat(2, 0);
    expect(a.equals(b)).toBe(false);
    b.putFloat(2, -0);
    a.putUnsigned(3, 12);
    b.putString(3, '12');
    expect(a.equals(b)).toBe(true);
    b.putString(4, '');
    expect(a.equals(b)).toBe(false);
    expect(b.equals(a)).toBe(false);
  });

  it('differs by id or by value', () => {
    const a = new SimpleStringTvf();
    const b = new SimpleStringTvf();
    a.putString(1, 'x');
    b.putString(2, 'x');
    expect(a.equals(b)).toBe(false);
    b.remove(2);
    b.putString(1, 'y');
    expect(a.equals(b)).toBe(false);
  });

  it('compares with another Tvf implementation through getString', () => {
    const a = new SimpleStringTvf();
    a.putUnsigned(1, 5);
    a.putString(2, 'x');
    const foreign = {
      keys: () => [1, 2],
      getString: (id: number) => (id === 1 ? '5' : 'x'),
    } as unknown as Tvf;
    expect(a.equals(foreign)).toBe(true);
    const throwing = { keys: () => [1, 2], getString: () => { throw new Error('no'); } } as unknown as Tvf;
    expect(a.equals(throwing)).toBe(false);
    expect(a.equals(null as unknown as Tvf)).toBe(false);
    expect(a.equals({ keys: () => [1] } as unknown as Tvf)).toBe(false);
  });

  it('converts another Tvf implementation with from() and putBuffer', () => {
    const foreign = {
      keys: () => [3, 1],
      getString: (id: number) => `v${id}`,
    } as unknown as Tvf;
    const copy = SimpleStringTvf.from(foreign);
    expect(copy.serialize()).toBe('1;2;v1;3;2;v3;');
    expect(copy.kindOf(1)).toBe('text');
    const parent = new SimpleStringTvf();
    parent.putBuffer(9, foreign);
    expect(parent.getBuffer(9).equals(copy)).toBe(true);
    expect(SimpleStringTvf.from(copy)).not.toBe(copy);
    const lone = { keys: () => [1], getString: () => 'a\ud800' } as unknown as Tvf;
    expect(() => SimpleStringTvf.from(lone)).toThrow(/lone UTF-16 surrogate/);
    expect(SimpleStringTvf.from(copy).equals(copy)).toBe(true);
  });

  it('a clone changes independently', () => {
    const { tvf } = prosaSample();
    const copy = tvf.clone();
    copy.putString(2, 'changed');
    copy.remove(1);
    expect(tvf.getString(2)).toBe('The great string');
    expect(tvf.contains(1)).toBe(true);
  });

  it('shows itself readably', () => {
    const { tvf } = prosaSample();
    const text =
      'SimpleStringTvf {1: 42, 2: "The great string", 3: -1, 5: 6.56, 6: 0x20, 7: <aabb77ff>, ' +
      '8: 2023-06-05, 9: 2023-06-05T15:02:00, 10: {200: 154.5, 201: "Hello world!"}}';
    expect(tvf.toString()).toBe(text);
    expect(String(tvf)).toBe(text);
    const inspect = (tvf as unknown as Record<symbol, () => string>)[Symbol.for('nodejs.util.inspect.custom')]!;
    expect(inspect.call(tvf)).toBe(text);
    expect(SimpleStringTvf.deserialize('1;2;42;').toString()).toBe('SimpleStringTvf {1: "42"}');
    expect(new SimpleStringTvf().toString()).toBe('SimpleStringTvf {}');
  });

  it('shows a nested buffer too deep to open as its text', () => {
    const inner = new SimpleStringTvf();
    inner.putString(1, 'a');
    const outer = SimpleStringTvf.deserialize('', { maxDepth: 0 });
    outer.putBuffer(2, inner);
    expect(outer.toString()).toBe('SimpleStringTvf {2: "1;1;a;"}');
  });

  it('describes another Tvf implementation, all fields quoted as text', () => {
    const foreign = { keys: () => [1, 2], getString: (id: number) => (id === 1 ? '5' : 'a"b') } as unknown as Tvf;
    expect(hasKinds(foreign)).toBe(false);
    expect(hasKinds(new SimpleStringTvf())).toBe(true);
    expect(describeTvf(foreign)).toBe('{1: "5", 2: "a\\"b"}');
  });

  it('turns into a JSON object of texts', () => {
    const { tvf } = prosaSample();
    expect(JSON.parse(JSON.stringify(tvf))).toMatchObject({ '1': '42', '2': 'The great string', '10': '200;5;154.5;201;12;Hello world!;' });
  });
});
