import { describe, expect, it } from 'vitest';
import { DEFAULT_TVF_READ_LIMITS, SimpleStringTvf, TvfError } from '../../src/index.js';

function readError(text: string, options?: Parameters<typeof SimpleStringTvf.deserialize>[1]): TvfError {
  try {
    SimpleStringTvf.deserialize(text, options);
  } catch (error) {
    expect(error).toBeInstanceOf(TvfError);
    expect((error as TvfError).kind).toBe('SerializationError');
    return error as TvfError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('text form: writing', () => {
  it('writes ID;LEN;VALUE; in ascending id order', () => {
    const tvf = new SimpleStringTvf();
    tvf.putString(10, 'ten');
    tvf.putUnsigned(2, 42);
    tvf.putString(7, '');
    expect(tvf.serialize()).toBe('2;2;42;7;0;;10;3;ten;');
  });

  it('writes nothing for an empty record', () => {
    expect(new SimpleStringTvf().serialize()).toBe('');
  });

  it('counts LEN in UTF-8 bytes', () => {
    const tvf = new SimpleStringTvf();
    tvf.putString(1, 'é');
    tvf.putString(2, '€');
    tvf.putString(3, '😀');
    tvf.putString(4, 'aé€😀');
    expect(tvf.serialize()).toBe('1;2;é;2;3;€;3;4;😀;4;10;aé€😀;');
  });

  it('counts a nested record’s LEN in UTF-8 bytes too', () => {
    const inner = new SimpleStringTvf();
    inner.putString(1, 'é😀');
    const outer = new SimpleStringTvf();
    outer.putBuffer(5, inner);
    const text = outer.serialize();
    expect(text).toBe('5;11;1;6;é😀;;');
    expect(Buffer.byteLength('1;6;é😀;')).toBe(11);
  });

  it('lets ; stand inside a value', () => {
    const tvf = new SimpleStringTvf();
    tvf.putString(1, 'a;b;;');
    expect(tvf.serialize()).toBe('1;5;a;b;;;');
    expect(SimpleStringTvf.deserialize('1;5;a;b;;;').getString(1)).toBe('a;b;;');
  });

  it('writes every value type as the spec says', () => {
    const tvf = new SimpleStringTvf();
    tvf.putUnsigned(1, 18446744073709551615n);
    tvf.putSigned(2, -9223372036854775808n);
    tvf.putByte(3, 10);
    tvf.putBytes(4, Uint8Array.of(0, 255));
    tvf.putFloat(5, 1e21);
    tvf.putFloat(6, 1e-7);
    tvf.putDate(7, new Date(Date.UTC(2023, 5, 5, 12)));
    tvf.putDatetime(8, new Date(Date.UTC(2023, 5, 5, 15, 2, 3)));
    expect(tvf.serialize()).toBe(
      '1;20;18446744073709551615;2;20;-9223372036854775808;3;2;0a;4;4;00ff;' +
        '5;22;1000000000000000000000;6;9;0.0000001;7;10;2023-06-05;8;19;2023-06-05T15:02:03;',
    );
  });

  it('encodes to UTF-8 and back', () => {
    const tvf = new SimpleStringTvf();
    tvf.putString(1, 'aé😀');
    const bytes = tvf.toUtf8();
    expect(Buffer.from(bytes).toString('utf8')).toBe(tvf.serialize());
    expect(SimpleStringTvf.fromUtf8(bytes).equals(tvf)).toBe(true);
  });
});

describe('text form: reading', () => {
  it('reads fields in any order (ProSA writes hash order)', () => {
    // ProSA's sample record as ProSA could write it, its sub-buffer in another order too.
    const text =
      '9;19;2023-06-05T15:02:00;2;16;The great string;10;32;201;12;Hello world!;200;5;154.5;;' +
      '1;2;42;7;8;aabb77ff;3;2;-1;6;2;20;5;4;6.56;8;10;2023-06-05;';
    const tvf = SimpleStringTvf.deserialize(text);
    expect(tvf.keys()).toEqual([1, 2, 3, 5, 6, 7, 8, 9, 10]);
    expect(tvf.getUnsigned(1)).toBe(42n);
    expect(tvf.getSigned(3)).toBe(-1n);
    expect(tvf.getFloat(5)).toBe(6.56);
    expect(tvf.getByte(6)).toBe(32);
    expect(tvf.getBytes(7)).toEqual(Uint8Array.of(0xaa, 0xbb, 0x77, 0xff));
    expect(tvf.getDatetime(9).toISOString()).toBe('2023-06-05T15:02:00.000Z');
    expect(tvf.getBuffer(10).getString(201)).toBe('Hello world!');
    expect(tvf.serialize()).toBe(
      '1;2;42;2;16;The great string;3;2;-1;5;4;6.56;6;2;20;7;8;aabb77ff;8;10;2023-06-05;' +
        '9;19;2023-06-05T15:02:00;10;32;201;12;Hello world!;200;5;154.5;;',
    );
  });

  it('keeps the last value of a repeated id, as ProSA does', () => {
    expect(SimpleStringTvf.deserialize('1;1;a;1;1;b;').getString(1)).toBe('b');
  });

  it('reads an empty text as an empty record', () => {
    expect(SimpleStringTvf.deserialize('').isEmpty()).toBe(true);
  });

  it('reads a + sign and leading zeros in ids and lengths, as Rust’s usize parse does', () => {
    expect(SimpleStringTvf.deserialize('+01;+002;ab;').getString(1)).toBe('ab');
  });

  it('reads exponent forms and inf/NaN as floats', () => {
    const tvf = SimpleStringTvf.deserialize('1;4;1e21;2;4;1E-7;3;3;inf;4;4;-inf;5;3;NaN;6;2;-0;');
    expect(tvf.getFloat(1)).toBe(1e21);
    expect(tvf.getFloat(2)).toBe(1e-7);
    expect(tvf.getFloat(3)).toBe(Infinity);
    expect(tvf.getFloat(4)).toBe(-Infinity);
    expect(tvf.getFloat(5)).toBeNaN();
    expect(Object.is(tvf.getFloat(6), -0)).toBe(true);
  });

  it('reads multi-byte values by their byte length, both ways', () => {
    const values = ['é', '€uro', '😀😀', 'mixé 😀 ;;', '日本語のテキスト', '\u0000\u007f\u0080'];
    const tvf = new SimpleStringTvf();
    values.forEach((v, i) => tvf.putString(i, v));
    tvf.putString(100, 'plain ascii after');
    const back = SimpleStringTvf.deserialize(tvf.serialize());
    values.forEach((v, i) => expect(back.getString(i)).toBe(v));
    expect(back.getString(100)).toBe('plain ascii after');
    expect(back.serialize()).toBe(tvf.serialize());
  });

  it('reads nested records with multi-byte values', () => {
    const inner = new SimpleStringTvf();
    inner.putString(1, 'ça 😀');
    const outer = new SimpleStringTvf();
    outer.putBuffer(2, inner);
    outer.putString(3, 'après');
    const back = SimpleStringTvf.deserialize(outer.serialize());
    expect(back.getBuffer(2).getString(1)).toBe('ça 😀');
    expect(back.getString(3)).toBe('après');
  });
});

describe('text form: malformed texts are SerializationErrors that say what and where', () => {
  it.each([
    ['jean;luc', 0, /field id is not a decimal number/],
    ['1;', 2, /no length after field id 1/],
    ['1;jean;', 2, /length of field 1 is not a non-negative decimal number/],
    ['1;2;to,', 6, /bad field terminator after field 1, expected ';'/],
    ['1;5;ab;', 4, /value of field 1 runs past the end of the text \(length 5 given at byte 2, 3 bytes left\)/],
    ['1;-1;a;', 2, /length of field 1 is not a non-negative decimal number/],
    ['1;99999999999999999999999;a;', 26, /value of field 1 runs past the end of the text \(length 99999999999999999999999 given at byte 2, 2 bytes left\)/],
    ['1;' + '9'.repeat(400) + ';a;', 403, /length 999999999999999999999999\.\.\. given at byte 2/],
    ['1', 1, /text ends after field id 1, expected ';'/],
    ['1;2', 3, /text ends after the length of field 1, expected ';'/],
    ['1;2x;ab;', 3, /length of field 1 is not a non-negative decimal number: unexpected character/],
    ['1x;2;ab;', 1, /field id is not a decimal number: unexpected character after 1/],
    ['1;2;ab', 6, /text ends after the value of field 1, expected ';'/],
    ['1;2;ab;x', 7, /field id is not a decimal number/],
    [';2;ab;', 0, /field id is not a decimal number/],
    ['-1;2;ab;', 0, /field id is not a decimal number/],
    ['9007199254740992;1;a;', 0, /field id 9007199254740992 is larger than 2\^53-1/],
    ['1;3;é;', 7, /text ends after the value of field 1/],
    ['1;1;é;', 4, /length 1 of field 1 \(given at byte 2\) ends inside a character/],
    ['1;1;😀;', 4, /ends inside a character/],
    ['é;1;a;', 0, /field id is not a decimal number/],
    ['1;2;é;2;2;ab,', 13, /bad field terminator after field 2/],
    ['1;9;é;', 4, /runs past the end of the text/],
    ['1;1;\ud800;', 4, /lone UTF-16 surrogate/],
  ])('%j at byte %i', (text, offset, message) => {
    const error = readError(text);
    expect(error.offset).toBe(offset);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`at byte ${offset}`);
  });

  it('names the field where it knows it', () => {
    expect(readError('7;2;to,').id).toBe(7);
    expect(readError('jean;luc').id).toBeUndefined();
  });

  it('refuses what is not a string', () => {
    expect(() => SimpleStringTvf.deserialize(42 as unknown as string)).toThrow(TvfError);
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(() => SimpleStringTvf.fromUtf8(Uint8Array.of(0x31, 0x3b, 0x31, 0x3b, 0xff, 0x3b))).toThrow(/not valid UTF-8/);
  });
});

describe('text form: limits', () => {
  it('documents its defaults: depth 32, 16 MiB', () => {
    expect(DEFAULT_TVF_READ_LIMITS).toEqual({ maxDepth: 32, maxBytes: 16 * 1024 * 1024 });
  });

  it('refuses a text over maxBytes before reading it', () => {
    const text = '1;10;0123456789;';
    expect(SimpleStringTvf.deserialize(text, { maxBytes: 16 }).len()).toBe(1);
    expect(readError(text, { maxBytes: 15 }).message).toMatch(/at byte 0: text of at least 16 bytes exceeds maxBytes 15/);
    expect(() => SimpleStringTvf.fromUtf8(Buffer.from(text), { maxBytes: 15 })).toThrow(/exceeds maxBytes 15/);
  });

  it('counts maxBytes in UTF-8 bytes', () => {
    const text = '1;6;ééé;'; // 8 code units, 11 bytes
    expect(text.length).toBe(8);
    expect(SimpleStringTvf.deserialize(text, { maxBytes: 11 }).getString(1)).toBe('ééé');
    expect(readError(text, { maxBytes: 10 }).message).toMatch(/at byte 0: text of 11 bytes exceeds maxBytes 10/);
  });

  it('refuses a value past the default 16 MiB', () => {
    const big = 'a'.repeat(16 * 1024 * 1024);
    expect(readError(`1;${big.length};${big};`).message).toMatch(/exceeds maxBytes 16777216/);
  });

  it('refuses bad limits', () => {
    expect(() => SimpleStringTvf.deserialize('', { maxDepth: -1 })).toThrow(/maxDepth/);
    expect(() => SimpleStringTvf.deserialize('', { maxBytes: 1.5 })).toThrow(/maxBytes/);
  });

  it('opens nested buffers down to maxDepth and no further', () => {
    let text = '1;1;x;';
    for (let i = 0; i < 3; i++) text = `0;${text.length};${text};`;
    let tvf = SimpleStringTvf.deserialize(text, { maxDepth: 3 });
    for (let i = 0; i < 3; i++) tvf = tvf.getBuffer(0);
    expect(tvf.getString(1)).toBe('x');
    tvf = SimpleStringTvf.deserialize(text, { maxDepth: 2 });
    tvf = tvf.getBuffer(0).getBuffer(0);
    const error = (() => {
      try {
        tvf.getBuffer(0);
      } catch (e) {
        return e as TvfError;
      }
      return undefined;
    })();
    expect(error?.kind).toBe('SerializationError');
    expect(error?.id).toBe(0);
    expect(error?.message).toMatch(/3 levels deep, more than maxDepth 2/);
  });

  it('stops a 100k-deep nest with a SerializationError, not a RangeError', () => {
    let text = '1;1;x;';
    let size = text.length;
    for (let i = 0; i < 100_000; i++) {
      const prefix = `0;${size};`;
      text = prefix + text + ';';
      size += prefix.length + 1;
    }
    let tvf = SimpleStringTvf.deserialize(text);
    let depth = 0;
    let error: unknown;
    try {
      for (;;) {
        tvf = tvf.getBuffer(0);
        depth++;
      }
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TvfError);
    expect((error as TvfError).kind).toBe('SerializationError');
    expect(depth).toBe(32);
    expect(String(tvf).length).toBeGreaterThan(0); // display of the deep rest does not overflow either
  });

  it('applies the same depth limit to records built in memory', () => {
    let tvf = new SimpleStringTvf();
    tvf.putString(1, 'leaf');
    for (let i = 0; i < 40; i++) {
      const parent = new SimpleStringTvf();
      parent.putBuffer(0, tvf);
      tvf = parent;
    }
    let depth = 0;
    expect(() => {
      for (;;) {
        tvf = tvf.getBuffer(0);
        depth++;
      }
    }).toThrow(/more than maxDepth 32/);
    expect(depth).toBe(32);
  });
});
