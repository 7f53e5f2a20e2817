/**
 * UTF-8 sizes of JS strings, without encoding them: the text form counts lengths in
 * UTF-8 bytes while JS strings index UTF-16 code units.
 */

/** Past this many code units, two native scans beat one JS loop. */
const NATIVE_FROM = 256;

/**
 * The number of bytes `text` takes in UTF-8, or -1 when it holds a lone UTF-16 surrogate
 * (which has no UTF-8 form).
 */
export function utf8Length(text: string): number {
  const n = text.length;
  if (n > NATIVE_FROM) return isWellFormed(text) ? Buffer.byteLength(text, 'utf8') : -1;
  let bytes = n; // one byte per code unit; add what wider encodings take
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1); // NaN past the end
      if (!(d >= 0xdc00 && d <= 0xdfff)) return -1;
      bytes += 2; // a pair: 2 code units, 4 bytes
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return -1;
    else bytes += 2;
  }
  return bytes;
}

/** True when `text` has no lone UTF-16 surrogate, so it encodes to UTF-8 and back unchanged. */
export function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/**
 * Walks `text` from code unit `from` over exactly `bytes` UTF-8 bytes and returns the code
 * unit index where they end; or -1 when the text ends first, -2 when the last character
 * would be cut in the middle, -3 when a lone surrogate stands in the way.
 */
export function advanceUtf8(text: string, from: number, bytes: number): number {
  const n = text.length;
  let i = from;
  // A run of ASCII, one byte per code unit, in the tightest loop: most text starts with one.
  const run = Math.min(n, from + bytes);
  while (i < run && text.charCodeAt(i) < 0x80) i++;
  let left = bytes - (i - from);
  while (left > 0) {
    if (i >= n) return -1;
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      left -= 1;
      i += 1;
    } else if (c < 0x800) {
      left -= 2;
      i += 1;
    } else if (c < 0xd800 || c > 0xdfff) {
      // Most of the BMP, CJK among it: tested before the surrogates, which are rarer.
      left -= 3;
      i += 1;
    } else if (c <= 0xdbff) {
      const d = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (d < 0xdc00 || d > 0xdfff) return -3;
      left -= 4;
      i += 2;
    } else {
      return -3; // a low surrogate with no high one before it
    }
  }
  return left === 0 ? i : -2;
}
