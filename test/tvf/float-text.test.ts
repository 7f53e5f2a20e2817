import { describe, expect, it } from 'vitest';
import { formatFloat, parseFloatText } from '../../src/tvf/float-text.js';

describe('formatFloat: Rust Display for f64', () => {
  it.each([
    [6.56, '6.56'],
    [154.5, '154.5'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1e21, '1000000000000000000000'],
    [1e-7, '0.0000001'],
    [-0, '-0'],
    [0, '0'],
    [NaN, 'NaN'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [1, '1'],
    [-1.5, '-1.5'],
    [123456789012345680000, '123456789012345680000'],
    [1.5e-7, '0.00000015'],
    [-1.2345e25, '-12345000000000000000000000'],
    [2 ** 70, '1180591620717411300000'],
    [1e-6, '0.000001'],
  ])('%s is written %s', (value, text) => {
    expect(formatFloat(value)).toBe(text);
  });

  it('expands the smallest subnormal without losing its digit', () => {
    const text = formatFloat(5e-324);
    expect(text).toBe('0.' + '0'.repeat(323) + '5');
    expect(parseFloatText(text)).toBe(5e-324);
  });

  it('expands the largest finite f64 to 309 digits', () => {
    const text = formatFloat(1.7976931348623157e308);
    expect(text).toBe('17976931348623157' + '0'.repeat(292));
    expect(parseFloatText(text)).toBe(1.7976931348623157e308);
  });

  it('never writes an exponent', () => {
    for (const v of [1e21, 1e100, 1e-7, 1e-300, -3.3e-200, 9.87654321e22]) expect(formatFloat(v)).not.toMatch(/e/i);
  });
});

describe('parseFloatText: Rust f64::from_str', () => {
  it.each([
    ['6.56', 6.56],
    ['1e21', 1e21],
    ['1E-7', 1e-7],
    ['1e+21', 1e21],
    ['+1.5', 1.5],
    ['.5', 0.5],
    ['5.', 5],
    ['1.e5', 1e5],
    ['-0', -0],
    ['inf', Infinity],
    ['+inf', Infinity],
    ['-inf', -Infinity],
    ['Infinity', Infinity],
    ['-INFINITY', -Infinity],
    ['NaN', NaN],
    ['nan', NaN],
    ['-nan', NaN],
    ['1e400', Infinity],
    ['0001.5', 1.5],
  ])('%s reads as %s', (text, value) => {
    expect(Object.is(parseFloatText(text), value)).toBe(true);
  });

  it.each(['', '.', 'e5', '1e', '0x10', ' 1', '1 ', '1_0', 'infinit', 'abc', '1.2.3', '--1', '+-1', '1e5.5'])(
    '%j is not a float',
    (text) => {
      expect(parseFloatText(text)).toBeUndefined();
    },
  );
});
