import { describe, expect, it } from 'vitest';
import { decodeHex, encodeHex } from '../../src/tvf/hex-text.js';

describe('hex text', () => {
  it('encodes lowercase, two digits a byte', () => {
    expect(encodeHex(Uint8Array.of(0xaa, 0xbb, 0x77, 0xff, 0x00, 0x0a))).toBe('aabb77ff000a');
    expect(encodeHex(new Uint8Array(0))).toBe('');
  });

  it('encodes long arrays and views at an offset the same way', () => {
    const all = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const view = all.subarray(3, 203);
    let expected = '';
    for (const b of view) expected += b.toString(16).padStart(2, '0');
    expect(encodeHex(view)).toBe(expected);
  });

  it('decodes either case', () => {
    expect(decodeHex('AAbb77Ff')).toEqual(Uint8Array.of(0xaa, 0xbb, 0x77, 0xff));
    expect(decodeHex('')).toEqual(new Uint8Array(0));
  });

  it.each(['a', 'abc', 'zz', '0g', ' 00', '0x00'])('refuses %j', (text) => {
    expect(decodeHex(text)).toBeUndefined();
  });
});
