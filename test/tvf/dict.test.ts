import { describe, expect, it } from 'vitest';
import { SimpleStringTvf, TvfDict, TvfError, type TvfErrorKind } from '../../src/index.js';

const payment = new TvfDict({
  amount: { id: 1, type: 'unsigned' },
  label: { id: 2, type: 'string' },
  delta: { id: 3, type: 'signed' },
  rate: { id: 4, type: 'float' },
  flag: { id: 5, type: 'byte' },
  mac: { id: 6, type: 'bytes' },
  day: { id: 7, type: 'date' },
  at: { id: 8, type: 'datetime' },
  note: 9,
  card: { id: 10, fields: { pan: { id: 1, type: 'string' }, expiry: { id: 2, type: 'date' } } },
  extra: { id: 11, type: 'buffer' },
});

function kindOf(fn: () => unknown): TvfErrorKind {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TvfError);
    return (error as TvfError).kind;
  }
  throw new Error('expected a TvfError');
}

function sample(): SimpleStringTvf {
  const card = new SimpleStringTvf();
  card.putString(1, '4111111111111111');
  card.putDate(2, new Date(Date.UTC(2027, 11, 31)));
  const extra = new SimpleStringTvf();
  extra.putString(1, 'x');
  const tvf = new SimpleStringTvf();
  tvf.putUnsigned(1, 18446744073709551615n);
  tvf.putString(2, 'coffee');
  tvf.putSigned(3, -5);
  tvf.putFloat(4, 0.5);
  tvf.putByte(5, 1);
  tvf.putBytes(6, Uint8Array.of(0xca, 0xfe));
  tvf.putDate(7, new Date(Date.UTC(2023, 5, 5)));
  tvf.putDatetime(8, new Date(Date.UTC(2023, 5, 5, 15, 2)));
  tvf.putString(9, 'untyped');
  tvf.putBuffer(10, card);
  tvf.putBuffer(11, extra);
  tvf.putString(99, 'unnamed');
  return tvf;
}

const sampleJson = {
  amount: '18446744073709551615',
  label: 'coffee',
  delta: -5,
  rate: 0.5,
  flag: 1,
  mac: 'cafe',
  day: '2023-06-05',
  at: '2023-06-05T15:02:00',
  note: 'untyped',
  card: { pan: '4111111111111111', expiry: '2027-12-31' },
  extra: { '1': 'x' },
  '99': 'unnamed',
};

