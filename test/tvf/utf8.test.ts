import { describe, expect, it } from 'vitest';
import { advanceUtf8, isWellFormed, utf8Length } from '../../src/tvf/utf8.js';

describe('utf8', () => {
  it.each(['', 'abc', 'é', 'jean;luc', '€', '😀', 'a😀é€z', '\u0000\u007f\u0080\u07ff\u0800\uffff'])(
    'counts %j as Buffer.byteLength does',
    (text) => {
      expect(utf8Length(text)).toBe(Buffer.byteLength(text, 'utf8'));
    },
  );

  it('counts long texts natively, the same way', () => {
    const long = 'aé€😀'.repeat(100);
    expect(utf8Length(long)).toBe(Buffer.byteLength(long, 'utf8'));
    expect(utf8Length(long + '\ud800')).toBe(-1);
  });

  it.each(['\ud800', 'a\ud800', '\ud800a', '\udc00', 'a\udc00😀', '😀\ud83d'])('gives -1 for the lone surrogate in %j', (text) => {
    expect(utf8Length(text)).toBe(-1);
  });

  it('tells lone surrogates apart', () => {
    expect(isWellFormed('a😀')).toBe(true);
    expect(isWellFormed('a\ud800')).toBe(false);
    expect(isWellFormed('\udc00a')).toBe(false);
  });

  it('walks whole characters by their byte size', () => {
    const text = 'aé€😀z';
    expect(advanceUtf8(text, 0, 1)).toBe(1);
    expect(advanceUtf8(text, 0, 3)).toBe(2);
    expect(advanceUtf8(text, 0, 6)).toBe(3);
    expect(advanceUtf8(text, 0, 10)).toBe(5);
    expect(advanceUtf8(text, 0, 11)).toBe(6);
    expect(advanceUtf8(text, 3, 0)).toBe(3);
  });

  it('reports running out, cutting a character, and lone surrogates', () => {
    expect(advanceUtf8('aé', 0, 4)).toBe(-1);
    expect(advanceUtf8('aé', 0, 2)).toBe(-2);
    expect(advanceUtf8('😀', 0, 2)).toBe(-2);
    expect(advanceUtf8('a\ud800b', 0, 3)).toBe(-3);
    expect(advanceUtf8('a\udc00b', 0, 3)).toBe(-3);
    expect(advanceUtf8('a\ud800', 0, 3)).toBe(-3);
  });
});
