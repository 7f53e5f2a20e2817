/**
 * Hexadecimal text of bytes: lowercase, two digits a byte, as ProSA's `hex::encode` writes.
 */
import { bufferOver, bytesLength } from './host-values.js';

/** `PAIRS[b]` is the two-digit text of byte `b`: built once, reused by every encode. */
const PAIRS: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/**
 * Lowercase hex of `bytes`, two digits per byte; empty for no bytes. Reads the array's own
 * length and memory, never a `length` (or `buffer`) property a caller gave it.
 */
export function encodeHex(bytes: Uint8Array): string {
  const n = bytesLength(bytes);
  if (n > 64) return bufferOver(bytes).toString('hex'); // native beats concatenation past a few dozen bytes
  let out = '';
  for (let i = 0; i < n; i++) out += PAIRS[bytes[i]!];
  return out;
}

/** The value of one hex digit's char code, or -1. */
function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/**
 * Reads hex text (either case, as `hex::decode` does): an even number of hex digits.
 * Returns `undefined` for an odd length or any other character.
 */
export function decodeHex(text: string): Uint8Array | undefined {
  const n = text.length;
  if ((n & 1) !== 0) return undefined;
  const out = new Uint8Array(n >>> 1);
  for (let i = 0, j = 0; i < n; i += 2, j++) {
    const hi = nibble(text.charCodeAt(i));
    const lo = nibble(text.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) return undefined;
    out[j] = (hi << 4) | lo;
  }
  return out;
}

/** The byte written as exactly two hex digits (either case) in `text`, or -1. */
export function decodeByte(text: string): number {
  if (text.length !== 2) return -1;
  const hi = nibble(text.charCodeAt(0));
  const lo = nibble(text.charCodeAt(1));
  return hi < 0 || lo < 0 ? -1 : (hi << 4) | lo;
}