describe('TvfDict: names and ids', () => {
  it('maps names to ids and back', () => {
    expect(payment.idOf('amount')).toBe(1);
    expect(payment.nameOf(1)).toBe('amount');
    expect(payment.idOf('nope')).toBeUndefined();
    expect(payment.nameOf(42)).toBeUndefined();
    expect(payment.size).toBe(11);
  });

  it('gives entries and sub-dictionaries', () => {
    expect(payment.entry('note')).toEqual({ id: 9, name: 'note', type: undefined, dict: undefined });
    expect(payment.entry(1)?.type).toBe('unsigned');
    const card = payment.sub('card')!;
    expect(card.idOf('pan')).toBe(1);
    expect(card.nameOf(2)).toBe('expiry');
    expect(payment.sub(10)).toBe(card);
    expect(payment.sub('extra')?.size).toBe(0);
    expect(payment.sub('label')).toBeUndefined();
    expect(payment.entries().map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it.each([
    [{ '': 1 }, /non-empty/],
    [{ '12': 1 }, /not all digits/],
    [{ a: -1 }, /"a": id -1/],
    [{ a: 1.5 }, /not a non-negative safe integer/],
    [{ a: 1, b: 1 }, /"b": id 1 is already named "a"/],
    [{ a: { id: 1, type: 'money' } }, /unknown type "money"/],
    [{ a: { id: 1, type: 'string', fields: {} } }, /fields given for a string/],
    [{ a: { id: 1, fields: { b: { id: -2 } } } }, /"a.b": id -2/],
    [{ a: 'x' }, /expected an id/],
  ])('refuses the definition %j', (definition, message) => {
    expect(() => new TvfDict(definition as never)).toThrow(message);
  });

  it('refuses a definition that nests without end', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['a'] = { id: 1, fields: cyclic };
    expect(() => new TvfDict(cyclic as never)).toThrow(/deeper than 64/);
  });
});

describe('TvfDict: JSON', () => {
  it('turns a record into a JSON object by the dictionary’s types', () => {
    expect(payment.toJson(sample())).toEqual(sampleJson);
  });

  it('turns that JSON object back into an equal record', () => {
    const back = payment.fromJson(sampleJson);
    expect(back.equals(sample())).toBe(true);
    expect(back.getBuffer(10).getDate(2).toISOString()).toBe('2027-12-31T00:00:00.000Z');
  });

  it('survives JSON.stringify and JSON.parse', () => {
    const json = JSON.parse(JSON.stringify(payment.toJson(sample()))) as Record<string, unknown>;
    expect(payment.fromJson(json).serialize()).toBe(sample().serialize());
  });

  it('writes 64-bit integers as numbers when exact, else as text', () => {
    const dict = new TvfDict({ u: { id: 1, type: 'unsigned' }, s: { id: 2, type: 'signed' } });
    const tvf = new SimpleStringTvf();
    tvf.putUnsigned(1, 2 ** 53 - 1);
    tvf.putSigned(2, -(2n ** 53n));
    expect(dict.toJson(tvf)).toEqual({ u: 9007199254740991, s: '-9007199254740992' });
  });


  it('reads integer texts in any form the text form allows: signs, leading zeros, -0 as 0', () => {
    const dict = new TvfDict({ u: { id: 1, type: 'unsigned' }, s: { id: 2, type: 'signed' }, z: { id: 3, type: 'signed' } });
    const tvf = SimpleStringTvf.deserialize('1;6;+00042;2;16;-000000000000012;3;2;-0;');
    const json = dict.toJson(tvf);
    expect(json).toEqual({ u: 42, s: -12, z: 0 });
    expect(Object.is(json.z, 0)).toBe(true);
    expect(dict.toJsonText(tvf)).toBe('{"u":42,"s":-12,"z":0}');
    expect(() => dict.toJson(SimpleStringTvf.deserialize('1;2;-1;'))).toThrow(TvfError);
    expect(() => dict.toJsonText(SimpleStringTvf.deserialize('1;2;-1;'))).toThrow(TvfError);
  });
  it('writes non-finite floats as their text', () => {
    const dict = new TvfDict({ a: { id: 1, type: 'float' }, b: { id: 2, type: 'float' }, c: { id: 3, type: 'float' } });
    const tvf = new SimpleStringTvf();
    tvf.putFloat(1, NaN);
    tvf.putFloat(2, Infinity);
    tvf.putFloat(3, -Infinity);
    const json = dict.toJson(tvf);
    expect(json).toEqual({ a: 'NaN', b: 'inf', c: '-inf' });
    expect(dict.fromJson(json).equals(tvf)).toBe(true);
  });

  it('reads bigints, Dates, Uint8Arrays and exponent floats too', () => {
    const tvf = payment.fromJson({
      amount: 5n,
      delta: '-7',
      rate: '1e21',
      mac: Uint8Array.of(1),
      day: new Date(Date.UTC(2020, 0, 2, 3)),
      at: new Date(Date.UTC(2020, 0, 2, 3, 4, 5)),
    });
    expect(tvf.serialize()).toBe('1;1;5;3;2;-7;4;22;1000000000000000000000;6;2;01;7;10;2020-01-02;8;19;2020-01-02T03:04:05;');
  });

  it('reads unnamed fields by decimal id, typed by their JSON value', () => {
    const dict = new TvfDict({});
    const tvf = dict.fromJson({ '1': 'a', '2': 3, '3': 1.5, '4': 2n ** 64n - 1n, '5': { '1': 'nested' }, '6': -2n });
    expect(tvf.kindOf(1)).toBe('string');
    expect(tvf.getSigned(2)).toBe(3n);
    expect(tvf.getFloat(3)).toBe(1.5);
    expect(tvf.getUnsigned(4)).toBe(2n ** 64n - 1n);
    expect(tvf.getBuffer(5).getString(1)).toBe('nested');
    expect(tvf.getSigned(6)).toBe(-2n);
    expect(dict.toJson(tvf)).toEqual({ '1': 'a', '2': '3', '3': '1.5', '4': '18446744073709551615', '5': '1;6;nested;', '6': '-2' });
  });

  it('says which key or value is wrong', () => {
    expect(kindOf(() => payment.fromJson({ nope: 1 }))).toBe('FieldNotFound');
    expect(() => payment.fromJson({ nope: 1 })).toThrow(/no field named "nope"/);
    expect(kindOf(() => payment.fromJson({ '01': 'x' }))).toBe('FieldNotFound');
    expect(kindOf(() => payment.fromJson({ label: 5 }))).toBe('TypeMismatch');
    expect(kindOf(() => payment.fromJson({ amount: -1 }))).toBe('TypeMismatch');
    expect(kindOf(() => payment.fromJson({ amount: 'abc' }))).toBe('TypeMismatch');
    expect(kindOf(() => payment.fromJson({ flag: 300 }))).toBe('TypeMismatch');
    expect(kindOf(() => payment.fromJson({ rate: 'fast' }))).toBe('TypeMismatch');
    expect(kindOf(() => payment.fromJson({ mac: 'xyz' }))).toBe('TypeMismatch');
    expect(kindOf(() => payment.fromJson({ day: '2023-02-30' }))).toBe('ConversionError');
    expect(kindOf(() => payment.fromJson({ at: 5 }))).toBe('TypeMismatch');
    expect(kindOf(() => payment.fromJson({ card: 'x' }))).toBe('TypeMismatch');
    expect(kindOf(() => payment.fromJson({ card: { cvv: '123' } }))).toBe('FieldNotFound');
    expect(kindOf(() => payment.fromJson({ note: true }))).toBe('TypeMismatch');
    expect(kindOf(() => payment.fromJson([] as never))).toBe('TypeMismatch');
    try {
      payment.fromJson({ label: 5 });
    } catch (error) {
      expect((error as TvfError).id).toBe(2);
    }
  });

  it('fails to convert a record that does not hold its dictionary types', () => {
    const tvf = new SimpleStringTvf();
    tvf.putString(1, 'not a number');
    expect(kindOf(() => payment.toJson(tvf))).toBe('TypeMismatch');
    tvf.remove(1);
    tvf.putString(10, 'not a record');
    expect(kindOf(() => payment.toJson(tvf))).toBe('SerializationError');
  });

  it('bounds the depth of JSON it reads', () => {
    let json: Record<string, unknown> = { '1': 'leaf' };
    for (let i = 0; i < 100_000; i++) json = { '0': json };
    expect(kindOf(() => new TvfDict({}).fromJson(json))).toBe('SerializationError');
  });

  it('opens nested records for toJson no deeper than the read depth limit', () => {
    let definition: Record<string, unknown> = { leaf: 1 };
    let tvf = new SimpleStringTvf();
    tvf.putString(1, 'leaf');
    for (let i = 0; i < 40; i++) {
      definition = { next: { id: 0, fields: definition } };
      const parent = new SimpleStringTvf();
      parent.putBuffer(0, tvf);
      tvf = parent;
    }
    const dict = new TvfDict(definition as never);
    expect(kindOf(() => dict.toJson(tvf))).toBe('SerializationError');
    let shallow: SimpleStringTvf = tvf;
    for (let i = 0; i < 10; i++) shallow = shallow.getBuffer(0);
    let sub: TvfDict = dict;
    for (let i = 0; i < 10; i++) sub = sub.sub('next')!;
    expect(kindOf(() => sub.toJson(shallow.clone()))).toBe('SerializationError'); // a clone keeps its depth
    expect(JSON.stringify(sub.toJson(SimpleStringTvf.deserialize(shallow.serialize())))).toContain('"leaf":"leaf"');
  });
});
