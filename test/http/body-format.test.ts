import { describe, expect, it } from 'vitest';
import { SimpleStringTvf } from '../../src/index.js';
import { BodyCodec, BodyError } from '../../src/processors/http/body-codec.js';
import { formatForAccept, formatOfContentType } from '../../src/processors/http/body-format.js';

describe('formatOfContentType', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['Application/JSON ;charset=UTF-8', 'json'],
    ['application/problem+json', 'json'],
    ['application/x-prosa-tvf', 'tvf'],
    ['application/x-prosa-tvf; charset=utf-8', 'tvf'],
    ['text/plain', null],
    ['application/xml', null],
    ['json', null],
  ])('%j -> %j', (header, format) => {
    expect(formatOfContentType(header)).toBe(format);
  });
});

describe('formatForAccept', () => {
  it.each([
    [undefined, 'tvf', 'tvf'],
    ['*/*', 'json', 'json'],
    ['application/json', 'tvf', 'json'],
    ['application/x-prosa-tvf', 'json', 'tvf'],
    ['text/html, application/x-prosa-tvf;q=0.8, application/json;q=0.9', 'tvf', 'json'],
    ['application/json;q=0, */*', 'tvf', 'tvf'],
    ['application/json;q=0', 'tvf', 'tvf'],
    ['application/*', 'tvf', 'tvf'],
    ['text/html', 'json', 'json'],
    ['application/x-prosa-tvf, application/json', 'json', 'tvf'],
  ] as const)('Accept %j with a %s request -> %s', (accept, fallback, expected) => {
    expect(formatForAccept(accept, fallback)).toBe(expected);
  });
});

describe('BodyCodec', () => {
  const codec = new BodyCodec({ dict: { amount: { id: 1, type: 'unsigned' }, label: 2 }, maxBytes: 64 });

  it('reads an empty body as an empty record in either format', () => {
    expect(codec.decode('json', Buffer.alloc(0)).isEmpty()).toBe(true);
    expect(codec.decode('tvf', Buffer.alloc(0)).isEmpty()).toBe(true);
  });

  it('writes both formats and reads them back', () => {
    const record = new SimpleStringTvf();
    record.putUnsigned(1, 12n);
    record.putString(2, 'café');
    record.putString(7, 'x');
    const json = codec.encode('json', record);
    expect(JSON.parse(json)).toEqual({ amount: 12, label: 'café', '7': 'x' });
    expect(codec.decode('json', Buffer.from(json)).equals(record)).toBe(true);
    const tvf = codec.encode('tvf', record);
    expect(tvf).toBe('1;2;12;2;5;café;7;1;x;');
    expect(codec.decode('tvf', Buffer.from(tvf)).equals(record)).toBe(true);
  });

  it('gives the byte offset of a JSON mistake after multi-byte characters', () => {
    const error = (() => {
      try {
        codec.decode('json', Buffer.from('{"label": "é€", x}'));
      } catch (e) {
        return e;
      }
    })() as BodyError;
    expect(error).toBeInstanceOf(BodyError);
    expect(error.offset).toBe(19); // 11 ASCII bytes, é (2), € (3), '", ' (3)
    expect(error.message).toBe('JSON body: expected a property name in double quotes at byte 19');
    expect(error.recoverable).toBe(false);
  });

  it('refuses a TVF body over maxBytes', () => {
    expect(() => codec.decode('tvf', Buffer.from(`2;70;${'x'.repeat(70)};`))).toThrow(/TVF body: at byte 0: text of 76 bytes exceeds maxBytes 64/);
  });
});
