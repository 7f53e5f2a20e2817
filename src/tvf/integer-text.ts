/**
 * Decimal text of 64-bit integers (u64 and i64), exact over their whole range.
 */

/** 2^64 - 1, the largest u64. */
export const U64_MAX = 0xffff_ffff_ffff_ffffn;
/** -2^63, the smallest i64. */
export const I64_MIN = -0x8000_0000_0000_0000n;
/** 2^63 - 1, the largest i64. */
export const I64_MAX = 0x7fff_ffff_ffff_ffffn;

/**
 * The decimal text of `value` when it is an integer within `min..max`, else `undefined`.
 * A `number` must be an integer (`-0` reads as 0); above 2^53 it is taken at its exact
 * binary value, not its shortest JS text.
 */
export function formatInteger(value: bigint | number, min: bigint, max: bigint): string | undefined {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) {
      // A safe integer always fits i64; only the unsigned range can refuse it.
      if (value < 0 && min === 0n) return undefined;
      return String(value); // String(-0) is '0'
    }
    if (!Number.isInteger(value)) return undefined;
    value = BigInt(value);
  } else if (typeof value !== 'bigint') {
    return undefined;
  }
  return value < min || value > max ? undefined : value.toString();
}

/**
 * Reads a decimal integer as Rust's `u64`/`i64` `from_str` does: an optional `+` (or `-`
 * when `min` is negative), then one or more ASCII digits, leading zeros allowed.
 * Returns `undefined` for anything else or a value outside `min..max`.
 */
export function parseInteger(text: string, min: bigint, max: bigint): bigint | undefined {
  const n = text.length;
  let i = 0;
  const sign = n > 0 ? text.charCodeAt(0) : 0;
  if (sign === 43 /* + */ || (sign === 45 /* - */ && min < 0n)) i = 1;
  if (i === n) return undefined;
  // Up to 15 digits fit a double exactly: build the number and make one BigInt of it,
  // which is cheaper than BigInt parsing a slice of the text.
  if (n - i <= 15) {
    let magnitude = 0;
    for (let j = i; j < n; j++) {
      const c = text.charCodeAt(j);
      if (c < 48 || c > 57) return undefined;
      magnitude = magnitude * 10 + (c - 48);
    }
    const value = BigInt(sign === 45 ? -magnitude : magnitude); // BigInt(-0) is 0n
    return value < min || value > max ? undefined : value;
  }
  let firstSignificant = -1;
  for (let j = i; j < n; j++) {
    const c = text.charCodeAt(j);
    if (c < 48 || c > 57) return undefined;
    if (firstSignificant < 0 && c !== 48) firstSignificant = j;
  }
  if (firstSignificant < 0) return 0n;
  // More than 20 significant digits is beyond any 64-bit value: no need to build it.
  if (n - firstSignificant > 20) return undefined;
  const magnitude = BigInt(text.slice(firstSignificant));
  const value = sign === 45 ? -magnitude : magnitude;
  return value < min || value > max ? undefined : value;
}
