import { describe, expect, it } from 'vitest';
import { formatInteger, I64_MAX, I64_MIN, parseInteger, U64_MAX } from '../../src/tvf/integer-text.js';

describe('formatInteger', () => {
  it('writes numbers and bigints in decimal', () => {
    expect(formatInteger(42, 0n, U64_MAX)).toBe('42');
    expect(formatInteger(-0, 0n, U64_MAX)).toBe('0');
    expect(formatInteger(-1, I64_MIN, I64_MAX)).toBe('-1');
    expect(formatInteger(U64_MAX, 0n, U64_MAX)).toBe('18446744073709551615');
    expect(formatInteger(I64_MIN, I64_MIN, I64_MAX)).toBe('-9223372036854775808');
  });

  it('writes an unsafe integer number at its exact binary value', () => {
    expect(formatInteger(2 ** 63, 0n, U64_MAX)).toBe('9223372036854775808');
    expect(String(2 ** 63)).toBe('9223372036854776000'); // what it must not write
  });

  it('refuses fractions, out-of-range values and non-numbers', () => {
    expect(formatInteger(1.5, 0n, U64_MAX)).toBeUndefined();
    expect(formatInteger(-1, 0n, U64_MAX)).toBeUndefined();
    expect(formatInteger(-1n, 0n, U64_MAX)).toBeUndefined();
    expect(formatInteger(U64_MAX + 1n, 0n, U64_MAX)).toBeUndefined();
    expect(formatInteger(2 ** 64, 0n, U64_MAX)).toBeUndefined();
    expect(formatInteger(I64_MAX + 1n, I64_MIN, I64_MAX)).toBeUndefined();
    expect(formatInteger(I64_MIN - 1n, I64_MIN, I64_MAX)).toBeUndefined();
    expect(formatInteger(NaN, I64_MIN, I64_MAX)).toBeUndefined();
    expect(formatInteger(Infinity, I64_MIN, I64_MAX)).toBeUndefined();
    expect(formatInteger('1' as unknown as number, I64_MIN, I64_MAX)).toBeUndefined();
  });
});

describe('parseInteger: Rust u64/i64 from_str', () => {
  it('reads decimal with an optional sign and leading zeros', () => {
    expect(parseInteger('12', 0n, U64_MAX)).toBe(12n);
    expect(parseInteger('+12', 0n, U64_MAX)).toBe(12n);
    expect(parseInteger('0000000000000000000000012', 0n, U64_MAX)).toBe(12n);
    expect(parseInteger('000', 0n, U64_MAX)).toBe(0n);
    expect(parseInteger('-12', I64_MIN, I64_MAX)).toBe(-12n);
    expect(parseInteger('18446744073709551615', 0n, U64_MAX)).toBe(U64_MAX);
    expect(parseInteger('-9223372036854775808', I64_MIN, I64_MAX)).toBe(I64_MIN);
  });

  it.each(['', '+', '-', '-0', '1.0', '1e3', ' 1', '1 ', '0x1', 'abc', '18446744073709551616', '1'.repeat(1000)])(
    'refuses %j as u64',
    (text) => {
      expect(parseInteger(text, 0n, U64_MAX)).toBeUndefined();
    },
  );

  it('refuses values outside i64', () => {
    expect(parseInteger('9223372036854775808', I64_MIN, I64_MAX)).toBeUndefined();
    expect(parseInteger('-9223372036854775809', I64_MIN, I64_MAX)).toBeUndefined();
  });
});
