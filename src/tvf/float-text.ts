/**
 * The text of a 64-bit float, as Rust's `Display` for `f64` writes it (so ProSA reads it
 * back exactly), and the reader that accepts what Rust's `f64::from_str` accepts.
 */

/**
 * The shortest decimal text that reads back to the same `value`, never in exponent form:
 * `6.56`, `0.30000000000000004`, `1000000000000000000000` (1e21), `0.0000001` (1e-7),
 * `-0`, `NaN`, `inf`, `-inf`.
 */
export function formatFloat(value: number): string {
  if (value !== value) return 'NaN';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (value === 0) return 1 / value < 0 ? '-0' : '0';
  const shortest = String(value); // shortest round-trip digits (ECMA-262 Number::toString)
  const e = shortest.indexOf('e');
  return e < 0 ? shortest : expandExponent(shortest, e);
}

/** Rewrites `d.ddde±x` (JS exponent form, at index `e`) as plain decimal, digit for digit. */
function expandExponent(text: string, e: number): string {
  const negative = text.charCodeAt(0) === 45; // '-'
  const mantissa = text.slice(negative ? 1 : 0, e);
  const exponent = Number(text.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  // Where the decimal point falls, counted in digits from the left of `digits`.
  const point = (dot < 0 ? mantissa.length : dot) + exponent;
  let plain: string;
  if (point >= digits.length) plain = digits + '0'.repeat(point - digits.length);
  else if (point <= 0) plain = '0.' + '0'.repeat(-point) + digits;
  else plain = digits.slice(0, point) + '.' + digits.slice(point);
  return negative ? '-' + plain : plain;
}

/** Rust's `f64::from_str` grammar: sign, digits with an optional point and exponent, or inf/infinity/nan. */
const FLOAT_TEXT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN])$/;

/**
 * True for `[+-]?\d+(\.\d+)?`: a text of the {@link FLOAT_TEXT} grammar that `Number`
 * reads as Rust does.
 */
function isPlainDecimal(text: string): boolean {
  const n = text.length;
  let i = 0;
  let c = text.charCodeAt(0);
  if (c === 43 /* + */ || c === 45 /* - */) i = 1;
  const digits = i;
  while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) i++;
  if (i === digits) return false;
  if (i === n) return true;
  if (c !== 46 /* . */) return false;
  const fraction = ++i;
  while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) i++;
  return i === n && i > fraction;
}

/**
 * Reads a float text: what {@link formatFloat} writes, exponent forms (`1e21`, `1E-7`,
 * `1e+21`), a leading `+`, `.5`, `5.`, and `inf`/`infinity`/`nan` in any case with an
 * optional sign, as Rust does; the nearest f64 to the decimal value. Returns `undefined`
 * for anything else: an empty text, whitespace, hex, underscores.
 */
export function parseFloatText(text: string): number | undefined {
  if (isPlainDecimal(text)) return Number(text); // what formatFloat writes for finite values, without a regex
  if (!FLOAT_TEXT.test(text)) return undefined;
  const last = text.charCodeAt(text.length - 1) | 0x20; // lower-cased last letter
  if (last === 0x6e /* n */) return NaN; // nan, with or without a sign
  if (last === 0x66 /* f */ || last === 0x79 /* y */) return text.charCodeAt(0) === 45 ? -Infinity : Infinity;
  return Number(text);
}
